import { qualifiedTable, quoteIdentifier } from '../clickhouse/sql.js';
import type { ClickHouseTarget } from '../clickhouse/target.js';
import { readMarks, writeMarks, type MarkKind, type ObjectMarks } from '../clickhouse/run-marks.js';
import { isTransientClickHouse } from '../clickhouse/target.js';
import { messageOf } from '../errors.js';
import { changedKeys, signalMissing, signalName } from '../lms/change-signals.js';
import type { LmsDatabase } from '../lms/database.js';
import { selectsAll, type RowFilter } from '../lms/keyset.js';
import { isTransientMysqlError } from '../lms/transient.js';
import type { Reporter } from '../output/reporter.js';
import type { ChangeSignal, Sink } from '../sinks/types.js';
import { referenceMicros } from './clock.js';
import type { DumpRequest } from './request.js';
import { withRetry } from './retry.js';
import type { ObjectSummary } from './summary.js';

/**
 * Change signals as a source of keys: where the LMS records which rows changed (a history table,
 * a `modified` column), an incremental run reads only the keys changed since the last complete
 * run began, less a lookback for transactions still open then and for the LMS hosts' clocks.
 * Every other run (the first, --force, --full-compare, one every --full-compare-every days, a
 * signal the LMS lacks, ClickHouse holding fewer keys than after the last run, too many changes)
 * compares every row by fingerprint, which also catches writes that bypass the signal.
 * The keys then go through the same read, shape, decide and write as any --ids.
 */

/** How the operator tuned change signals. */
export interface ChangeOptions {
  /** Compare every row this run (--full-compare). */
  readonly fullCompare: boolean;
  /** Compare every row when the last full compare is older than this (0: only when asked). */
  readonly fullCompareDays: number;
  /** Changes this long before the last run began are read again. */
  readonly lookbackMinutes: number;
}

/** What a run of one object reads, and what to record once it is complete. */
export interface ChangePlan {
  readonly filter: RowFilter;
  /** After the object's run completed: records where the next one starts. */
  settled(): Promise<void>;
}

/** The connections and settings a plan is made with; reads go through the run's retries. */
export interface ChangeContext {
  readonly lms: LmsDatabase;
  readonly clickhouse: ClickHouseTarget;
  readonly database: string;
  readonly options: ChangeOptions;
  /** Whether a complete run leaves marks: it writes, and without --limit. */
  readonly marks: boolean;
  /** --force: every row is written (and so compared). */
  readonly force: boolean;
  readMysql<T>(operation: () => Promise<T>): Promise<T>;
  callClickHouse<T>(operation: () => Promise<T>): Promise<T>;
  notice(line: string): void;
}

/** Every row compared, and why (said aloud when the operator can change it), or the keys the signal names since `since`. */
type Choice = { readonly all: string; readonly aloud?: boolean } | { readonly keys: number[]; readonly since: number };

/** --full-compare-every's default, days: a weekly full compare catches writes that bypassed the signals. */
export const DEFAULT_FULL_COMPARE_DAYS = 7;
/** --lookback's default, minutes. */
export const DEFAULT_LOOKBACK_MINUTES = 60;

const MINUTE_MICROS = 60_000_000;
const DAY_MICROS = 24 * 60 * MINUTE_MICROS;
/** Fewer keys than this in ClickHouse than after the last run: the table lost rows (truncated, recreated), compare all. */
const KEPT_SHARE = 0.9;
/** More changed keys than this share of the stored ones: comparing every row is the cheaper read. */
const CHANGED_SHARE = 0.25;

