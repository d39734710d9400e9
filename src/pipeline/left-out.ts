import { RowsLeftOut } from '../errors.js';
import type { UnwritableRow } from './shape.js';
import type { ObjectSummary } from './summary.js';

/**
 * Rows no rule can write (a value the plugin's own code would fail on too, such as an external
 * id that is no UUID) are left out one by one, named in the log and the summary; everything else
 * lands, and the run ends with exit 65 rather than failing the whole object.
 */

/** How many left-out rows the summary and the log name (all are counted). */
export const LISTED_LEFT_OUT = 100;

/** Counts a left-out row in the object's summary, naming it there and on the log while fewer than LISTED_LEFT_OUT are. */
export function noteLeftOut(summary: ObjectSummary, row: UnwritableRow, notice: (line: string) => void): void {
  summary.rows_left_out = (summary.rows_left_out ?? 0) + 1;
  const listed = summary.left_out ?? (summary.left_out = []);
  if (listed.length >= LISTED_LEFT_OUT) return;
  listed.push({ key: row.key, column: row.column, reason: row.reason });
  notice(`${row.object}: pk ${row.key} left out, column ${row.column}: ${row.reason}; no rule writes it (the plugin's code fails on it too)`);
}

/** The run's ending when rows were left out (and nothing else failed): exit 65, saying what and how to go on. */
export function leftOutError(objects: readonly ObjectSummary[]): RowsLeftOut | undefined {
  const left = objects.filter((each) => (each.rows_left_out ?? 0) > 0);
  if (left.length === 0) return undefined;
  const counts = left.map((each) => `${each.rows_left_out} of ${each.object} (first: pk ${each.left_out?.[0]?.key}, column ${each.left_out?.[0]?.column})`);
  return new RowsLeftOut(`everything else was written, but ${counts.join(', ')} left out: no rule can write them (see the log or the JSON's left_out); `
    + 'each run reads them again until they are corrected in the LMS');
}
