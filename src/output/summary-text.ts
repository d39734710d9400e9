import type { DumpSummary, ObjectSummary } from '../pipeline/summary.js';

function objectLine(summary: ObjectSummary, dryRun: boolean): string {
  const verb = dryRun ? 'would write' : 'wrote';
  const unchanged = summary.rows_unchanged ? `, ${summary.rows_unchanged} unchanged` : '';
  const last = summary.last_pk === null ? '' : `, last pk ${summary.last_pk}`;
  return `${summary.object}: ${summary.status}, read ${summary.rows_read}, ${verb} ${summary.rows_written}`
    + `${unchanged} in ${summary.batches} batches, ${summary.seconds.toFixed(1)}s${last}`;
}

/** The human summary printed on stdout at the end of a dump. */
function summaryText(summary: DumpSummary): string {
  const lines = summary.objects.map((object) => objectLine(object, summary.dry_run));
  for (const skipped of summary.skipped) lines.push(`${skipped.object}: skipped (${skipped.reason})`);
  if (summary.dry_run) lines.push('dry run: nothing was written to ClickHouse');
  return lines.join('\n');
}

/** What a dump prints on stdout at the end: the human summary, or one JSON document with --json. */
export function summaryOutput(summary: DumpSummary, json: boolean): string {
  return json ? JSON.stringify(summary) : summaryText(summary);
}
