import { ClickHouseFailure, type ClickHouseTarget } from '../clickhouse/target.js';
import { AspectsError, Interrupted, RuntimeFailure, messageOf } from '../errors.js';
import type { LmsDatabase } from '../lms/database.js';
import { countRows, readPage, type Key, type RowFilter } from '../lms/keyset.js';
import { loadReferences, type References } from '../lms/references.js';
import { retiredUserIds } from '../lms/retired-users.js';
import { isTransientMysqlError } from '../lms/transient.js';
import type { Reporter } from '../output/reporter.js';
import type { Sink } from '../sinks/types.js';
import { isTransientStructureError } from '../structure/transient.js';
import type { CourseStructure, StructureSource } from '../structure/types.js';
import { nowPythonDatetime } from '../format/datetime.js';
import { RETIRED_USER, type Decision } from './decision.js';
import { openIncremental, type Incremental } from './incremental.js';
import { pause } from './pacing.js';
import type { DumpRequest } from './request.js';
import { withRetry } from './retry.js';
import { groupWithChildren } from './children.js';
import { encodeStamped, insertColumns, shapeRow, targetKeyOf, withStampColumns, type ShapedRow, type StampedRow } from './shape.js';
import { countDecision, emptyObjectSummary, type ObjectSummary } from './summary.js';

/** The connections and listeners a dump runs with. */
export interface DumpContext {
  readonly lms: LmsDatabase;
  readonly clickhouse: ClickHouseTarget;
  /** ClickHouse database holding the event_sink tables. */
  readonly database: string;
  readonly reporter: Reporter;
  /** Aborted on SIGINT/SIGTERM: the current batch finishes, then the run stops. */
  readonly signal: AbortSignal;
  /** Course structures, for sinks with children (course_blocks). */
  readonly structures?: StructureSource;
}

const isTransientClickHouse = (error: unknown): boolean => error instanceof ClickHouseFailure && error.transient;

/** A key as a shell word: numbers bare, text keys single-quoted. */
function shellWord(key: Key): string {
  return typeof key === 'number' ? String(key) : `'${key.replaceAll("'", "'\\''")}'`;
}

/** Where to pick up after a stop, in words an operator can paste. */
function resumeHint(sink: Sink, summary: ObjectSummary, filter: RowFilter): string {
  const from = summary.last_pk ?? filter.afterKey;
  if (from === undefined || from === null) return `nothing of ${sink.name} was written; run the same command again`;
  return `${sink.name} is complete up to pk ${from}; resume with the same options and --object ${sink.name} --start-pk ${shellWord(from)}`;
}

/** One object to dump and the rows it selects. */
export interface DumpTarget {
  readonly sink: Sink;
  readonly filter: RowFilter;
}

class ObjectDump {
  readonly summary: ObjectSummary;
  private references: References | undefined;
  private incremental: Incremental | undefined;
  private retiredUsers: ReadonlySet<number> | undefined;

  private readonly sink: Sink;
  private readonly filter: RowFilter;

  constructor(target: DumpTarget, private readonly request: DumpRequest, private readonly ctx: DumpContext) {
    this.sink = target.sink;
    this.filter = target.filter;
    this.summary = emptyObjectSummary(target.sink.name, target.sink.table);
  }

  private retrying(what: string) {
    return (attempt: number, delayMs: number, error: unknown): void =>
      this.ctx.reporter.retrying(this.sink.name, attempt, delayMs, `${what}: ${messageOf(error)}`);
  }

  private readMysql<T>(operation: () => Promise<T>): Promise<T> {
    return withRetry(operation, isTransientMysqlError, this.request.retry, this.retrying('MySQL read'));
  }

  private callClickHouse<T>(operation: () => Promise<T>, what: string): Promise<T> {
    return withRetry(operation, isTransientClickHouse, this.request.retry, this.retrying(what));
  }

  private note(row: ShapedRow, decision: Decision): void {
    countDecision(this.summary, decision);
    if (this.request.explain) this.ctx.reporter.decision(this.sink.name, row.key, decision);
    if (!decision.dump) this.summary.rows_unchanged += 1;
  }

  /** Rows of retired users are dropped (and counted) before anything else is decided. */
  private withoutRetiredUsers(rows: readonly ShapedRow[]): ShapedRow[] {
    const column = this.sink.columns.findIndex((each) => each.name === this.sink.userColumn);
    if (column < 0 || !this.retiredUsers) return [...rows];
    return rows.filter((row) => {
      const retired = this.retiredUsers?.has(Number(row.cells[column]?.text));
      if (retired) this.note(row, RETIRED_USER);
      return !retired;
    });
  }

