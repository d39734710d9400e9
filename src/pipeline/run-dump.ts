import { memoryExceeded, rowsDoNotFit } from '../clickhouse/classify.js';
import { isTransientClickHouse, type ClickHouseTarget, type TableName } from '../clickhouse/target.js';
import { AspectsError, Interrupted, RuntimeFailure, UsageError, messageOf } from '../errors.js';
import type { LmsReader } from '../lms/database.js';
import { keySpan, type KeySpan, type Query, type RowFilter, type SelectFields } from '../lms/keyset.js';
import { loadReferences, type References } from '../lms/references.js';
import { RetirementWatch } from '../lms/retired-users.js';
import { isTransientMysqlError } from '../lms/transient.js';
import { deleteMethod, deleteUsers } from '../retire/delete.js';
import type { Reporter } from '../output/reporter.js';
import type { Sink } from '../sinks/types.js';
import type { StructureSource } from '../structure/types.js';
import type { ChangePlan } from './change-plan.js';
import { StoredFingerprints, keyIsSourceKey } from './compare.js';
import { CountedRows, NestedRows, StreamedRows, type Destination, type DestinationContext } from './destinations.js';
import { combinedFailure, endsTheRun } from './failures.js';
import { InsertFailed, type ExactlyOnceWriter, type InsertListener } from './exactly-once.js';
import { FINGERPRINT_FIELD, fingerprintSql, hasComputedColumns, withFingerprint } from './fingerprint.js';
import { openIncremental } from './incremental.js';
import { runLanes, type Lane, type TurnOrder } from './lanes.js';
import { pause } from './pacing.js';
import { PageWriter, Retirements } from './page-writer.js';
import { unitPages, type PageReader, type Probe } from './pages.js';
import { Progress } from './progress.js';
import type { DumpRequest } from './request.js';
import { TableReplaced, landedLine, resumeHint, tableGone } from './resume.js';
import { withRetry } from './retry.js';
import { pageRowMaker } from './shape.js';
import { StructureReads } from './structure-reads.js';
import { noteLeftOut } from './left-out.js';
import { emptyObjectSummary, type ObjectSummary } from './summary.js';
import { witness, type TableWitness, type WrittenRow } from './table-witness.js';
import { unchangedUnits } from './unit-summaries.js';
import { unitGrid, unitsOf, unitsOfIds, type Unit, type UnitGrid } from './units.js';
import type { WriteGuard } from './write-guard.js';

/** The connections and listeners a dump runs with. */
export interface DumpContext {
  readonly lms: LmsReader;
  readonly clickhouse: ClickHouseTarget;
  readonly writer: ExactlyOnceWriter;
  /** ClickHouse database holding the event_sink tables. */
  readonly database: string;
  readonly reporter: Reporter;
  /** Aborted on the first SIGINT/SIGTERM: the current page finishes, then the run stops. */
  readonly signal: AbortSignal;
  /** Aborted on the second: retries stop and the write under way is abandoned. */
  readonly hardStop: AbortSignal;
  /** Course structures, for sinks with children (course_blocks). */
  readonly structures?: StructureSource;
  readonly guard: WriteGuard;
  /** --prune: run first for each object (prune.ts). */
  readonly prune?: (sink: Sink, summary: ObjectSummary) => Promise<void>;
  /** Which keys an object's run reads: those its change signal names, or all (change-plan.ts). */
  readonly changes?: (sink: Sink, filter: RowFilter, summary: ObjectSummary) => Promise<ChangePlan>;
  /** The LMS's retirements, up to date (follow keeps one watch across its passes); else each PII object opens its own. */
  readonly retirementWatch?: () => Promise<RetirementWatch>;
}

/** One object to dump and the rows it selects. */
export interface DumpTarget {
  readonly sink: Sink;
  readonly filter: RowFilter;
  /** Who chose the --ids: the operator (keys the LMS lacks are said aloud), or the binlog (a deleted row is no news). */
  readonly idsFrom?: 'operator' | 'binlog';
}

