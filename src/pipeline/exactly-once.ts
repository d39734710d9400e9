import { randomUUID } from 'node:crypto';
import { deleteMethod, deleteWhere } from '../clickhouse/delete.js';
import { literal, qualifiedTable } from '../clickhouse/sql.js';
import { ClickHouseFailure, isTransientClickHouse, type ClickHouseTarget, type InsertOptions, type TableName } from '../clickhouse/target.js';
import { clickHouseCode } from '../clickhouse/classify.js';
import { messageOf } from '../errors.js';
import { chunks } from '../retire/delete.js';
import type { Readable } from 'node:stream';
import { InsertBody } from './insert-body.js';
import { pause } from './pacing.js';
import { RetryBudget, withRetry, type RetryPolicy } from './retry.js';
import { encodeHeld, type HeldRow } from './shape.js';
import { createStage, defuse, dropPublished, publishSql, stageOf, type Stage, type StagingWaits } from './staging.js';

/**
 * Exactly-once inserts. An insert has one time_last_dumped of its own and one query id, fixed
 * before its first attempt, and knows how to tell its rows apart in ClickHouse (the identity
 * half of their dump_id). Over a network each attempt is staged (staging.ts): its body goes into
 * a staging table of its own and is published into the table once ClickHouse answered for all of
 * it, so bytes held back by the network never land after the tool gave up on them. After any
 * failure, once nothing of the failed attempt can land any more (its staging table dropped, its
 * publish over; in process: no attempt runs), the rows carrying the insert's time_last_dumped
 * are counted per identity, and only the missing ones are sent again: never the whole body,
 * since a body cut at a row boundary is stored in part as if complete. Each attempt carries its
 * own insert_deduplication_token where the server has that setting. Rows stored twice are found
 * by the same count, deleted and written once more.
 */

/** One insert, fixed before its first attempt: its table, columns, row identity, time_last_dumped and query id. */
export interface InsertPlan {
  readonly into: TableName;
  readonly columns: readonly string[];
  readonly identitySql: string;
  readonly timeLastDumped: string;
  readonly queryId: string;
}

/** Plans an insert. */
export function planInsert(into: TableName, columns: readonly string[], identitySql: string, timeLastDumped: string): InsertPlan {
  return { into, columns, identitySql, timeLastDumped, queryId: `aspects-${randomUUID()}` };
}

/** What an insert sent, and how to send some of it again. */
export interface InsertContent {
  /** Rows sent. */
  readonly rows: number;
  /** The identity of every row that must be in ClickHouse. */
  identities(): Iterable<string>;
  /**
   * The CSV of the rows with these identities, made again with the insert's stamps. A row that
   * can no longer be made (gone from the source) is left out, and from `identities()` too.
   */
  resend(identities: ReadonlySet<string>): AsyncIterable<Buffer>;
}

/** The rows of a small insert, held in memory. */
export class HeldRows implements InsertContent {
  constructor(private readonly held: readonly HeldRow[]) {}

  get rows(): number {
    return this.held.length;
  }

  identities(): Iterable<string> {
    return this.held.map((row) => row.identity);
  }

  async *resend(identities: ReadonlySet<string>): AsyncIterable<Buffer> {
    yield* encodeHeld(this.held.filter((row) => identities.has(row.identity)));
  }

  /** The whole body. */
  async *all(): AsyncIterable<Buffer> {
    yield* encodeHeld(this.held);
  }
}

/** Where the last attempt of an insert whose outcome could not be checked was left. */
export interface LastAttempt {
  readonly stagingTable: string;
  /** The query id of its publish, when that was sent: its rows may then still land until the next run starts. */
  readonly publishId?: string;
}

/**
 * An insert that failed for good; `landed` says how many of its rows are in ClickHouse
 * (undefined: unknown, and then `last` says what of it may still land, for a staged insert).
 */
export class InsertFailed extends Error {
  constructor(readonly table: string, readonly failure: unknown, readonly total: number, readonly landed: number | undefined, readonly last?: LastAttempt) {
    super(messageOf(failure), { cause: failure });
    this.name = 'InsertFailed';
  }
}

/** What a writer tells the operator while it recovers an insert. */
export interface InsertListener {
  retrying(attempt: number, delayMs: number, reason: string): void;
  note(message: string): void;
}

/** ClickHouse's UNKNOWN_TABLE. */
const UNKNOWN_TABLE = 60;
/** QUERY_IS_PROHIBITED (allow_ddl=0) and ACCESS_DENIED (no CREATE TABLE grant): the user may not create a staging table. */
const DDL_DENIED = new Set([392, 497]);

