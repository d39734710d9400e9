import { ClickHouseFailure, type ClickHouseTarget } from '../clickhouse/target.js';
import { AspectsError, Interrupted, RuntimeFailure, messageOf } from '../errors.js';
import type { LmsDatabase } from '../lms/database.js';
import { countRows, readPage, type RowFilter } from '../lms/keyset.js';
import { loadReferences, type References } from '../lms/references.js';
import { RetirementWatch } from '../lms/retired-users.js';
import { isTransientMysqlError } from '../lms/transient.js';
import { deleteMethod, deleteUsers } from '../retire/delete.js';
import type { Reporter } from '../output/reporter.js';
import type { Sink } from '../sinks/types.js';
import { isTransientStructureError } from '../structure/transient.js';
import type { CourseStructure, StructureSource } from '../structure/types.js';
import { nowPythonDatetime } from '../format/datetime.js';
import { RETIRED_USER, type Decision } from './decision.js';
import { BY_DUMP_ID, InsertFailed, byDumpIdAnd, prepareInsert, type ExactlyOnceWriter, type InsertListener, type RowIdentity } from './exactly-once.js';
import { openIncremental, type Incremental } from './incremental.js';
import { pause } from './pacing.js';
import type { DumpRequest } from './request.js';
import { TableReplaced, failedBatch, landedLine, resumeHint, tableGone } from './resume.js';
import { witness, type TableWitness } from './table-witness.js';
import { withRetry } from './retry.js';
import { groupWithChildren } from './children.js';
import { insertColumns, shapeRow, targetKeyOf, withStampColumns, type ShapedRow, type StampedRow } from './shape.js';
import { countDecision, emptyObjectSummary, type ObjectSummary } from './summary.js';

/** Guards every write of a run: the run lock still held, and PII writes under the retire lock. */
export interface WriteGuard {
  /**
   * Runs one batch's retirement check, decisions and inserts (`table` is the sink's table);
   * `afterLoss` runs if the write lock was lost while they ran.
   */
  around<T>(table: string, work: () => Promise<T>, afterLoss?: () => Promise<void>): Promise<T>;
}

/** The connections and listeners a dump runs with. */
export interface DumpContext {
  readonly lms: LmsDatabase;
  readonly clickhouse: ClickHouseTarget;
  readonly writer: ExactlyOnceWriter;
  /** ClickHouse database holding the event_sink tables. */
  readonly database: string;
  readonly reporter: Reporter;
  /** Aborted on the first SIGINT/SIGTERM: the current batch finishes, then the run stops. */
  readonly signal: AbortSignal;
  /** Aborted on the second: retries stop and the write under way is abandoned. */
  readonly hardStop: AbortSignal;
  /** Course structures, for sinks with children (course_blocks). */
  readonly structures?: StructureSource;
  readonly guard: WriteGuard;
}

const isTransientClickHouse = (error: unknown): boolean => error instanceof ClickHouseFailure && error.transient;

/** One object to dump and the rows it selects. */
export interface DumpTarget {
  readonly sink: Sink;
  readonly filter: RowFilter;
}

/** How many rows of each table one batch has stored so far. */
type Tally = Map<string, number>;

function addTo(tally: Tally, table: string, rows: number): void {
  tally.set(table, (tally.get(table) ?? 0) + rows);
}

class ObjectDump {
  readonly summary: ObjectSummary;
  private references: References | undefined;
  private incremental: Incremental | undefined;
  private retirements: RetirementWatch | undefined;
  /** Per table written to: what shows it still holds the run's first insert. */
  private readonly witnesses = new Map<string, TableWitness>();

  private readonly sink: Sink;
  private readonly filter: RowFilter;
  /** Where the user id sits among the cells (PII sinks), or -1. */
  private readonly userIndex: number;
  private readonly listener: InsertListener;

  constructor(target: DumpTarget, private readonly request: DumpRequest, private readonly ctx: DumpContext) {
    this.sink = target.sink;
    this.filter = target.filter;
    this.summary = emptyObjectSummary(target.sink.name, target.sink.table);
    this.userIndex = target.sink.columns.findIndex((each) => each.name === target.sink.userColumn);
    this.listener = {
      retrying: (attempt, delayMs, reason) => ctx.reporter.retrying(target.sink.name, attempt, delayMs, reason),
      note: (message) => ctx.reporter.notice(`${target.sink.name}: ${message}`),
    };
  }

  private retrying(what: string) {
    return (attempt: number, delayMs: number, error: unknown): void =>
      this.ctx.reporter.retrying(this.sink.name, attempt, delayMs, `${what}: ${messageOf(error)}`);
  }

  private readMysql<T>(operation: () => Promise<T>): Promise<T> {
    return withRetry(operation, isTransientMysqlError, this.request.retry, this.retrying('MySQL read'), this.ctx.hardStop);
  }

  private callClickHouse<T>(operation: () => Promise<T>, what: string): Promise<T> {
    return withRetry(operation, isTransientClickHouse, this.request.retry, this.retrying(what), this.ctx.hardStop);
  }

