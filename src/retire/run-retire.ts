import { connectClickHouse, tableExists } from '../clickhouse/open.js';
import { isIdentifier } from '../clickhouse/sql.js';
import type { ClickHouseTarget } from '../clickhouse/target.js';
import type { Settings } from '../config/settings.js';
import { RuntimeFailure, UsageError } from '../errors.js';
import { connectLmsDatabase, type LmsDatabase } from '../lms/database.js';
import { retiredUserIds } from '../lms/retired-users.js';
import { usersGoneFromLms } from '../lms/auth-user.js';
import { HeldLocks, lockName, lockScope, thisProcess, type LockWait } from '../lms/locks.js';
import type { ConnectRetry, RetryListener, RetryPolicy } from '../pipeline/retry.js';
import { chunks, deleteMethod, userIdCondition, usersInTable, type DeleteMethod } from './delete.js';
import { copiesOf, deleteEverywhere, isMassDelete, type DeleteLimits } from '../clickhouse/copies.js';
import { idsOfUsernames, type RetireSelection } from './select.js';
import { budgetWaits, defusedLine, defuseEarlierRuns } from '../pipeline/staging.js';

/** A validated `aspects retire` request. */
export interface RetireRequest {
  readonly selection: RetireSelection;
  /** Count what would be deleted, delete nothing. */
  readonly dryRun: boolean;
  /** How long to wait for an ALTER … DELETE mutation, seconds. */
  readonly waitSeconds: number;
  /** How long to wait for a dump's write of a PII table to finish. */
  readonly waitLock: LockWait;
  readonly retry: RetryPolicy;
  /** Told of each retry of the first connections (a server restarting, a mistyped port). */
  readonly onRetry?: RetryListener;
  /** --allow-mass-delete: with --pending, retire deleted learners even when the LMS lacks most of those ClickHouse holds. */
  readonly allowMassDelete: boolean;
}

/** What happened in one PII table. */
export interface TableResult {
  table: string;
  status: 'deleted' | 'would-delete' | 'missing' | 'failed';
  /** Rows of the selected users before the delete. */
  rows_matched: number;
  /** Rows of the selected users after the delete (null with --dry-run or a missing table). */
  rows_remaining: number | null;
  method?: string;
  /** Servers of the cluster that did not answer: they may still hold rows of these users. */
  unreachable_replicas?: string[];
}

/** The result of one `aspects retire` run (printed as text, or as JSON with --json). */
export interface RetireSummary {
  command: 'retire';
  dry_run: boolean;
  status: 'success' | 'failed';
  users: number[];
  /** With --pending: the users among them whom the LMS no longer has (deleted, not retired). */
  users_gone_from_lms?: number[];
  tables: TableResult[];
  /** Staging tables of dumps that died or gave up, dropped before the delete. */
  staging_tables_dropped: number;
  warnings: string[];
}

async function existingTables(target: ClickHouseTarget, database: string, tables: readonly string[], summary: RetireSummary): Promise<string[]> {
  const existing: string[] = [];
  for (const table of tables) {
    if (await tableExists(target, database, table)) existing.push(table);
    else {
      summary.warnings.push(`PII table ${database}.${table} does not exist; skipped`);
      summary.tables.push({ table, status: 'missing', rows_matched: 0, rows_remaining: null });
    }
  }
  return existing;
}

/**
 * Users with rows in some copy of a PII table whom the LMS retired or no longer has at all (a
 * deleted learner: no PII outlives the LMS row). Every copy: a replica that was down during an
 * earlier retire may still hold rows the others lost.
 */