/** Why creating a staging table was refused, when it was for want of rights; any other failure is rethrown. */
function ddlDenied(error: unknown): string {
  const code = clickHouseCode(messageOf(error));
  if (code === undefined || !DDL_DENIED.has(code)) throw error;
  return `Code ${code}`;
}

/** Writes inserts into one destination so that each row lands exactly once. */
export class ExactlyOnceWriter {
  private takesToken: Promise<boolean> | undefined;
  /** Publishes sent (by query id), whose staged rows may have landed whatever the answer. */
  private readonly publishes = new Set<string>();
  /** The staged attempts' query ids (`aspects-…-s<attempt>`); the other attempts went directly. */
  private readonly stagedAttempts = new Set<string>();
  /**
   * Set once inserts go directly, without staging tables, with what the run is told once: a
   * staging table was not there for the next request (requests reach several servers), or the
   * user was refused one (no CREATE TABLE).
   */
  private direct: { why: string; noted: boolean } | undefined;

  constructor(readonly target: ClickHouseTarget, readonly policy: RetryPolicy, readonly signal?: AbortSignal) {}

  /**
   * A server's insert into a Distributed table returns only once every shard stored its rows, so
   * that the check of what landed and the next run's compare see them (ignored by other tables).
   */
  private get distributedSync(): Record<string, string> {
    return this.target.overNetwork ? { insert_distributed_sync: '1' } : {};
  }

  /** Whether attempts go through staging tables (requests over a network, by a user who may create them). */
  get staged(): boolean {
    return this.target.overNetwork && this.direct === undefined;
  }

  /** Says once that inserts are written without staging tables, and why. */
  noteDirect(listener: InsertListener): void {
    if (!this.direct || this.direct.noted) return;
    this.direct.noted = true;
    listener.note(this.direct.why);
  }

  /** Starts attempt `attempt` of an insert; its body is written while it runs. */
  async open(plan: InsertPlan, attempt = 1): Promise<InsertBody> {
    this.takesToken ??= withRetry(() => this.lookUpToken(), isTransientClickHouse, this.policy, undefined, this.signal)
      .catch((error: unknown) => { this.takesToken = undefined; throw error; });
    const token = await this.takesToken;
    const settings = { settings: { ...(token ? { insert_deduplication_token: `${plan.queryId}-${attempt}` } : {}), ...this.distributedSync } };
    const direct = (body: Readable) => this.target.insertCsv(plan.into, plan.columns, body, { queryId: plan.queryId, ...settings });
    if (!this.staged) return new InsertBody(direct);
    const stage = stageOf(plan.into, plan.queryId, attempt);
    this.stagedAttempts.add(stage.insertId);
    return new InsertBody((body) => this.sendStaged(stage, plan.columns, body, settings, direct));
  }

  /**
   * One staged attempt: the body into its staging table, then, once all of it is there, the
   * publish. A user who may not create tables (Tutor's ch_cms: INSERT and SELECT only) writes
   * directly, this attempt and every later one, and the run says so once.
   */
  private async sendStaged(stage: Stage, columns: readonly string[], body: Readable, settings: InsertOptions, direct: (body: Readable) => Promise<void>): Promise<void> {
    const denied = await createStage(this.target, stage).then(() => undefined, (error: unknown) => ddlDenied(error));
    if (denied !== undefined) {
      this.stagedAttempts.delete(stage.insertId);
      this.direct ??= {
        why: `the ClickHouse user may not create tables (${denied}), so inserts are written directly, without staging tables: `
          + 'a request the network holds back after a killed run gave up could still land. Grant CREATE TABLE and DROP TABLE on the database (README: ClickHouse grants)',
        noted: false,
      };
      return direct(body);
    }
    await this.target.insertCsv(stage.table, columns, body, { queryId: stage.insertId }).catch((error: unknown) => this.unlessUnpinned(stage, error));
    this.publishes.add(stage.publishId);
    await this.target.command(publishSql(stage, columns), { queryId: stage.publishId, ...settings }).catch((error: unknown) => this.unlessUnpinned(stage, error));
    await dropPublished(this.target, stage);
  }