/** Seconds of --sleep-time from which each page's insert is completed before the pause. */
const LONG_PAUSE_SECONDS = 5;
/** Longest time an insert stays open, taking pages. */
const INSERT_OPEN_SECONDS = 60;
/** Stored fingerprints are read in about this many spans of keys per object (a table not sorted by its key is scanned once a span)... */
const SPANS_PER_OBJECT = 2;
/** ...of at least this many pages... */
const PAGES_PER_SPAN = 10;
/** ...and at most this many keys (memory: 9 bytes a key kept, and the lookup's answer while it is parsed). */
const MAX_SPAN_KEYS = 500_000;
/** The parts of one object's dump, made once its references and rules are loaded. */
interface Stages {
  readonly reader: PageReader;
  readonly pages: PageWriter;
  readonly destination: Destination;
}

class ObjectDump {
  readonly summary: ObjectSummary;
  private readonly sink: Sink;
  /** The operator's selection of rows... */
  private readonly asked: RowFilter;
  /** ...and the rows read: the keys a change signal names, or the same. */
  private filter: RowFilter;
  private readonly idsFrom: DumpTarget['idsFrom'];
  private readonly listener: InsertListener;
  /** Per table written to: what shows it still holds the run's first insert. */
  private readonly witnesses = new Map<string, TableWitness>();
  private destination: Destination | undefined;
  /** Aborted once --limit rows are written: pending pauses end, and no further page is read. */
  private readonly reading = new AbortController();
  private readonly structures: StructureReads;

  constructor(target: DumpTarget, private readonly request: DumpRequest, private readonly ctx: DumpContext) {
    this.sink = target.sink;
    [this.asked, this.filter, this.idsFrom] = [target.filter, target.filter, target.idsFrom];
    this.summary = emptyObjectSummary(target.sink.name, target.sink.table);
    this.listener = {
      retrying: (attempt, delayMs, reason) => ctx.reporter.retrying(target.sink.name, attempt, delayMs, reason),
      note: (message) => ctx.reporter.notice(`${target.sink.name}: ${message}`),
    };
    this.structures = new StructureReads(target.sink, ctx.structures, { policy: request.retry, retrying: (what) => this.retrying(what), hardStop: ctx.hardStop });
  }

  private retrying(what: string) {
    return (attempt: number, delayMs: number, error: unknown): void =>
      this.ctx.reporter.retrying(this.sink.name, attempt, delayMs, `${what}: ${messageOf(error)}`);
  }

  private readMysql<T>(operation: () => Promise<T>): Promise<T> {
    return withRetry(operation, isTransientMysqlError, this.request.retry, this.retrying('MySQL read'), this.ctx.hardStop);
  }

  private callClickHouse<T>(operation: () => Promise<T>, what = 'ClickHouse lookup'): Promise<T> {
    return withRetry(operation, isTransientClickHouse, this.request.retry, this.retrying(what), this.ctx.hardStop);
  }

  /** The select list of full reads: with the fingerprint wherever rows are compared by it or written. */
  private fields(): SelectFields {
    return this.sink.incremental.kind === 'changed-rows' ? withFingerprint(this.sink) : this.sink.source.fields;
  }

  /** Unchanged rows found from fingerprints alone: changed-rows objects without computed columns. */
  private probe(stored: StoredFingerprints): Probe | undefined {
    const { sink, request } = this;
    if (request.force || sink.incremental.kind !== 'changed-rows' || hasComputedColumns(sink)) return undefined;
    const column = sink.columns.find((each) => each.name === sink.incremental.targetKey);
    const keyField = typeof column?.source === 'string' ? { [column.source]: sink.source.fields[column.source] as string } : {};
    return {
      fields: { [FINGERPRINT_FIELD]: fingerprintSql(sink), ...keyField },
      ranged: keyIsSourceKey(sink),
      decide: (page) => stored.decide(page),
    };
  }

  /** The stored fingerprints of the object, read a span of keys at a time (about an eighth of the span of keys). */
  private storedFingerprints(span: KeySpan): StoredFingerprints {
    const width = typeof span.first === 'number' && typeof span.last === 'number' ? span.last - span.first + 1 : 0;
    const spanKeys = Math.min(MAX_SPAN_KEYS, Math.max(this.request.batchSize * PAGES_PER_SPAN, Math.ceil(width / SPANS_PER_OBJECT)));
    return new StoredFingerprints(this.ctx.clickhouse, this.ctx.database, this.sink, spanKeys, this.filter.ids !== undefined);
  }