  private note(row: ShapedRow, decision: Decision): void {
    countDecision(this.summary, decision);
    if (this.request.explain) this.ctx.reporter.decision(this.sink.name, row.key, decision);
    if (!decision.dump) this.summary.rows_unchanged += 1;
  }

  /** Rows of retired users are dropped (and counted) before anything else is decided. */
  private withoutRetiredUsers(rows: readonly ShapedRow[]): ShapedRow[] {
    const watch = this.retirements;
    if (this.userIndex < 0 || !watch) return [...rows];
    return rows.filter((row) => {
      const retired = watch.has(Number(row.cells[this.userIndex]?.text));
      if (retired) this.note(row, RETIRED_USER);
      return !retired;
    });
  }

  /** The rows of a batch that are out of date; every decision is counted and, if asked, reported. */
  private async pending(rows: readonly ShapedRow[]): Promise<readonly ShapedRow[]> {
    const watch = this.retirements;
    if (watch) await this.readMysql(() => watch.refresh());
    const candidates = this.withoutRetiredUsers(rows);
    const incremental = this.incremental as Incremental;
    const decisions = await this.callClickHouse(() => incremental.decide(candidates), 'ClickHouse lookup');
    return candidates.filter((row, index) => {
      const decision = decisions[index] as Decision;
      this.note(row, decision);
      return decision.dump;
    });
  }

  /** One insert through the exactly-once writer; what landed is added to `tally` even when it fails. */
  private async write(table: string, columns: readonly string[], rows: readonly StampedRow[], identity: RowIdentity, tally: Tally): Promise<void> {
    if (this.request.dryRun || rows.length === 0) {
      addTo(tally, table, rows.length);
      return;
    }
    const insert = prepareInsert({ database: this.ctx.database, table }, columns, rows, identity);
    try {
      await this.ctx.writer.write(insert, this.listener);
      addTo(tally, table, rows.length);
      if (!this.witnesses.has(table)) this.witnesses.set(table, await this.callClickHouse(() => witness(this.ctx.clickhouse, insert.into, columns, rows[0] as StampedRow), 'ClickHouse lookup'));
    } catch (error) {
      if (error instanceof InsertFailed) addTo(tally, table, error.landed ?? 0);
      throw error;
    }
  }

  private async structuresOf(rows: readonly ShapedRow[]): Promise<Map<string, CourseStructure>> {
    const source = this.ctx.structures;
    if (!source) throw new Error(`${this.sink.name} has children but no structure source was opened`);
    const keys = rows.map((row) => targetKeyOf(this.sink, row));
    return withRetry(() => source.structuresFor(keys), isTransientStructureError, this.request.retry,
      this.retrying(`${source.name} read`), this.ctx.hardStop);
  }

  /**
   * Writes the rows with their children. Children go first: the parent row's time_last_dumped is
   * what the next incremental run trusts, so it must only land once its children have.
   */
  private async insert(rows: readonly ShapedRow[], tally: Tally): Promise<void> {
    if (rows.length === 0) return;
    const children = this.sink.children ?? [];
    const structures = children.length > 0 ? await this.structuresOf(rows) : new Map<string, CourseStructure>();
    const groups = groupWithChildren(rows, (row) => targetKeyOf(this.sink, row), children, structures,
      this.references as References, nowPythonDatetime(), this.request.batchSize);
    for (const group of groups) {
      for (const [index, child] of children.entries()) {
        const identity = byDumpIdAnd(child.rowKey, child.columns.indexOf(child.rowKey));
        await this.write(child.table, withStampColumns(child.columns), group.children[index] as StampedRow[], identity, tally);
      }
      await this.write(this.sink.table, insertColumns(this.sink), group.parents, BY_DUMP_ID, tally);
    }
  }

  /** Reads, compares and writes one page; false when the source is exhausted. */
  private async batch(total: number): Promise<boolean> {
    const { limit, batchSize } = this.request;
    const size = limit === undefined ? batchSize : Math.min(batchSize, limit - this.summary.rows_written);
    if (size <= 0) return false;
    const after = this.summary.last_pk ?? this.filter.afterKey;
    const rows = await this.readMysql(() => readPage(this.ctx.lms, this.sink.source, this.filter, after, size));
    if (rows.length === 0) return false;
    const shaped = rows.map((row) => shapeRow(this.sink, row, this.references));
    const tally: Tally = new Map();
    let pending: readonly ShapedRow[] = [];
    try {
      await this.ctx.guard.around(this.sink.table, async () => {
        pending = await this.pending(shaped);
        await this.insert(pending, tally);
      }, () => this.purgeRetired(pending));
    } catch (error) {
      if (error instanceof InsertFailed) this.summary.failed_batch = failedBatch(this.sink.table, pending.length, tally.get(this.sink.table) ?? 0, error);
      throw error;
    } finally {
      this.count(tally);
    }
    this.record(shaped, total);
    return rows.length === size;
  }

