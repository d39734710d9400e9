import { hostname } from 'node:os';
import { connectClickHouse, openClickHouse } from '../clickhouse/open.js';
import { literal } from '../clickhouse/sql.js';
import type { ClickHouseTarget } from '../clickhouse/target.js';
import type { Settings } from '../config/settings.js';
import type { MysqlLocation } from '../config/urls.js';
import { Interrupted, RowsLeftOut, RuntimeFailure, UsageError, messageOf, type AspectsError } from '../errors.js';
import { connectLmsDatabase, type LmsDatabase, type LmsReader } from '../lms/database.js';
import { lockedObject, lockName, lockScope, thisProcess } from '../lms/locks.js';
import { sharedRetirementWatch } from '../lms/retired-users.js';
import { missingSources } from '../lms/source-tables.js';
import { versionInfo } from '../version.js';
import type { Reporter } from '../output/reporter.js';
import { ExactlyOnceWriter } from './exactly-once.js';
import { filterFor } from './filters.js';
import { insertColumns, withStampColumns } from './shape.js';
import type { ObjectPlan } from './plan.js';
import type { Sink } from '../sinks/types.js';
import { LEARNING_SEQUENCES_TABLES, learningSequencesSource } from '../structure/learning-sequences.js';
import type { StructureSource } from '../structure/types.js';
import type { DumpRequest } from './request.js';
import type { ConnectRetry, RetryListener } from './retry.js';
import { setUpClock } from './read-clocks.js';
import { combinedFailure, isTransientAnywhere } from './failures.js';
import { pruneObject } from './prune.js';
import { changeStep } from './change-plan.js';
import { connectRetryReason, withRetry } from './retry.js';
import { leftOutError } from './left-out.js';
import { runDump, type DumpTarget } from './run-dump.js';
import { budgetWaits, defusedLines, defuseEarlierRuns } from './staging.js';
import { dryRunSummary, type DumpSummary, type ObjectSummary } from './summary.js';
import { DumpGuard, RunLocks, WriteLocks, type GuardOptions } from './write-guard.js';

/** The signals of a run: the first SIGINT/SIGTERM, and the second. */
export interface StopSignals {
  readonly graceful: AbortSignal;
  readonly hard: AbortSignal;
}

/** The tables one object writes (its own, and its nested objects' such as course_blocks), with the columns it writes. */
function tablesOf(sink: Sink): Map<string, readonly string[]> {
  return new Map([[sink.table, insertColumns(sink)], ...(sink.children ?? []).map((child) => [child.table, withStampColumns(child.columns)] as const)]);
}

/** Every table the plan writes, with the columns it writes. */
function writtenTables(plan: ObjectPlan): Map<string, readonly string[]> {
  return new Map(plan.sinks.flatMap((sink) => [...tablesOf(sink)]));
}

/** What is wrong with one table the run writes, given the columns ClickHouse has for each table. */
function tableProblem(database: string, table: string, columns: readonly string[], present: ReadonlySet<string>): string | undefined {
  if (present.size === 0) return `ClickHouse table ${database}.${table} does not exist; create it with aspects schema init`;
  const missing = columns.filter((column) => !present.has(column));
  if (missing.length === 0) return undefined;
  return `ClickHouse table ${database}.${table} has no column ${missing.join(', ')}, which aspects writes; aspects schema status lists how the table differs from Aspects'`;
}

/**
 * Before anything is read, in one query: every table and column each object writes exists (the
 * objects with a missing one, and what is missing), and the user may write.
 */
async function checkTables(target: ClickHouseTarget, database: string, plan: ObjectPlan, writes: boolean): Promise<Map<string, string>> {
  const rows = await target.query("SELECT table, name, (SELECT value FROM system.settings WHERE name = 'readonly') AS readonly "
    + `FROM system.columns WHERE database = ${literal(database)} AND table IN (${[...writtenTables(plan).keys()].map((table) => literal(table)).join(', ')})`);
  const readonly = String(rows[0]?.readonly ?? '0');
  if (writes && readonly !== '0') {
    throw new RuntimeFailure(`the ClickHouse user may only read (readonly = ${readonly}); dump needs a user that may insert into ${database}`);
  }
  const problems = new Map<string, string>();
  for (const sink of plan.sinks) {
    const found = [...tablesOf(sink)].map(([table, columns]) =>
      tableProblem(database, table, columns, new Set(rows.filter((row) => row.table === table).map((row) => String(row.name))))).find(Boolean);
    if (found) problems.set(sink.name, found);
  }
  return problems;
}

