import type { Key } from '../lms/keyset.js';
import type { RetirementWatch } from '../lms/retired-users.js';
import { RETIRED_USER } from './decision.js';
import type { Destination } from './destinations.js';
import type { DecidedPage } from './pages.js';
import type { Progress } from './progress.js';
import type { PageRow } from './shape.js';
import type { WriteGuard } from './write-guard.js';

/** The retirements a PII object's rows are checked against, kept current while it is written. */
export class Retirements {
  private since = 0;

  constructor(private readonly watch: RetirementWatch, private readonly reading: (operation: () => Promise<void>) => Promise<void>) {}

  /** Reads what the LMS retired since the last look. */
  refresh(): Promise<void> {
    return this.reading(() => this.watch.refresh());
  }

  /** Whether the row's user is retired (as of the last refresh). */
  retired(row: PageRow): boolean {
    return row.user !== undefined && this.watch.has(row.user);
  }

  /** Every user retired so far (as of the last refresh). */
  users(): readonly number[] {
    return [...this.watch.ids];
  }

  /** Remembers the moment a write lock is taken. */
  taking(): void {
    this.since = this.watch.mark();
  }

  /** Users retired since the write lock was taken (read afresh). */
  async retiredSinceTaken(): Promise<number[]> {
    await this.refresh();
    return this.watch.foundSince(this.since);
  }
}

/** What a page writer needs. */
export interface PageWriterOptions {
  readonly destination: Destination;
  readonly progress: Progress;
  readonly guard: WriteGuard;
  readonly limit?: number;
  readonly retirements?: Retirements;
}

/**
 * Writes decided pages in their turn, in key order: checks the run locks, drops rows of users
 * the LMS retired (under the table's write lock), stops at --limit rows, counts every decision,
 * and hands the rest to the destination.
 */
export class PageWriter {
  private written = 0;

  constructor(private readonly options: PageWriterOptions) {}

  /** Whether --limit rows were written: nothing more may be. */
  get full(): boolean {
    return this.options.limit !== undefined && this.written >= this.options.limit;
  }

  /** Writes one page; false once --limit is reached. */
  async write(page: DecidedPage): Promise<boolean> {
    const { guard, destination, retirements, progress } = this.options;
    await guard.ensureRunLocks();
    if (page.rows.length > 0) await destination.hold();
    if (retirements && page.rows.length > 0) await retirements.refresh();
    const kept = this.capped(this.withoutRetired(page));
    progress.decided(kept.decided, page.unchanged);
    await destination.write(kept.rows, kept.lastKey);
    this.written += kept.rows.length;
    progress.pageDone(page.read, kept.lastKey);
    return !this.full;
  }

  /** A unit is read to its end: everything up to `mark` is complete once what was written before is stored. */
  end(mark: Key): Promise<void> {
    return this.options.destination.write([], mark);
  }

  /** The page without rows of retired users, whose decisions become "user retired in the LMS". */
  private withoutRetired(page: DecidedPage): DecidedPage {
    const retirements = this.options.retirements;
    const retired = new Set(retirements ? page.rows.filter((row) => retirements.retired(row)).map((row) => row.key) : []);
    if (retired.size === 0) return page;
    return {
      ...page,
      rows: page.rows.filter((row) => !retired.has(row.key)),
      decided: page.decided.map((entry) => (entry.decision.dump && retired.has(entry.key) ? { key: entry.key, decision: RETIRED_USER } : entry)),
    };
  }

  /** The page cut after the row that reaches --limit: that row's key is where the object is complete up to. */
  private capped(page: DecidedPage): DecidedPage {
    const room = this.options.limit === undefined ? Number.POSITIVE_INFINITY : this.options.limit - this.written;
    if (page.rows.length <= room) return page;
    const rows = page.rows.slice(0, room);
    const lastKey = (rows[rows.length - 1] as PageRow).key;
    const through = page.decided.findIndex((entry) => entry.key === lastKey);
    return { ...page, rows, decided: page.decided.slice(0, through + 1), lastKey };
  }
}