  /** Whole units found unchanged from summaries alone (unit-summaries.ts): where rows are probed, and no decision is to be listed. */
  private unchanged(stored: StoredFingerprints, grid: UnitGrid | undefined, retirements: Retirements | undefined): PageReader['unchanged'] {
    if (!grid || !this.probe(stored) || this.request.explain) return undefined;
    return unchangedUnits({
      sink: this.sink, filter: this.filter, grid, stored, lms: this.ctx.lms, retired: () => retirements?.users() ?? [],
      readMysql: (operation) => this.readMysql(operation), callClickHouse: (operation) => this.callClickHouse(operation),
    });
  }

  /** Loads what the object's pages are read, decided and written with. */
  private async stages(span: KeySpan, grid: UnitGrid | undefined): Promise<Stages> {
    const { lms, clickhouse, database, reporter } = this.ctx;
    const references = await this.readMysql(() => loadReferences(this.sink.references ?? [], lms));
    const stored = this.storedFingerprints(span);
    const incremental = await this.callClickHouse(() => openIncremental(this.sink, this.request.force, clickhouse, database, stored, this.structures.times()));
    const retirements = await this.retirements();
    const { explain, dryRun } = this.request;
    const progress = new Progress(this.sink, this.summary, reporter, span.rows, (decision) => explain || (dryRun && decision.dump), this.request.limit);
    const reader: PageReader = {
      sink: this.sink, filter: this.filter, pageSize: this.request.batchSize, incremental,
      fields: this.fields(), probe: this.probe(stored), shape: pageRowMaker(this.sink, references), unchanged: this.unchanged(stored, grid, retirements),
      read: (query, each, restart) => this.readRows(query, each, restart),
      lookUp: (operation) => this.callClickHouse(operation),
      pace: (lane) => this.pace(lane),
      leftOut: (row) => noteLeftOut(this.summary, row, (line) => reporter.notice(line)),
    };
    const destination = this.destinationFor(reader, references, progress, retirements);
    this.destination = destination;
    const pages = new PageWriter({ destination, progress, guard: this.ctx.guard, limit: this.request.limit, retirements });
    return { reader, pages, destination };
  }

  private async retirements(): Promise<Retirements | undefined> {
    if (this.sink.userColumn === undefined) return undefined;
    const watch = await this.readMysql(() => this.ctx.retirementWatch?.() ?? RetirementWatch.open(this.ctx.lms));
    return new Retirements(watch, (operation) => this.readMysql(operation));
  }

  /** A MySQL read row by row; a retry starts it over (after `restart` dropped what the failed try gave). */
  private readRows(query: Query, each: Parameters<LmsReader['each']>[2], restart: () => void): Promise<void> {
    let tried = false;
    return this.readMysql(async () => {
      if (tried) restart();
      tried = true;
      await this.ctx.lms.each(query[0], query[1], each);
    });
  }

  /** Where the object's rows go: nested inserts (children), long streamed inserts, or counts (dry run). */
  private destinationFor(reader: PageReader, references: References, progress: Progress, retirements: Retirements | undefined): Destination {
    const context = this.destinationContext(reader, references, progress, retirements);
    if (this.sink.children?.length) return new NestedRows(context, (keys) => this.structures.structuresOf(keys));
    if (this.request.dryRun) return new CountedRows(progress, this.sink.table);
    const lock = this.ctx.guard.writeLock(this.sink.table);
    const locked = lock && retirements ? {
      lock, taking: () => retirements.taking(), lost: async () => this.purge(await retirements.retiredSinceTaken()),
    } : undefined;
    return new StreamedRows(context, this.ctx.writer, this.bounds(), locked);
  }

  private destinationContext(reader: PageReader, references: References, progress: Progress, retirements: Retirements | undefined): DestinationContext {
    return {
      sink: this.sink, database: this.ctx.database, filter: this.filter, fields: reader.fields, references,
      progress, listener: this.listener, pageSize: this.request.batchSize,
      ...(this.request.dryRun ? {} : { writer: this.ctx.writer }),
      read: reader.read, shape: reader.shape,
      retired: (row) => retirements?.retired(row) ?? false,
      firstInsert: (into, first) => this.firstInsert(into, first),
    };
  }

