import type { RetireSummary, TableResult } from '../retire/run-retire.js';

function tableLine(result: TableResult): string {
  switch (result.status) {
    case 'missing': return `${result.table}: missing, skipped`;
    case 'would-delete': return `${result.table}: would delete ${result.rows_matched} rows`;
    default: return `${result.table}: ${result.status}, ${result.rows_matched} rows matched, ${result.rows_remaining} remain (${result.method})`;
  }
}

/** The human summary of `aspects retire` on stdout. */
export function retireText(summary: RetireSummary): string {
  if (summary.users.length === 0) return 'no user to retire: none selected has rows in ClickHouse';
  const lines = [`${summary.dry_run ? 'would retire' : 'retired'} ${summary.users.length} users: ${summary.users.join(', ')}`];
  const gone = summary.users_gone_from_lms?.length ?? 0;
  if (gone > 0) lines.push(`${gone} of them ${gone === 1 ? 'is' : 'are'} no longer in the LMS (auth_user row deleted): their rows outlived the LMS's`);
  lines.push(...summary.tables.map(tableLine));
  if (summary.staging_tables_dropped > 0) lines.push(`dropped ${summary.staging_tables_dropped} staging tables of dumps that died or gave up, before the delete`);
  if (!summary.dry_run && summary.status === 'success') lines.push('verified: no row of these users remains in any PII table');
  return lines.join('\n');
}