async function pendingUsers(
  lms: LmsDatabase, target: ClickHouseTarget, database: string, tables: readonly string[], allowMass: boolean,
): Promise<{ retired: Set<number>; gone: Set<number> }> {
  const retiredInLms = await retiredUserIds(lms);
  const held = new Set<number>();
  for (const table of tables) {
    for (const copy of (await copiesOf(target, database, table)).copies) for (const id of await usersInTable(copy.target, database, copy.table)) held.add(id);
  }
  const retired = new Set([...held].filter((id) => retiredInLms.has(id)));
  const gone = new Set(await usersGoneFromLms(lms, [...held].filter((id) => !retired.has(id))));
  if (!allowMass && isMassDelete(gone.size, held.size)) {
    throw new UsageError(`the LMS has no auth_user row for ${gone.size} of the ${held.size} learners ClickHouse holds; is this the LMS database? `
      + 'If they were really deleted there, retire them with --pending --allow-mass-delete');
  }
  return { retired, gone };
}

/** Every selected user id: explicit ids, looked-up usernames, and with --pending retired or deleted learners still in ClickHouse. */
async function selectedUsers(
  lms: LmsDatabase | undefined, request: RetireRequest, target: ClickHouseTarget, database: string, tables: readonly string[], summary: RetireSummary,
): Promise<number[]> {
  const { selection } = request;
  const ids = new Set(selection.userIds);
  if (lms) for (const id of await idsOfUsernames(lms, selection.usernames)) ids.add(id);
  if (lms && selection.pending) {
    const { retired, gone } = await pendingUsers(lms, target, database, tables, request.allowMassDelete);
    for (const id of [...retired, ...gone]) ids.add(id);
    summary.users_gone_from_lms = [...gone].sort((a, b) => a - b);
  }
  return [...ids].sort((a, b) => a - b);
}

/** Deletes the users' rows from every copy of one table (or, without a method, only counts them: --dry-run), then counts what is left on each. */
async function retireFromTable(
  target: ClickHouseTarget, database: string, table: string, users: readonly number[], method: DeleteMethod | undefined, limits: DeleteLimits,
): Promise<TableResult> {
  const outcome = await deleteEverywhere(target, database, table, chunks(users).map(userIdCondition), method, limits);
  const unverified = outcome.unreachable.length > 0 ? { unreachable_replicas: [...outcome.unreachable] } : {};
  if (method === undefined) return { table, status: 'would-delete', rows_matched: outcome.matched, rows_remaining: null, ...unverified };
  const verified = outcome.remaining === 0 && outcome.unreachable.length === 0;
  return { table, status: verified ? 'deleted' : 'failed', rows_matched: outcome.matched, rows_remaining: outcome.remaining, method, ...unverified };
}

/** What the failure says: rows left per table, and the replicas that could not be verified. */
function leftLine(database: string, left: readonly TableResult[]): string {
  const rows = left.filter((result) => (result.rows_remaining ?? 0) > 0).map((result) => `${result.rows_remaining} in ${database}.${result.table}`);
  const down = [...new Set(left.flatMap((result) => result.unreachable_replicas ?? []))];
  return [
    ...(rows.length > 0 ? [`rows of the retired users remain after the delete: ${rows.join(', ')}`] : []),
    ...(down.length > 0 ? [`not verified on ${down.join(', ')}, which did not answer and may still hold their rows: run the same command again once ${down.length === 1 ? 'it is' : 'they are'} up`] : []),
  ].join('; ');
}

/** ClickHouse, and the LMS database whenever one is configured (it holds the write locks). */
async function connect(settings: Settings, needsLms: boolean, retry: ConnectRetry): Promise<{ target: ClickHouseTarget; lms?: LmsDatabase }> {
  if (needsLms && !settings.mysql) throw new UsageError('--usernames and --pending read the LMS database: pass --mysql-url or set ASPECTS_MYSQL_URL');
  const target = await connectClickHouse(settings.clickhouse, { retry });
  if (!settings.mysql) return { target };
  try {
    return { target, lms: await connectLmsDatabase(settings.mysql, retry) };
  } catch (error) {
    await target.close().catch(() => undefined);
    throw error;
  }
}

