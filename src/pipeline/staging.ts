import { messageOf } from '../errors.js';
import { literal, qualifiedTable, quoteIdentifier } from '../clickhouse/sql.js';
import { isTransientClickHouse, type ClickHouseTarget, type TableName } from '../clickhouse/target.js';
import { pause } from './pacing.js';
import { RetryBudget, withRetry, type RetryListener, type RetryPolicy } from './retry.js';

/**
 * Staged inserts, so that no request of a run lands after the run is over. An insert attempt's
 * body goes into a staging table of its own; only once ClickHouse has answered for the whole body
 * are its rows published into their table, by one INSERT … SELECT that runs on the server. Bytes
 * the network holds back (a stalled flow, a half-open connection, a killed process's socket
 * queue) can then land only in a staging table nobody publishes, and a publish held back finds
 * its staging table dropped by the next run (or by retire) before that writes. Request order makes
 * this enough: a publish is sent only after its staging insert was answered, so a staging table
 * that an insert still runs into has no publish anywhere.
 */

/** What every staging table's name starts with; the rest is `<table>_<insert>_<attempt>`. */
export const STAGING_PREFIX = '_aspects_staging_';
const STAGING_NAME = /^_aspects_staging_(\w+)_([0-9a-f]{32})_(\d+)$/;

/** One attempt's staging table, the table it is for, and the query ids of its insert and its publish. */
export interface Stage {
  readonly table: TableName;
  readonly into: TableName;
  readonly insertId: string;
  readonly publishId: string;
}

/** The stage of attempt `attempt` of the insert with query id `queryId` (`aspects-<uuid>`). */
export function stageOf(into: TableName, queryId: string, attempt: number): Stage {
  const insert = queryId.replace(/^aspects-/, '').replaceAll('-', '');
  return {
    table: { database: into.database, table: `${STAGING_PREFIX}${into.table}_${insert}_${attempt}` },
    into, insertId: `${queryId}-s${attempt}`, publishId: `${queryId}-p${attempt}`,
  };
}

/** The table a staging table's rows are for; undefined when `name` is not a staging table's. */
export function stagedFor(name: string): string | undefined {
  return STAGING_NAME.exec(name)?.[1];
}

/** How a staging step waits: transient failures retried within a budget, and pauses. */
export interface StagingWaits {
  retrying<T>(operation: () => Promise<T>): Promise<T>;
  /** Whether the time to wait for a query is spent. */
  expired(): boolean;
  pause(ms: number): Promise<void>;
}

/** Waits within one retry budget: transient ClickHouse failures retried, pauses ended by `signal`. */
export function budgetWaits(policy: RetryPolicy, signal?: AbortSignal, onRetry?: RetryListener): StagingWaits {
  const budget = new RetryBudget(policy, signal);
  return {
    retrying: (operation) => withRetry(operation, isTransientClickHouse, policy, onRetry, signal),
    expired: () => budget.expired(),
    pause: (ms) => pause(ms, signal),
  };
}

/** A query of the tool's that ClickHouse is running now. */
interface RunningQuery {
  readonly id: string;
  readonly text: string;
}

/** What was done with a staging table so that nothing of it can reach its table. */
export type Defused =
  | { readonly dropped: true }
  /** An insert still runs into it: it was never published, and is left (a DROP would wait for that insert). */
  | { readonly dropped: false; readonly insertId: string };

const POLL_MS = 500;

/** The tool's queries ClickHouse is running now (their query ids start with `aspects-`). */
async function runningQueries(target: ClickHouseTarget): Promise<RunningQuery[]> {
  const rows = await target.queryFields("SELECT query_id, query FROM system.processes WHERE query_id LIKE 'aspects-%'");
  return rows.map(([id = '', text = '']) => ({ id, text }));
}

/** The running queries that use `stage`, split into inserts into it and reads of it (publishes). */
async function queriesOn(target: ClickHouseTarget, stage: TableName): Promise<{ inserts: RunningQuery[]; reads: RunningQuery[] }> {
  const name = qualifiedTable(stage.database, stage.table);
  const using = (await runningQueries(target)).filter((query) => query.text.includes(name));
  const inserting = (query: RunningQuery) => query.text.trimStart().startsWith(`INSERT INTO ${name}`);
  return { inserts: using.filter(inserting), reads: using.filter((query) => !inserting(query)) };
}

/**
 * Makes sure nothing of a staging table can reach its table any more: it is dropped, then the
 * publish that may have been reading it is waited for (ClickHouse with Atomic databases lets a
 * query go on after the DROP). A staging table an insert still runs into is left as it is; an
 * attempt to stop that insert is made. A publish still running when the budget is spent is killed.
 */