  /**
   * Rethrows a staging step's failure; when it says the staging table just created is not there,
   * requests reach more than one server (a load balancer): later attempts write directly.
   */
  private unlessUnpinned(stage: Stage, error: unknown): never {
    if (clickHouseCode(messageOf(error)) !== UNKNOWN_TABLE || !messageOf(error).includes(stage.table.table)) throw error;
    this.direct ??= {
      why: `a staging table created through ${this.target.description} was not there for the next request, so requests reach more than one `
        + 'ClickHouse server (a load balancer?): inserts are written directly from now on, and a request the network holds back after this run gave up could still land',
      noted: false,
    };
    throw new ClickHouseFailure(`staging table ${stage.table.table} was not there for the next request`, true);
  }

  /** Writes rows held in memory exactly once; InsertFailed says how much landed when that cannot be done. */
  async write(plan: InsertPlan, content: HeldRows, listener: InsertListener): Promise<void> {
    try {
      await this.send(plan, 1, content.all());
    } catch (error) {
      await this.complete(plan, content, error, listener);
    }
    this.noteDirect(listener);
  }

  /** After attempt 1 failed (or was abandoned): completes the insert, or throws InsertFailed. */
  async complete(plan: InsertPlan, content: InsertContent, failure: unknown, listener: InsertListener): Promise<void> {
    const attempts = new InsertAttempts(this, plan, content, listener);
    this.noteDirect(listener);
    let outcome: { readonly error: unknown } | undefined = { error: failure };
    for (let attempt = 2; ; attempt += 1) {
      const missing = await attempts.settle(outcome, attempt - 1);
      if (missing.size === 0) return;
      outcome = await this.send(plan, attempt, content.resend(missing)).then(() => undefined, (error: unknown) => ({ error }));
    }
  }

  /** Where attempt `attempt` was left, when what it stored cannot be checked. */
  lastAttempt(plan: InsertPlan, attempt: number): LastAttempt | undefined {
    const stage = stageOf(plan.into, plan.queryId, attempt);
    if (!this.stagedAttempts.has(stage.insertId)) return undefined;
    return { stagingTable: stage.table.table, ...(this.publishes.has(stage.publishId) ? { publishId: stage.publishId } : {}) };
  }

  /**
   * After attempt `attempt` failed: waits until nothing of it can land any more (its staging
   * table defused; in process, until the server runs no attempt).
   */
  async settleAttempt(plan: InsertPlan, attempt: number, waits: StagingWaits, listener: InsertListener): Promise<void> {
    const stage = stageOf(plan.into, plan.queryId, attempt);
    if (!this.stagedAttempts.has(stage.insertId)) return untilNoAttemptRuns(this.target, plan.queryId, waits);
    const defused = await defuse(this.target, stage.table, waits);
    if (!defused.dropped) listener.note(`attempt ${attempt} of an insert into ${plan.into.table} still runs into staging table ${stage.table.table} (query ${defused.insertId}); it is never published, and the next run drops it`);
  }

  /** One attempt with this body. */
  private async send(plan: InsertPlan, attempt: number, pieces: AsyncIterable<Buffer>): Promise<void> {
    const body = await this.open(plan, attempt);
    try {
      for await (const piece of pieces) await body.write(piece);
    } catch (error) {
      body.abandon();
      throw error;
    }
    await body.end();
  }

  /** Whether the server has insert_deduplication_token (22.2 and later). */
  private async lookUpToken(): Promise<boolean> {
    const rows = await this.target.query("SELECT count() AS n FROM system.settings WHERE name = 'insert_deduplication_token'");
    return Number(rows[0]?.n ?? 0) > 0;
  }
}

/** Between two looks at the server's running queries: long enough for a late request to show up. */
const SETTLE_MS = 1000;
const POLL_MS = 500;

/**
 * Waits until the server runs no attempt of this insert, seen twice a moment apart, so that a
 * request it had already received (a paused server, a lost response) is done before counting.
 * An attempt still running when the budget is spent is killed. (In process: no network holds a request back.)
 */
async function untilNoAttemptRuns(target: ClickHouseTarget, queryId: string, waits: StagingWaits): Promise<void> {
  const id = literal(queryId);
  for (let quiet = 0; quiet < 2;) {
    const [row] = await waits.retrying(() => target.query(`SELECT count() AS n FROM system.processes WHERE query_id = ${id}`));
    quiet = Number(row?.n ?? 0) === 0 ? quiet + 1 : 0;
    if (quiet === 0 && waits.expired()) await waits.retrying(() => target.command(`KILL QUERY WHERE query_id = ${id} SYNC`));
    if (quiet < 2) await waits.pause(quiet === 1 ? SETTLE_MS : POLL_MS);
  }
}

/** Stored copies of each identity carrying the insert's time_last_dumped. */
type Copies = ReadonlyMap<string, number>;