  /** The rows of a batch that are out of date; every decision is counted and, if asked, reported. */
  private async pending(rows: readonly ShapedRow[]): Promise<readonly ShapedRow[]> {
    const candidates = this.withoutRetiredUsers(rows);
    const incremental = this.incremental as Incremental;
    const decisions = await this.callClickHouse(() => incremental.decide(candidates), 'ClickHouse lookup');
    return candidates.filter((row, index) => {
      const decision = decisions[index] as Decision;
      this.note(row, decision);
      return decision.dump;
    });
  }

  private async write(table: string, columns: readonly string[], rows: readonly StampedRow[]): Promise<void> {
    if (this.request.dryRun || rows.length === 0) return;
    const csv = encodeStamped(rows);
    const into = { database: this.ctx.database, table };
    await this.callClickHouse(() => this.ctx.clickhouse.insertCsv(into, columns, csv), 'ClickHouse insert');
  }

  private async structuresOf(rows: readonly ShapedRow[]): Promise<Map<string, CourseStructure>> {
    const source = this.ctx.structures;
    if (!source) throw new Error(`${this.sink.name} has children but no structure source was opened`);
    const keys = rows.map((row) => targetKeyOf(this.sink, row));
    return withRetry(() => source.structuresFor(keys), isTransientStructureError, this.request.retry,
      this.retrying(`${source.name} read`));
  }

  /**
   * Writes the rows with their children. Children go first: the parent row's time_last_dumped is
   * what the next incremental run trusts, so it must only land once its children have.
   */
  private async insert(rows: readonly ShapedRow[]): Promise<void> {
    if (rows.length === 0) return;
    const children = this.sink.children ?? [];
    const structures = children.length > 0 ? await this.structuresOf(rows) : new Map<string, CourseStructure>();
    const groups = groupWithChildren(rows, (row) => targetKeyOf(this.sink, row), children, structures,
      this.references as References, nowPythonDatetime(), this.request.batchSize);
    for (const group of groups) {
      for (const [index, child] of children.entries()) {
        const childRows = group.children[index] as StampedRow[];
        await this.write(child.table, withStampColumns(child.columns), childRows);
        this.summary.child_rows_written[child.name] = (this.summary.child_rows_written[child.name] ?? 0) + childRows.length;
      }
      await this.write(this.sink.table, insertColumns(this.sink), group.parents);
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
    const pending = await this.pending(shaped);
    await this.insert(pending);
    this.record(shaped, pending.length, total);
    return rows.length === size;
  }

  private record(shaped: readonly ShapedRow[], written: number, total: number): void {
    const summary = this.summary;
    summary.rows_read += shaped.length;
    summary.rows_written += written;
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
    if (this.sink.userColumn) this.retiredUsers = await this.readMysql(() => retiredUserIds(lms));
    const { clickhouse, database } = this.ctx;
    this.incremental = await this.callClickHouse(
      () => openIncremental(this.sink, this.request.force, clickhouse, database), 'ClickHouse lookup');
    const total = await this.readMysql(() => countRows(lms, this.sink.source, this.filter));
    reporter.objectStarted(this.sink.name, total);
    for (let more = !signal.aborted; more; ) {
      more = await this.batch(total);
      if (more && signal.aborted) throw new Interrupted(`interrupted: ${resumeHint(this.sink, this.summary, this.filter)}`);
      if (more) await pause(this.request.sleepSeconds * 1000, signal);
    }
    if (signal.aborted && this.summary.batches === 0) {
      throw new Interrupted(`interrupted before ${this.sink.name} started; run the same command again`);
    }
  }

  /** Runs the dump and records how it ended; rethrows failures with the resume point. */
  async settle(): Promise<void> {
    const startedAt = performance.now();
    try {
      await this.run();
      this.summary.status = 'success';
    } catch (error) {
      const interrupted = error instanceof Interrupted;
      this.summary.status = interrupted ? 'interrupted' : 'failed';
      this.summary.error = messageOf(error);
      if (interrupted) throw error;
      const hint = resumeHint(this.sink, this.summary, this.filter);
      throw new RuntimeFailure(`${this.sink.name} failed: ${messageOf(error)}. ${hint}`, { cause: error });
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