/**
 * The course structure source the settings choose: the modulestore when configured, else MySQL.
 * The MongoDB driver is loaded only then (it is a tenth of a second of start-up).
 */
async function openStructureSource(lms: LmsDatabase, settings: Settings): Promise<StructureSource> {
  if (!settings.modulestore) return learningSequencesSource(lms);
  const { modulestoreSource } = await import('../structure/modulestore.js');
  return modulestoreSource(lms, settings.modulestore);
}

/** A dump's guard, and the planned objects another run holds (each with who holds it): those are left out. */
interface Locking {
  readonly guard: DumpGuard;
  readonly locked: Map<string, string>;
}

/**
 * The run locks of the planned objects it can take and the write locks of those of them with PII
 * (none for a dry run). An object another run holds is left out; only when every one is held does
 * the run stop (LockHeld, exit 75).
 */
async function takeLocks(options: GuardOptions, settings: Settings, plan: ObjectPlan, request: DumpRequest, stop: StopSignals, command: string): Promise<Locking> {
  if (request.dryRun) return { guard: new DumpGuard(undefined, undefined), locked: new Map() };
  const scope = lockScope(options.location, settings.clickhouse);
  const objects = plan.sinks.map((sink) => sink.name).sort();
  const { run, holders } = await RunLocks.acquire(options, objects.map((object) => lockName('dump', object, scope)),
    thisProcess(command, objects), request.waitLock, stop.graceful);
  const locked = new Map([...holders].map(([name, holder]) => [lockedObject(name), `locked by ${holder}; the next run dumps it`]));
  const pii = plan.sinks.filter((sink) => sink.userColumn !== undefined && !locked.has(sink.name));
  const writes = new WriteLocks(options, new Map(pii.map((sink) => [sink.table, lockName('write', sink.table, scope)])));
  return { guard: new DumpGuard(run, pii.length > 0 ? writes : undefined), locked };
}

/**
 * Under the run locks, before anything is written: staging tables that earlier runs of these
 * objects left (died, killed, gave up) are defused, so nothing of them lands during this run.
 */
async function clearEarlierRuns(target: ClickHouseTarget, database: string, plan: ObjectPlan, request: DumpRequest, reporter: Reporter): Promise<void> {
  const onRetry: RetryListener = (attempt, delayMs, error) => reporter.retrying('staging tables', attempt, delayMs, messageOf(error));
  const outcomes = await defuseEarlierRuns(target, database, new Set(writtenTables(plan).keys()), budgetWaits(request.retry, undefined, onRetry), (line) => reporter.notice(line));
  for (const line of defusedLines(outcomes)) reporter.notice(line);
}

/** The plan without the objects named (each skipped with why: the others run), and one line naming them for the run's last line. */
function without(plan: ObjectPlan, reasons: ReadonlyMap<string, string>, reporter: Reporter): { runnable: ObjectPlan; line?: string } {
  if (reasons.size === 0) return { runnable: plan };
  const skipped = [...reasons].map(([object, reason]) => ({ object, reason }));
  for (const { object, reason } of skipped) reporter.notice(`skipping ${object}: ${reason}`);
  const runnable = { ...plan, sinks: plan.sinks.filter((sink) => !reasons.has(sink.name)), skipped: [...plan.skipped, ...skipped] };
  return { runnable, line: skipped.map(({ object, reason }) => `${object} not dumped: ${reason}`).join('; ') };
}

/**
 * The plan without the objects whose ClickHouse tables or columns are missing: exit 1 once the
 * others are done, or at once when no object is left.
 */
async function withTables(clickhouse: ClickHouseTarget | undefined, database: string, plan: ObjectPlan, writes: boolean, reporter: Reporter) {
  const problems = clickhouse ? await checkTables(clickhouse, database, plan, writes) : new Map<string, string>();
  if (problems.size > 0 && problems.size === plan.sinks.length) throw new RuntimeFailure([...new Set(problems.values())].join('; '));
  const { runnable, line } = without(plan, problems, reporter);
  return { runnable, ...(line ? { error: new RuntimeFailure(line) } : {}) };
}

/** The plan without the objects whose LMS tables or columns are missing: exit 2 once the others are done. */
async function withSources(lms: LmsDatabase, plan: ObjectPlan, settings: Settings, reporter: Reporter) {
  const missing = await missingSources(lms, plan.sinks, settings.modulestore ? {} : LEARNING_SEQUENCES_TABLES);
  const { runnable, line } = without(plan, missing, reporter);
  return { runnable, ...(line ? { error: new UsageError(line) } : {}) };
}