/** The attempts of one insert: its retry budget, and the checks of what of it landed. */
class InsertAttempts implements StagingWaits {
  private readonly budget: RetryBudget;
  private readonly target: ClickHouseTarget;

  constructor(private readonly writer: ExactlyOnceWriter, readonly plan: InsertPlan, readonly content: InsertContent, private readonly listener: InsertListener) {
    this.budget = new RetryBudget(writer.policy, writer.signal);
    this.target = writer.target;
  }

  /**
   * After an attempt ended (`outcome` holds its error if it failed): the identities still to
   * send once copies stored twice are deleted; InsertFailed when nothing more can be done.
   */
  async settle(outcome: { readonly error: unknown } | undefined, attempt: number): Promise<Set<string>> {
    const total = this.content.rows;
    const copies = await this.copies(attempt).catch(() => undefined);
    if (copies === undefined) {
      const last = this.writer.lastAttempt(this.plan, attempt);
      throw new InsertFailed(this.plan.into.table, outcome?.error ?? new Error('the insert could not be checked'), total, undefined, last);
    }
    const missing = await this.missing(copies);
    if (outcome === undefined || missing.size === 0) {
      if (outcome && total > 0) this.listener.note(`the answer to an insert into ${this.plan.into.table} was lost (${messageOf(outcome.error)}); all ${total} rows had landed`);
      return missing;
    }
    await this.wait(outcome.error, total - missing.size);
    return missing;
  }

  /** Waits before the next attempt, or throws InsertFailed when the failure is final or the budget spent. */
  private async wait(failure: unknown, landed: number): Promise<void> {
    const total = this.content.rows;
    const transient = isTransientClickHouse(failure);
    const delayMs = transient ? this.budget.next() : undefined;
    if (delayMs === undefined) throw new InsertFailed(this.plan.into.table, failure, total, landed);
    this.listener.retrying(this.budget.attempts, delayMs, `ClickHouse insert: ${messageOf(failure)}; ${landed} of ${total} rows had landed`);
    await this.budget.wait(delayMs);
  }

  /** The identities sent but not stored exactly once; copies stored twice are deleted first. */
  private async missing(copies: Copies): Promise<Set<string>> {
    const missing = new Set<string>();
    const doubled: string[] = [];
    for (const identity of this.content.identities()) {
      const stored = copies.get(identity) ?? 0;
      if (stored !== 1) missing.add(identity);
      if (stored > 1) doubled.push(identity);
    }
    if (doubled.length > 0) await this.removeCopies(doubled);
    return missing;
  }

  /** The stored copies of the insert's rows, once nothing of attempt `attempt` can land any more. */
  private async copies(attempt: number): Promise<Copies> {
    const { plan } = this;
    await this.writer.settleAttempt(plan, attempt, this, this.listener);
    const rows = await this.retrying(() => this.target.query(`SELECT ${plan.identitySql} AS identity, count() AS copies `
      + `FROM ${qualifiedTable(plan.into.database, plan.into.table)} WHERE time_last_dumped = ${literal(plan.timeLastDumped)} GROUP BY identity`));
    return new Map(rows.map((row) => [String(row.identity), Number(row.copies)]));
  }

  expired(): boolean {
    return this.budget.expired();
  }

  pause(ms: number): Promise<void> {
    return pause(ms, this.writer.signal);
  }

  /** Deletes every stored copy of rows an attempt delivered late stored twice; they are sent once more. */
  private async removeCopies(doubled: readonly string[]): Promise<void> {
    const { plan } = this;
    this.listener.note(`${doubled.length} rows of an insert into ${plan.into.table} were stored twice by a late attempt; deleting the copies and writing them once`);
    const conditions = chunks(doubled).map((identities) =>
      `time_last_dumped = ${literal(plan.timeLastDumped)} AND ${plan.identitySql} IN (${identities.map((identity) => literal(identity)).join(', ')})`);
    const method = await this.retrying(() => deleteMethod(this.target));
    await deleteWhere(this.target, method, plan.into, conditions, this.writer.policy.budgetMs);
  }

  /** Runs a query, retrying transient failures within the insert's budget. */
  async retrying<T>(operation: () => Promise<T>): Promise<T> {
    for (;;) {
      try {
        return await operation();
      } catch (error) {
        const delayMs = isTransientClickHouse(error) ? this.budget.next() : undefined;
        if (delayMs === undefined) throw error;
        this.listener.retrying(this.budget.attempts, delayMs, `checking what landed: ${messageOf(error)}`);
        await this.budget.wait(delayMs);
      }
    }
  }
}