export async function defuse(target: ClickHouseTarget, stage: TableName, waits: StagingWaits): Promise<Defused> {
  const [insert] = (await waits.retrying(() => queriesOn(target, stage))).inserts;
  if (insert) {
    await target.command(`KILL QUERY WHERE query_id = ${literal(insert.id)} ASYNC`).catch(() => undefined);
    return { dropped: false, insertId: insert.id };
  }
  await waits.retrying(() => target.command(`DROP TABLE IF EXISTS ${qualifiedTable(stage.database, stage.table)}`));
  for (;;) {
    const { inserts, reads } = await waits.retrying(() => queriesOn(target, stage));
    if (inserts.length + reads.length === 0) return { dropped: true };
    const late = reads[0] ?? inserts[0] as RunningQuery;
    if (waits.expired()) await waits.retrying(() => target.command(`KILL QUERY WHERE query_id = ${literal(late.id)} SYNC`));
    await waits.pause(POLL_MS);
  }
}

/** Creates an attempt's staging table: the structure of its table, in a plain log engine. */
export function createStage(target: ClickHouseTarget, stage: Stage): Promise<void> {
  const { table, into } = stage;
  return target.command(`CREATE TABLE ${qualifiedTable(table.database, table.table)} AS ${qualifiedTable(into.database, into.table)} ENGINE = StripeLog`);
}

/** The INSERT … SELECT that moves a staged attempt's rows into their table. */
export function publishSql(stage: Stage, columns: readonly string[]): string {
  const list = columns.map(quoteIdentifier).join(', ');
  const { table, into } = stage;
  return `INSERT INTO ${qualifiedTable(into.database, into.table)} (${list}) SELECT ${list} FROM ${qualifiedTable(table.database, table.table)}`;
}

/** Drops a published stage; a failure leaves it to the next run's clean-up (nothing of it can land twice). */
export async function dropPublished(target: ClickHouseTarget, stage: Stage): Promise<void> {
  await target.command(`DROP TABLE IF EXISTS ${qualifiedTable(stage.table.database, stage.table.table)}`).catch(() => undefined);
}

/** A line for what was done with an earlier run's staging tables of one table. */
export function defusedLine(table: string, outcomes: readonly Defused[]): string | undefined {
  const dropped = outcomes.filter((each) => each.dropped).length;
  const running = outcomes.flatMap((each) => (each.dropped ? [] : [each.insertId]));
  const parts = [
    ...(dropped > 0 ? [`dropped ${dropped} staging table${dropped === 1 ? '' : 's'} of an earlier run, so nothing of ${dropped === 1 ? 'it' : 'them'} can land any more`] : []),
    ...(running.length > 0 ? [`an earlier run's insert is still running into its staging table (query ${running.join(', ')}); it can never reach ${table}, as that staging table is never published`] : []),
  ];
  return parts.length > 0 ? `${table}: ${parts.join('; ')}` : undefined;
}

/** The lines that say what was done with earlier runs' staging tables. */
export function defusedLines(outcomes: ReadonlyMap<string, readonly Defused[]>): string[] {
  return [...outcomes].flatMap(([table, each]) => defusedLine(table, each) ?? []);
}

/** Defuses the staging tables of `tables` on one server, adding what was done to `outcomes`. */
async function defuseOn(
  target: ClickHouseTarget, database: string, tables: ReadonlySet<string>, waits: StagingWaits, outcomes: Map<string, Defused[]>,
): Promise<void> {
  const names = await waits.retrying(() => target.queryFields(`SELECT name FROM system.tables WHERE database = ${literal(database)}`));
  for (const [name = ''] of names) {
    const table = stagedFor(name);
    if (table === undefined || !tables.has(table)) continue;
    outcomes.set(table, [...(outcomes.get(table) ?? []), await defuse(target, { database, table: name }, waits)]);
  }
}

/** Waits that try a cluster peer once: a replica that is down must not hold every run for the retry budget. */
const ONCE: StagingWaits = { retrying: (operation) => operation(), expired: () => true, pause: () => Promise.resolve() };

/**
 * Before a run writes these tables (under their run or write locks): every staging table of an
 * earlier run is defused, on the run's server and on every other server of its cluster (an
 * earlier run may have talked to another replica), so no insert or publish of a run that died or
 * gave up lands later. A peer that does not answer is reported through `unchecked`; then the run's
 * replica is given time to fetch what such a publish may have landed elsewhere just before.
 */
export async function defuseEarlierRuns(
  target: ClickHouseTarget, database: string, tables: ReadonlySet<string>, waits: StagingWaits, unchecked?: (line: string) => void,
): Promise<Map<string, Defused[]>> {
  const outcomes = new Map<string, Defused[]>();
  if (!target.overNetwork) return outcomes;
  await defuseOn(target, database, tables, waits, outcomes);
  for (const peer of target.peers ?? []) {
    await defuseOn(peer.target, database, tables, ONCE, outcomes).catch((error: unknown) => {
      unchecked?.(`replica ${peer.name} did not answer (${messageOf(error)}): staging tables an earlier run may have left there were not checked`);
    });
  }
  await target.untilUpToDate?.();
  return outcomes;
}