/**
 * The write locks of the PII tables, which a dump holds while it writes one batch: while retire
 * holds them no dump writes these tables, and every later batch re-checks retirements first.
 */
async function lockTables(settings: Settings, tables: readonly string[], request: RetireRequest, summary: RetireSummary): Promise<HeldLocks | undefined> {
  if (request.dryRun || tables.length === 0) return undefined;
  if (!settings.mysql) {
    summary.warnings.push('no LMS database configured (--mysql-url): a dump running now is not held off and may write these users again');
    return undefined;
  }
  const scope = lockScope(settings.mysql, settings.clickhouse);
  const names = [...tables].sort().map((table) => lockName('write', table, scope));
  const hint = 'a dump is writing that table; wait longer with --wait-lock[=SECONDS]';
  return HeldLocks.acquire(settings.mysql, names, { owner: thisProcess('retire', tables), wait: request.waitLock, hint });
}

/**
 * Under the write locks, before deleting: staging tables that dumps which died or gave up left
 * are defused, so none of their rows lands after retire has verified the users gone.
 */
async function clearEarlierDumps(target: ClickHouseTarget, database: string, tables: readonly string[], request: RetireRequest, summary: RetireSummary): Promise<void> {
  const outcomes = await defuseEarlierRuns(target, database, new Set(tables), budgetWaits(request.retry), (line) => summary.warnings.push(line));
  summary.staging_tables_dropped = [...outcomes.values()].flat().filter((each) => each.dropped).length;
  const running = [...outcomes].filter(([, each]) => each.some((one) => !one.dropped));
  for (const [table, each] of running) {
    summary.warnings.push(`${defusedLine(table, each.filter((one) => !one.dropped)) as string}; its rows stay in that staging table until a later dump or retire drops it`);
  }
}

/**
 * Removes the selected users' rows from every PII table, waits until the deletion is complete,
 * then counts what is left: the run fails unless no row of theirs remains anywhere.
 */
export async function executeRetire(settings: Settings, request: RetireRequest): Promise<{ summary: RetireSummary; error?: RuntimeFailure }> {
  for (const table of settings.piiModels) {
    if (!isIdentifier(table)) throw new UsageError(`EVENT_SINK_CLICKHOUSE_PII_MODELS names ${JSON.stringify(table)}, which is not a table name`);
  }
  const { selection } = request;
  const retry: ConnectRetry = { policy: request.retry, onRetry: request.onRetry ?? (() => undefined) };
  const { target, lms } = await connect(settings, selection.usernames.length > 0 || selection.pending, retry);
  const database = settings.clickhouse.database;
  const summary: RetireSummary = { command: 'retire', dry_run: request.dryRun, status: 'success', users: [], tables: [], staging_tables_dropped: 0, warnings: [] };
  let locks: HeldLocks | undefined;
  try {
    const tables = await existingTables(target, database, settings.piiModels, summary);
    locks = await lockTables(settings, tables, request, summary);
    if (!request.dryRun) await clearEarlierDumps(target, database, tables, request, summary);
    summary.users = await selectedUsers(lms, request, target, database, tables, summary);
    if (summary.users.length > 0) {
      const method = request.dryRun ? undefined : await deleteMethod(target);
      const limits = { waitSeconds: request.waitSeconds, reachBy: Date.now() + Math.min(request.waitSeconds, settings.clickhouse.timeoutSeconds) * 1000 };
      for (const table of tables) summary.tables.push(await retireFromTable(target, database, table, summary.users, method, limits));
    }
    const left = summary.tables.filter((result) => result.status === 'failed');
    if (left.length === 0) return { summary };
    summary.status = 'failed';
    return { summary, error: new RuntimeFailure(leftLine(database, left)) };
  } finally {
    if (locks && lms) await locks.release(lms).catch(() => undefined);
    await lms?.close().catch(() => undefined);
    await target.close().catch(() => undefined);
  }
}