/** --prune's step before each object, retried as every other read and write; a dry run only counts. */
function pruneStep(lms: LmsDatabase, clickhouse: ClickHouseTarget, database: string, request: DumpRequest, settings: Settings, reporter: Reporter, stop: AbortSignal) {
  const waitSeconds = request.retry.budgetMs / 1000;
  const limits = () => ({ waitSeconds, reachBy: Date.now() + Math.min(waitSeconds, settings.clickhouse.timeoutSeconds) * 1000 });
  const options = { dryRun: request.dryRun, allowMass: request.allowMassDelete, limits };
  return async (sink: Sink, summary: ObjectSummary): Promise<void> => {
    const onRetry: RetryListener = (attempt, delayMs, error) => reporter.retrying(sink.name, attempt, delayMs, `prune: ${messageOf(error)}`);
    await withRetry(() => pruneObject(lms, clickhouse, database, sink, summary, options), isTransientAnywhere, request.retry, onRetry, stop);
    const pruned = summary.keys_to_prune ?? summary.keys_pruned ?? 0;
    if (pruned > 0) reporter.notice(`${sink.name}: ${request.dryRun ? 'would prune' : 'pruned'} ${pruned} keys the LMS no longer has${request.dryRun ? '' : ` (${summary.rows_pruned} rows)`}`);
  };
}

/** The run's summary from the objects' results. */
function dumpSummary(request: DumpRequest, plan: ObjectPlan, result: { objects: ObjectSummary[]; error?: AspectsError; startedAt: Date }): DumpSummary {
  const { error } = result;
  const status = error === undefined ? 'success' : error instanceof Interrupted ? 'interrupted' : error instanceof RowsLeftOut ? 'incomplete' : 'failed';
  const objects = request.dryRun ? result.objects.map(dryRunSummary) : result.objects;
  return {
    command: 'dump', version: versionInfo().version, host: hostname(), started_at: result.startedAt.toISOString(), finished_at: new Date().toISOString(),
    dry_run: request.dryRun, force: request.force, status, objects, skipped: [...plan.skipped],
  };
}

/** What a run works with once ClickHouse answers. */
interface RunSetup {
  readonly settings: Settings;
  readonly mysql: MysqlLocation;
  readonly request: DumpRequest;
  readonly reporter: Reporter;
  readonly stop: StopSignals;
  readonly clickhouse: ClickHouseTarget;
  /** A forced dry run never talks to ClickHouse. */
  readonly offline: boolean;
  readonly retry: ConnectRetry;
  readonly follow?: FollowSeam | undefined;
}

/** One pass of the pipeline over some objects' rows; `signal` stops it between pages. */
export type DumpPass = (targets: readonly DumpTarget[], signal: AbortSignal) => Promise<{ objects: ObjectSummary[]; error?: AspectsError }>;

/**
 * What runs the passes instead of the one pass of a dump (aspects follow: a first pass when
 * needed, then one per batch of the binlog's changed keys), with the run's connections, locks,
 * clock and writer already set up.
 */
export type FollowSeam = (io: { lms: LmsReader; clickhouse: ClickHouseTarget; database: string; targets: readonly DumpTarget[] }, pass: DumpPass)
  => Promise<{ objects: ObjectSummary[]; error?: AspectsError }>;

/** What a run opened, closed at its end whatever happened. */
interface Opened {
  lms?: LmsReader;
  structures?: StructureSource;
  guard?: DumpGuard;
}

/** The connect retries, the first saying how long it may go on: a mistyped port is not two silent minutes. */
function connectRetry(request: DumpRequest, reporter: Reporter, stop: StopSignals): ConnectRetry {
  const onRetry: RetryListener = (attempt, delayMs, error) => reporter.retrying('connect', attempt, delayMs, connectRetryReason(error, attempt, request.retry));
  return { policy: request.retry, signal: stop.hard, onRetry };
}

/**
 * The plan narrowed to what can run now (ClickHouse tables and LMS sources there, run locks
 * taken), with the errors that name what was left out; opens the LMS, the locks and the
 * structure source into `opened`.
 */
