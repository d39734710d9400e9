import { RETIRED_USER } from '../pipeline/decision.js';
import type { DumpSummary, ObjectSummary } from '../pipeline/summary.js';

/** `1 batch`, `3 batches`. */
export const counted = (count: number, one: string, many = `${one}s`): string => `${count} ${count === 1 ? one : many}`;

/** Rows written into nested objects (course_blocks), or that a dry run would write: `, 120 course_blocks rows`. */
function childRows(rows: Record<string, number> | undefined): string {
  return Object.entries(rows ?? {}).map(([child, count]) => `, ${counted(count, `${child} row`)}`).join('');
}

function objectLine(summary: ObjectSummary, dryRun: boolean): string {
  const written = dryRun ? `would write ${summary.rows_to_write ?? 0}${childRows(summary.child_rows_to_write)}`
    : `wrote ${summary.rows_written}${childRows(summary.child_rows_written)}`;
  const unchanged = summary.rows_unchanged ? `, ${summary.rows_unchanged} unchanged` : '';
  const retired = summary.decisions.skipped[RETIRED_USER.reason] ? `, ${summary.decisions.skipped[RETIRED_USER.reason]} of retired learners left out` : '';
  const leftOut = summary.rows_left_out ? `, ${summary.rows_left_out} left out` : '';
  const pruned = summary.keys_to_prune !== undefined ? `, would prune ${counted(summary.keys_to_prune, 'key')}`
    : summary.keys_pruned !== undefined ? `, pruned ${counted(summary.keys_pruned, 'key')} (${counted(summary.rows_pruned ?? 0, 'row')})` : '';
  const last = summary.last_pk === null ? '' : `, last pk ${summary.last_pk}`;
  return `${summary.object}: ${summary.status}, read ${summary.rows_read}, ${written}`
    + `${unchanged}${retired}${leftOut}${pruned} in ${counted(summary.batches, 'batch', 'batches')}, ${summary.seconds.toFixed(1)}s${last}${compared(summary)}`;
}

/** What a run with a change signal compared: `; 5 keys changed since … (table.column)`, or why all rows. */
function compared(summary: ObjectSummary): string {
  if (summary.changes_since !== undefined) {
    return `; ${counted(summary.changed_keys ?? 0, 'key')} changed since ${summary.changes_since} UTC (${summary.compared?.replace(/^changes in /, '')})`;
  }
  return summary.compare_reason === undefined ? '' : `; compared every row (${summary.compare_reason})`;
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