  /** When inserts end: the request's bounds, and after every page when pauses are long. */
  private bounds() {
    const { insertRows, insertBytes, sleepSeconds } = this.request;
    const bytes = Math.min(insertBytes, this.ctx.clickhouse.maxInsertBytes);
    return { rows: insertRows, bytes, seconds: sleepSeconds >= LONG_PAUSE_SECONDS ? 0 : INSERT_OPEN_SECONDS };
  }

  /** The pause between two page reads of a lane: --sleep-time, except before its first; false once reading is over. */
  private async pace(lane: Lane): Promise<boolean> {
    if (lane.paced) await pause(this.request.sleepSeconds * 1000, this.ctx.signal, this.reading.signal);
    lane.paced = true;
    return !this.reading.signal.aborted;
  }

  private async firstInsert(into: TableName, first: WrittenRow): Promise<void> {
    if (this.witnesses.has(into.table)) return;
    this.witnesses.set(into.table, await this.callClickHouse(() => witness(this.ctx.clickhouse, into, first)));
  }

  /**
   * After the write lock was lost while an insert held it (its MySQL session ended): rows of
   * users retired in the meantime are deleted again, so a concurrent retire's verdict still holds.
   */
  private async purge(users: readonly number[]): Promise<void> {
    if (users.length === 0) return;
    const { clickhouse, database } = this.ctx;
    await this.callClickHouse(async () => deleteUsers(clickhouse, await deleteMethod(clickhouse), database, this.sink.table, users, this.request.retry.budgetMs), 'ClickHouse delete');
    this.ctx.reporter.notice(`${this.sink.name}: ${users.length} users retired while the write lock was lost; their rows were deleted again`);
  }

  /** Reads, decides and writes one unit's pages in its turn; stops the units after it on a signal or at --limit. */
  private async unit(stages: Stages, unit: Unit, order: TurnOrder, lane: Lane): Promise<void> {
    let waited = false;
    for await (const page of unitPages(stages.reader, unit, lane)) {
      if (!waited) await order.turn(unit.index);
      waited = true;
      const more = await stages.pages.write(page);
      if (!more) this.reading.abort();
      if (!more || this.ctx.signal.aborted) {
        order.stop(unit.index);
        return;
      }
    }
    if (!waited) await order.turn(unit.index);
    if (unit.bounds.upTo !== undefined) await stages.pages.end(unit.bounds.upTo);
  }

  async run(): Promise<void> {
    const { lms, reporter, signal } = this.ctx;
    await this.ctx.prune?.(this.sink, this.summary);
    const changes = await this.ctx.changes?.(this.sink, this.asked, this.summary);
    this.filter = changes?.filter ?? this.asked;
    const span = await this.readMysql(() => keySpan(lms, this.sink.source, this.filter));
    const grid = unitGrid(this.sink.source, this.filter, span, this.request.batchSize);
    const stages = await this.stages(span, grid);
    reporter.objectStarted(this.sink.name, span.rows, this.request.limit);
    const ids = this.sink.source.keyType === 'integer' ? this.filter.ids as readonly number[] | undefined : undefined;
    const units = ids ? unitsOfIds(ids, this.request.batchSize) : unitsOf(grid);
    if (!signal.aborted) await this.writeUnits(stages, units);
    if (signal.aborted && this.summary.batches === 0) {
      throw new Interrupted(`interrupted before ${this.sink.name} started; run the same command again`);
    }
    if (signal.aborted && !this.complete(span.last)) throw new Interrupted(`interrupted: ${this.hint(await this.tableReplaced().catch(() => false))}`);
    if (await this.tableReplaced()) throw new TableReplaced(`of ${this.sink.name}`);
    await changes?.settled();
  }

  /** Runs the units on their lanes, then completes the last insert (also after a failure, for what was written before it). */
  private async writeUnits(stages: Stages, units: readonly Unit[]): Promise<void> {
    let failure: { readonly error: unknown } | undefined;
    await runLanes(units, this.request.concurrency, (unit, order, lane) => this.unit(stages, unit, order, lane)).catch((error: unknown) => { failure = { error }; });
    await stages.destination.flush().catch((error: unknown) => {
      if (error instanceof InsertFailed && !(failure?.error instanceof InsertFailed)) this.recordFailedInsert(error);
      failure ??= { error };
    });
    if (failure) throw failure.error;
  }

  /** Whether everything the filter selects up to `last` is written (the run ended where it would have). */
  private complete(last: unknown): boolean {
    return last !== undefined && this.summary.last_pk === last;
  }

