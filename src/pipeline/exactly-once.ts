import { randomUUID } from 'node:crypto';
import { deleteMethod, deleteWhere } from '../clickhouse/delete.js';
import { literal, qualifiedTable } from '../clickhouse/sql.js';
import { ClickHouseFailure, type ClickHouseTarget, type InsertOptions, type TableName } from '../clickhouse/target.js';
import { messageOf } from '../errors.js';
import { pause } from './pacing.js';
import { RetryBudget, type RetryPolicy } from './retry.js';
import { encodeStamped, type StampedRow } from './shape.js';

/**
 * Exactly-once inserts. Every insert is prepared once (rows, stamps, a query id) and owns the
 * answer to "what of it is in ClickHouse?": after any failure, when no attempt of it still runs
 * on the server, the rows carrying its stamps are counted, and only the others are sent again
 * (never the whole body: a body cut at a row boundary is stored in part, as if complete). Every
 * attempt carries the same query id, so ClickHouse never runs two of them at once, and its own
 * insert_deduplication_token where the server has that setting, so a table that deduplicates
 * (Replicated, or non_replicated_deduplication_window > 0) drops a second delivery of one attempt.
 * Rows an attempt delivered late stored a second time are found by the same count and removed.
 */

/** How a row of an insert is told apart in ClickHouse: its dump_id, or dump_id and a column. */
export interface RowIdentity {
  /** SQL giving a stored row's identity. */
  readonly sql: string;
  /** The same identity of a row about to be written. */
  of(row: StampedRow): string;
}

/** Rows of their own dump_id each (every sink's own rows). */
export const BY_DUMP_ID: RowIdentity = Object.freeze({ sql: 'toString(dump_id)', of: (row: StampedRow) => row.stamp.dumpId });

/** Rows sharing a dump_id (child rows share their parent's), told apart by one more column. */
export function byDumpIdAnd(column: string, index: number): RowIdentity {
  return {
    sql: `concat(toString(dump_id), ' ', ${column})`,
    of: (row) => `${row.stamp.dumpId} ${row.cells[index]?.text ?? ''}`,
  };
}

/** One insert, fixed before its first attempt so that every attempt sends the same rows. */
export interface PreparedInsert {
  readonly into: TableName;
  readonly columns: readonly string[];
  readonly rows: readonly StampedRow[];
  readonly identity: RowIdentity;
  readonly queryId: string;
}

/** Prepares an insert of stamped rows. */
export function prepareInsert(into: TableName, columns: readonly string[], rows: readonly StampedRow[], identity: RowIdentity): PreparedInsert {
  return { into, columns, rows, identity, queryId: `aspects-${randomUUID()}` };
}

/** An insert that failed for good; `landed` says how many of its rows are in ClickHouse (undefined: unknown). */
export class InsertFailed extends Error {
  constructor(readonly table: string, readonly failure: unknown, readonly total: number, readonly landed: number | undefined) {
    super(messageOf(failure), { cause: failure });
    this.name = 'InsertFailed';
  }
}

/** What a writer tells the operator while it recovers an insert. */
export interface InsertListener {
  retrying(attempt: number, delayMs: number, reason: string): void;
  note(message: string): void;
}

/** Stored copies of each row identity carrying the insert's stamps. */
type Copies = ReadonlyMap<string, number>;

/** Between two looks at the server's running queries: long enough for a late request to show up. */
const SETTLE_MS = 1000;
const POLL_MS = 500;

/** Writes prepared inserts into one destination so that each row lands exactly once. */
export class ExactlyOnceWriter {
  private takesToken: Promise<boolean> | undefined;

  constructor(readonly target: ClickHouseTarget, readonly policy: RetryPolicy, readonly signal?: AbortSignal) {}

  /** Writes the insert; InsertFailed says how much of it landed when it cannot be completed. */
  async write(insert: PreparedInsert, listener: InsertListener): Promise<void> {
    const attempts = new InsertAttempts(this, insert, listener);
    this.takesToken ??= attempts.retrying(() => this.lookUpToken());
    const token = await this.takesToken;
    let pending = insert.rows;
    for (let attempt = 1; ; attempt += 1) {
      const options: InsertOptions = { queryId: insert.queryId, ...(token ? { settings: { insert_deduplication_token: `${insert.queryId}-${attempt}` } } : {}) };
      try {
        await this.target.insertCsv(insert.into, insert.columns, encodeStamped(pending), options);
        if (attempt > 1) await attempts.removeCopies(await attempts.copies());
        return;
      } catch (error) {
        if (!(error instanceof ClickHouseFailure)) throw error;
        pending = await attempts.recover(error);
        if (pending.length === 0) return;
      }
    }
  }