  /**
   * After the write lock was lost during a batch (its MySQL session ended): rows of users retired
   * in the meantime are deleted again, so a concurrent retire's verdict still holds.
   */
  private async purgeRetired(written: readonly ShapedRow[]): Promise<void> {
    const watch = this.retirements;
    if (!watch || this.userIndex < 0 || this.request.dryRun) return;
    await this.readMysql(() => watch.refresh());
    const users = [...new Set(written.map((row) => Number(row.cells[this.userIndex]?.text)))].filter((id) => watch.has(id));
    if (users.length === 0) return;
    const { clickhouse, database } = this.ctx;
    await this.callClickHouse(async () => deleteUsers(clickhouse, await deleteMethod(clickhouse), database, this.sink.table, users, this.request.retry.budgetMs), 'ClickHouse delete');
    this.ctx.reporter.notice(`${this.sink.name}: ${users.length} users retired during a batch whose write lock was lost; their rows were deleted again`);
  }

  /** Adds what a batch stored to the summary (also for a batch that failed part-way). */
  private count(tally: Tally): void {
    this.summary.rows_written += tally.get(this.sink.table) ?? 0;
    for (const child of this.sink.children ?? []) {
      const rows = tally.get(child.table);
      if (rows !== undefined) this.summary.child_rows_written[child.name] = (this.summary.child_rows_written[child.name] ?? 0) + rows;
    }
  }

  private record(shaped: readonly ShapedRow[], total: number): void {
    const summary = this.summary;
    summary.rows_read += shaped.length;
    summary.batches += 1;
    summary.last_pk = (shaped[shaped.length - 1] as ShapedRow).key;
    this.ctx.reporter.batchDone({
      object: this.sink.name, rowsRead: summary.rows_read, rowsTotal: total,
      rowsWritten: summary.rows_written, lastKey: summary.last_pk, batch: summary.batches,
    });
  }

  async run(): Promise<void> {
    const { lms, reporter, signal } = this.ctx;
    this.references = await this.readMysql(() => loadReferences(this.sink.references ?? [], lms));
    if (this.sink.userColumn) this.retirements = await this.readMysql(() => RetirementWatch.open(lms));
    const { clickhouse, database } = this.ctx;
    this.incremental = await this.callClickHouse(
      () => openIncremental(this.sink, this.request.force, clickhouse, database), 'ClickHouse lookup');
    const total = await this.readMysql(() => countRows(lms, this.sink.source, this.filter));
    reporter.objectStarted(this.sink.name, total);
    for (let more = !signal.aborted; more; ) {
      more = await this.batch(total);
      if (more && signal.aborted) throw new Interrupted(`interrupted: ${this.hint(await this.tableReplaced().catch(() => false))}`);
      if (more) await pause(this.request.sleepSeconds * 1000, signal);
    }
    if (await this.tableReplaced()) throw new TableReplaced(`of ${this.sink.name}`);
    if (signal.aborted && this.summary.batches === 0) {
      throw new Interrupted(`interrupted before ${this.sink.name} started; run the same command again`);
    }
  }

  /** Whether a table written to lost the run's first insert into it (dropped, maybe created again). */
  private async tableReplaced(): Promise<boolean> {
    for (const witness of this.witnesses.values()) {
      if (!(await this.callClickHouse(() => witness.stillThere(this.ctx.clickhouse), 'ClickHouse lookup'))) return true;
    }
    return false;
  }

  private hint(tableLost = false): string {
    return resumeHint(this.sink, this.summary, this.filter, this.request.force, tableLost);
  }

  /** The failure as the operator reads it: what went wrong, what of the batch landed, how to go on. */
  private async failure(error: unknown): Promise<AspectsError> {
    if (error instanceof Interrupted) return error;
    const landed = this.summary.failed_batch ? `${landedLine(this.summary.failed_batch)}; ` : '';
    if (this.ctx.hardStop.aborted) return new Interrupted(`interrupted during a write: ${landed}${this.hint()}`);
    const lost = tableGone(error) || await this.tableReplaced().catch(() => false);
    return new RuntimeFailure(`${this.sink.name} failed: ${messageOf(error)}. ${landed}${this.hint(lost)}`, { cause: error });
  }

  /** Runs the dump and records how it ended; rethrows failures with the resume point. */
  async settle(): Promise<void> {
    const startedAt = performance.now();
    try {
      await this.run();
      this.summary.status = 'success';
    } catch (error) {
      const failure = await this.failure(error);
      this.summary.status = failure instanceof Interrupted ? 'interrupted' : 'failed';
      this.summary.error = messageOf(error);
      throw failure;
    } finally {
      this.summary.seconds = Math.round(performance.now() - startedAt) / 1000;
      this.ctx.reporter.objectFinished(this.summary);
    }
  }
}

/**
 * Dumps each sink in turn and returns one summary per sink. The first failure stops the run:
 * the remaining sinks are reported as not-run and the error carries the resume point.
 */
export async function runDump(
  targets: readonly DumpTarget[], request: DumpRequest, ctx: DumpContext,
): Promise<{ objects: ObjectSummary[]; error?: AspectsError }> {
  const objects = targets.map((target) => new ObjectDump(target, request, ctx));
  for (const dump of objects) {
    try {
      await dump.settle();
    } catch (error) {
      return { objects: objects.map((each) => each.summary), error: error as AspectsError };
    }
  }
  return { objects: objects.map((each) => each.summary) };
}