/** A reference-clock time as a UTC MySQL datetime. */
function mysqlDatetime(micros: number): string {
  const iso = new Date(Math.floor(micros / 1000)).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}.${String(micros % 1_000_000).padStart(6, '0')}`;
}

/** The keys ClickHouse holds of the object: uniq, exact on small tables, within a few % on large ones (enough for the guard; uniqExact's memory is not). */
async function storedKeyCount(ctx: ChangeContext, sink: Sink): Promise<number> {
  const [row] = await ctx.callClickHouse(() => ctx.clickhouse.query(
    `SELECT uniq(${quoteIdentifier(sink.incremental.targetKey)}) AS n FROM ${qualifiedTable(ctx.database, sink.table)}`));
  return Number(row?.n ?? 0);
}

/** Why every row is compared though a change mark exists (the full compare is due), if it is. */
function fullCompareDue(marks: ObjectMarks, ctx: ChangeContext, now: number): string | undefined {
  const days = ctx.options.fullCompareDays;
  const last = marks['full-compare'];
  if (days <= 0) return undefined;
  if (!last) return 'no full compare recorded yet';
  const ago = (now - last.at) / DAY_MICROS;
  return ago >= days ? `the last full compare was ${ago.toFixed(1)} days ago (--full-compare-every ${days})` : undefined;
}

/** The keys the signal names since the last complete run, or why every row is compared instead. */
async function choose(sink: Sink, signal: ChangeSignal, ctx: ChangeContext, now: number): Promise<Choice> {
  if (ctx.force) return { all: 'with --force' };
  if (ctx.options.fullCompare) return { all: 'with --full-compare' };
  const marks = await ctx.callClickHouse(() => readMarks(ctx.clickhouse, ctx.database, sink.name)).catch((error: unknown) => messageOf(error));
  if (typeof marks === 'string') return { all: `the marks of earlier runs could not be read (${marks})`, aloud: true };
  const last = marks.changes;
  if (!last) return { all: 'no complete run recorded yet' };
  const due = fullCompareDue(marks, ctx, now);
  if (due) return { all: due };
  const missing = await ctx.readMysql(() => signalMissing(ctx.lms, signal));
  if (missing) return { all: `${missing}, so changes cannot be read from it`, aloud: true };
  const stored = await storedKeyCount(ctx, sink);
  if (stored < last.storedKeys * KEPT_SHARE) return { all: `ClickHouse holds ${stored} keys, ${last.storedKeys} after the last complete run`, aloud: true };
  const since = last.at - ctx.options.lookbackMinutes * MINUTE_MICROS;
  const keys = await ctx.readMysql(() => changedKeys(ctx.lms, signal, mysqlDatetime(since), Math.max(1000, Math.ceil(stored * CHANGED_SHARE))));
  return keys ? { keys, since } : { all: `more than a quarter of the keys changed since ${mysqlDatetime(since)}` };
}

/** The plan of a run that reads the operator's selection and leaves no mark. */
function unmarked(filter: RowFilter): ChangePlan {
  return { filter, settled: async () => undefined };
}

/** Records the run's marks; a failure costs the next run a full compare, not this run its success. */
async function mark(sink: Sink, ctx: ChangeContext, kinds: readonly MarkKind[], at: number): Promise<void> {
  try {
    const storedKeys = await storedKeyCount(ctx, sink);
    await ctx.callClickHouse(() => writeMarks(ctx.clickhouse, ctx.database, [sink.name], kinds, { at, storedKeys }));
  } catch (error) {
    ctx.notice(`${sink.name}: the run's mark could not be recorded (${messageOf(error)}); the next run compares every row`);
  }
}

/** What one object's run reads: the keys its change signal names, or every row (recorded in the summary). */
export async function planChanges(sink: Sink, filter: RowFilter, summary: ObjectSummary, ctx: ChangeContext): Promise<ChangePlan> {
  const signal = sink.changeSignal;
  if (!signal || !selectsAll(filter)) return unmarked(filter);
  const now = referenceMicros();
  const choice = await choose(sink, signal, ctx, now);
  // Rows left out are read again by every run until corrected in the LMS (which may not record it): no mark then.
  const settled = async () => {
    if (ctx.marks && !summary.rows_left_out) await mark(sink, ctx, 'keys' in choice ? ['changes'] : ['changes', 'full-compare'], now);
  };
  if ('all' in choice) {
    Object.assign(summary, { compared: 'all rows', compare_reason: choice.all });
    if (choice.aloud) ctx.notice(`${sink.name}: ${choice.all}; comparing every row`);
    return { filter, settled };
  }
  Object.assign(summary, { compared: `changes in ${signalName(signal)}`, changes_since: mysqlDatetime(choice.since), changed_keys: choice.keys.length });
  return { filter: { ...filter, ids: choice.keys }, settled };
}

/** The run's step before each object reads: its plan, with the run's retries and notices. */
export function changeStep(lms: LmsDatabase, clickhouse: ClickHouseTarget, database: string, request: DumpRequest, reporter: Reporter, stop: AbortSignal) {
  return (sink: Sink, filter: RowFilter, summary: ObjectSummary): Promise<ChangePlan> => {
    const onRetry = (what: string) => (attempt: number, delayMs: number, error: unknown) => reporter.retrying(sink.name, attempt, delayMs, `${what}: ${messageOf(error)}`);
    return planChanges(sink, filter, summary, {
      lms, clickhouse, database, options: request.changes, marks: !request.dryRun && request.limit === undefined, force: request.force,
      readMysql: (operation) => withRetry(operation, isTransientMysqlError, request.retry, onRetry('MySQL read'), stop),
      callClickHouse: (operation) => withRetry(operation, isTransientClickHouse, request.retry, onRetry('ClickHouse lookup'), stop),
      notice: (line) => reporter.notice(line),
    });
  };
}