  /** Whether a table written to lost the run's first insert into it (dropped, maybe created again). */
  private async tableReplaced(): Promise<boolean> {
    for (const each of this.witnesses.values()) {
      if (!(await this.callClickHouse(() => each.stillThere(this.ctx.clickhouse)))) return true;
    }
    return false;
  }

  private hint(tableLost = false, error?: unknown): string {
    const resume = resumeHint(this.sink, this.summary, this.asked, this.request.force, tableLost);
    const message = error === undefined ? '' : messageOf(error);
    const [, state = '', action = resume] = /^(.*; )?((?:run|resume) .*)$/.exec(resume) ?? [];
    if (memoryExceeded(message)) return `${state}ClickHouse ran out of memory for inserts this large: ${action} with smaller ones (--insert-rows 100000 or --insert-mb 32)`;
    if (!rowsDoNotFit(message)) return resume;
    return `${state}the rows do not fit the ClickHouse table as it is: aspects schema status lists how it differs from Aspects'; once it is fixed, ${action}`;
  }

  /** An insert failure: what landed counts as written, and the summary says which batch it cut short. */
  private recordFailedInsert(error: InsertFailed): void {
    if (this.summary.failed_batch || !this.destination) return;
    this.summary.failed_batch = this.destination.failedBatch(error);
    const landed = error.landed ?? 0;
    if (error.table === this.sink.table) this.summary.rows_written += landed;
    const child = this.sink.children?.find((each) => each.table === error.table);
    if (child && landed > 0) this.summary.child_rows_written[child.name] = (this.summary.child_rows_written[child.name] ?? 0) + landed;
  }

  /** The failure as the operator reads it: what went wrong, what of the batch landed, how to go on. */
  private async failure(error: unknown): Promise<AspectsError> {
    if (error instanceof Interrupted || error instanceof UsageError) return error;
    if (error instanceof InsertFailed) this.recordFailedInsert(error);
    const landed = this.summary.failed_batch ? `${landedLine(this.summary.failed_batch)}; ` : '';
    if (this.ctx.hardStop.aborted) return new Interrupted(`interrupted during a write: ${landed}${this.hint()}`);
    const lost = tableGone(error) || await this.tableReplaced().catch(() => false);
    return new RuntimeFailure(`${this.sink.name} failed: ${messageOf(error)}. ${landed}${this.hint(lost, error)}`, { cause: error });
  }

  /** With --ids: how many of the requested keys (less --skip-ids, after --start-pk) the LMS has, said aloud when some are not there. */
  private countRequestedKeys(): void {
    if (!this.asked.ids || this.idsFrom === 'binlog') return;
    const skipped = new Set(this.asked.skipIds ?? []);
    const after = this.asked.afterKey;
    const requested = new Set(this.asked.ids.filter((key) => !skipped.has(key) && (after === undefined || key > after))).size;
    Object.assign(this.summary, { keys_requested: requested, keys_found: this.summary.rows_read });
    if (this.summary.rows_read < requested) this.ctx.reporter.notice(`${this.sink.name}: ${this.summary.rows_read} of ${requested} requested keys found in the LMS`);
  }

  /** Runs the dump and records how it ended; rethrows failures with the resume point. */
  async settle(): Promise<void> {
    const startedAt = performance.now();
    try {
      await this.run();
      this.summary.status = 'success';
      this.countRequestedKeys();
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
 * Dumps each sink in turn and returns one summary per sink. A failure of one object leaves the
 * others to run, unless it ends the run (failures.ts): then the rest are reported as not-run.
 * The error names every failure with its resume point.
 */
export async function runDump(
  targets: readonly DumpTarget[], request: DumpRequest, ctx: DumpContext,
): Promise<{ objects: ObjectSummary[]; error?: AspectsError }> {
  const objects = targets.map((target) => new ObjectDump(target, request, ctx));
  const failures: AspectsError[] = [];
  for (const dump of objects) {
    const failure = await dump.settle().then(() => undefined, (error: unknown) => error as AspectsError);
    if (failure) failures.push(failure);
    if (failure && (endsTheRun(failure) || ctx.signal.aborted)) break;
  }
  const error = combinedFailure(failures);
  return { objects: objects.map((each) => each.summary), ...(error ? { error } : {}) };
}