  /** Whether the server has insert_deduplication_token (22.2 and later). */
  private async lookUpToken(): Promise<boolean> {
    const rows = await this.target.query("SELECT count() AS n FROM system.settings WHERE name = 'insert_deduplication_token'");
    return Number(rows[0]?.n ?? 0) > 0;
  }
}

/** The attempts of one insert: its retry budget, and the checks of what of it landed. */
class InsertAttempts {
  private readonly budget: RetryBudget;
  private readonly target: ClickHouseTarget;

  constructor(private readonly writer: ExactlyOnceWriter, readonly insert: PreparedInsert, private readonly listener: InsertListener) {
    this.budget = new RetryBudget(writer.policy, writer.signal);
    this.target = writer.target;
  }

  /** After a failed attempt: the rows to send again, or InsertFailed when nothing more can be done. */
  async recover(failure: ClickHouseFailure): Promise<readonly StampedRow[]> {
    const { insert, budget } = this;
    const total = insert.rows.length;
    const copies = await this.copies().catch(() => undefined);
    if (copies === undefined) throw new InsertFailed(insert.into.table, failure, total, undefined);
    await this.removeCopies(copies);
    const missing = insert.rows.filter((row) => !copies.has(insert.identity.of(row)));
    if (missing.length === 0) {
      this.listener.note(`the answer to an insert into ${insert.into.table} was lost (${failure.message}); all ${total} rows had landed`);
      return [];
    }
    const delayMs = failure.transient ? budget.next() : undefined;
    if (delayMs === undefined) throw new InsertFailed(insert.into.table, failure, total, total - missing.length);
    this.listener.retrying(budget.attempts, delayMs, `ClickHouse insert: ${failure.message}; ${total - missing.length} of ${total} rows had landed`);
    await budget.wait(delayMs);
    return missing;
  }

  /** The stored copies of the insert's rows, once no attempt of it runs any more. */
  async copies(): Promise<Copies> {
    const { insert } = this;
    await this.untilNoAttemptRuns();
    const times = [...new Set(insert.rows.map((row) => row.stamp.timeLastDumped))].map((time) => literal(time)).join(', ');
    const rows = await this.retrying(() => this.target.query(`SELECT ${insert.identity.sql} AS identity, count() AS copies `
      + `FROM ${qualifiedTable(insert.into.database, insert.into.table)} WHERE time_last_dumped IN (${times}) GROUP BY identity`));
    const ours = new Set(insert.rows.map((row) => insert.identity.of(row)));
    return new Map(rows.filter((row) => ours.has(String(row.identity))).map((row) => [String(row.identity), Number(row.copies)]));
  }

  /**
   * Waits until the server runs no attempt of this insert, seen twice a moment apart, so that a
   * request it had already received (a paused server, a lost response) is done before counting.
   * An attempt still running when the budget is spent is killed.
   */
  private async untilNoAttemptRuns(): Promise<void> {
    const id = literal(this.insert.queryId);
    for (let quiet = 0; quiet < 2;) {
      const [row] = await this.retrying(() => this.target.query(`SELECT count() AS n FROM system.processes WHERE query_id = ${id}`));
      quiet = Number(row?.n ?? 0) === 0 ? quiet + 1 : 0;
      if (quiet === 0 && this.budget.expired()) await this.retrying(() => this.target.command(`KILL QUERY WHERE query_id = ${id} SYNC`));
      if (quiet < 2) await pause(quiet === 1 ? SETTLE_MS : POLL_MS, this.writer.signal);
    }
  }

  /**
   * Rows stored twice (an attempt the network delivered after a later one): every copy is
   * deleted and the rows are written once more.
   */
  async removeCopies(copies: Copies): Promise<void> {
    const { insert } = this;
    const doubled = insert.rows.filter((row) => (copies.get(insert.identity.of(row)) ?? 0) > 1);
    if (doubled.length === 0) return;
    this.listener.note(`${doubled.length} rows of an insert into ${insert.into.table} were stored twice by a late attempt; deleting the copies and writing them once`);
    const identities = doubled.map((row) => literal(insert.identity.of(row))).join(', ');
    const method = await this.retrying(() => deleteMethod(this.target));
    await deleteWhere(this.target, method, insert.into, [`${insert.identity.sql} IN (${identities})`], this.writer.policy.budgetMs);
    await this.writer.write(prepareInsert(insert.into, insert.columns, doubled, insert.identity), this.listener);
  }

  /** Runs a query, retrying transient failures within the insert's budget. */
  async retrying<T>(operation: () => Promise<T>): Promise<T> {
    for (;;) {
      try {
        return await operation();
      } catch (error) {
        const delayMs = error instanceof ClickHouseFailure && error.transient ? this.budget.next() : undefined;
        if (delayMs === undefined) throw error;
        this.listener.retrying(this.budget.attempts, delayMs, `checking what landed: ${messageOf(error)}`);
        await this.budget.wait(delayMs);
      }
    }
  }
}
