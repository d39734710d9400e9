import type { Key } from '../lms/keyset.js';
import type { Reporter } from '../output/reporter.js';
import type { Sink } from '../sinks/types.js';
import { RETIRED_USER, UNCHANGED_ROW, type Decision } from './decision.js';
import type { Decided } from './pages.js';
import { countDecision, type ObjectSummary } from './summary.js';

/**
 * One object's counts as its pages are written: what was read and decided (in key order, as
 * pages take their turn), what inserts stored, and the key up to which everything is stored.
 */
export class Progress {
  constructor(
    private readonly sink: Sink, readonly summary: ObjectSummary, private readonly reporter: Reporter,
    private readonly rowsTotal: number, private readonly listed: (decision: Decision) => boolean, private readonly limit?: number,
  ) {}

  /** Counts the decisions of a page's rows (and reports those `listed`: --verbose every one, --dry-run those to write), and rows found unchanged in bulk. */
  decided(entries: readonly Decided[], unchanged = 0): void {
    if (unchanged > 0) {
      this.summary.rows_unchanged += unchanged;
      this.summary.rows_unchanged_by_summary = (this.summary.rows_unchanged_by_summary ?? 0) + unchanged;
      this.summary.decisions.skipped[UNCHANGED_ROW.reason] = (this.summary.decisions.skipped[UNCHANGED_ROW.reason] ?? 0) + unchanged;
    }
    for (const { key, decision } of entries) {
      countDecision(this.summary, decision);
      if (this.listed(decision)) this.reporter.decision(this.sink.name, key, decision);
      if (!decision.dump && decision.reason !== RETIRED_USER.reason) this.summary.rows_unchanged += 1;
    }
  }

  /** An insert (or a page with nothing to insert) is complete: rows stored in `table`, everything up to `mark`. */
  stored(table: string, rows: number, mark?: Key): void {
    const summary = this.summary;
    if (table === this.sink.table) summary.rows_written += rows;
    const child = this.sink.children?.find((each) => each.table === table);
    if (child && rows > 0) summary.child_rows_written[child.name] = (summary.child_rows_written[child.name] ?? 0) + rows;
    if (mark !== undefined) summary.last_pk = mark;
  }

  /** A page took its turn: `read` rows read for it, the last of them `lastKey`. */
  pageDone(read: number, lastKey: Key): void {
    const summary = this.summary;
    summary.rows_read += read;
    summary.batches += 1;
    this.reporter.batchDone({
      object: this.sink.name, rowsRead: summary.rows_read, rowsTotal: this.rowsTotal,
      rowsWritten: summary.rows_written, rowsInOpenInsert: this.rowsInOpenInsert(), lastKey, batch: summary.batches, limit: this.limit,
    });
  }

  /** Rows decided to be written that no complete insert holds yet (they stream into an open one). */
  private rowsInOpenInsert(): number {
    const decided = Object.values(this.summary.decisions.dumped).reduce((sum, rows) => sum + rows, 0);
    return Math.max(0, decided - this.summary.rows_written - (this.summary.rows_left_out ?? 0));
  }
}