async function readyPlan(run: RunSetup, planned: ObjectPlan, opened: Opened): Promise<{ plan: ObjectPlan; errors: (AspectsError | undefined)[] }> {
  const { settings, request, reporter, clickhouse, retry } = run;
  if (clickhouse.routing) reporter.notice(clickhouse.routing);
  const tables = await withTables(run.offline ? undefined : clickhouse, settings.clickhouse.database, planned, !request.dryRun, reporter);
  const lms = await connectLmsDatabase(run.mysql, retry);
  opened.lms = lms;
  const sources = await withSources(lms, tables.runnable, settings, reporter);
  const notice = (text: string) => reporter.notice(text);
  const locking = await takeLocks({ location: run.mysql, lms, retry: request.retry, onRetry: retry.onRetry, notice }, settings, sources.runnable, request, run.stop, run.follow ? 'follow' : 'dump');
  opened.guard = locking.guard;
  const plan = without(sources.runnable, locking.locked, reporter).runnable;
  opened.structures = plan.sinks.some((sink) => sink.children?.length) ? await openStructureSource(lms, settings) : undefined;
  return { plan, errors: [tables.error, sources.error] };
}

/** Under the locks: earlier runs' staging tables defused, the clock set up, every object of the plan dumped. */
async function dumpPlan(run: RunSetup, plan: ObjectPlan, opened: Required<Pick<Opened, 'lms' | 'guard'>> & Opened) {
  const { settings, request, reporter, clickhouse, stop } = run;
  const { lms, guard, structures } = opened;
  const database = settings.clickhouse.database;
  if (!request.dryRun) await clearEarlierRuns(clickhouse, database, plan, request, reporter);
  // Stamps follow what the tables hold once earlier runs can no longer add to it.
  const stamped = request.dryRun ? [] : [...writtenTables(plan).keys()];
  await setUpClock({ lms, clickhouse: run.offline ? undefined : clickhouse, database, tables: stamped, retry: run.retry, notice: (text) => reporter.notice(text) });
  const prune = request.prune ? pruneStep(lms, clickhouse, database, request, settings, reporter, stop.hard) : undefined;
  const changes = changeStep(lms, clickhouse, database, request, reporter, stop.hard);
  const targets = plan.sinks.map((sink) => ({ sink, filter: filterFor(sink, request.filter) }));
  const writer = new ExactlyOnceWriter(clickhouse, request.retry, stop.hard);
  const context = {
    lms, clickhouse, writer, database, reporter, hardStop: stop.hard, structures, guard, changes,
    ...(prune ? { prune } : {}), ...(run.follow ? { retirementWatch: sharedRetirementWatch(lms) } : {}),
  };
  const pass: DumpPass = (passTargets, signal) => runDump(passTargets, request, { ...context, signal });
  return run.follow ? run.follow({ lms, clickhouse, database, targets }, pass) : pass(targets, stop.graceful);
}

async function closeAll(opened: Opened, clickhouse: ClickHouseTarget): Promise<void> {
  await opened.guard?.release();
  await opened.structures?.close().catch(() => undefined);
  await opened.lms?.close().catch(() => undefined);
  await clickhouse.close().catch(() => undefined);
}

/** Opens both connections, checks them, dumps every planned object and closes everything. */
export async function executeDump(
  settings: Settings, planned: ObjectPlan, request: DumpRequest, reporter: Reporter, stop: StopSignals, follow?: FollowSeam,
): Promise<{ summary: DumpSummary; error?: AspectsError }> {
  const startedAt = new Date();
  const mysql = settings.mysql;
  if (!mysql) throw new UsageError('no LMS database configured: pass --mysql-url or set ASPECTS_MYSQL_URL');
  // Keys of the wrong type (--ids) are refused before anything is opened.
  for (const each of planned.sinks) filterFor(each, request.filter);
  for (const skipped of planned.skipped) reporter.notice(`skipping ${skipped.object}: ${skipped.reason}`);
  for (const note of planned.notes) reporter.notice(note);
  const retry = connectRetry(request, reporter, stop);
  const offline = request.dryRun && request.force && !request.prune;
  const clickhouse = offline ? await openClickHouse(settings.clickhouse, stop.hard) : await connectClickHouse(settings.clickhouse, { retry });
  const run: RunSetup = { settings, mysql, request, reporter, stop, clickhouse, offline, retry, follow };
  const opened: Opened = {};
  try {
    const { plan, errors } = await readyPlan(run, planned, opened);
    const result = await dumpPlan(run, plan, { ...opened, lms: opened.lms as LmsReader, guard: opened.guard as DumpGuard });
    const error = combinedFailure([result.error, ...errors, leftOutError(result.objects)]);
    const summary = dumpSummary(request, plan, { objects: result.objects, error, startedAt });
    return error ? { summary, error } : { summary };
  } finally {
    await closeAll(opened, clickhouse);
  }
}
