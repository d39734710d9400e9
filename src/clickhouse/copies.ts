import { messageOf } from '../errors.js';
import { LOCAL_SUFFIX } from './ddl.js';
import { deleteWhere, type DeleteMethod } from './delete.js';
import { literal, qualifiedTable } from './sql.js';
import { serversOf, type ClickHouseTarget } from './target.js';
import { pause } from '../pipeline/pacing.js';

/**
 * Where a table's rows are stored: on one server, the table itself; on a cluster, every
 * server's copy (the local table under a Distributed one), grouped by replication: the replicas
 * of one shard share a ZooKeeper path, and a delete sent to one of them reaches them all.
 */
export interface TableCopy {
  /** The server, as the cluster names it. */
  readonly server: string;
  readonly target: ClickHouseTarget;
  /** The table that stores the rows on that server. */
  readonly table: string;
  /** Copies with the same group hold the same rows (one shard's replicas). */
  readonly group: string;
}

/** Where one table's rows are, and the servers that did not answer (they may hold some). */
export interface TableCopies {
  readonly copies: readonly TableCopy[];
  readonly unreachable: readonly string[];
}

/** The table holding `table`'s rows on one server, and its replication group there. */
async function copyOn(server: string, target: ClickHouseTarget, database: string, table: string): Promise<TableCopy> {
  const [[engine = ''] = []] = await target.queryFields(`SELECT engine FROM system.tables WHERE database = ${literal(database)} AND name = ${literal(table)}`);
  const stored = engine === 'Distributed' ? `${table}${LOCAL_SUFFIX}` : table;
  const [[path] = []] = await target.queryFields(`SELECT zookeeper_path FROM system.replicas WHERE database = ${literal(database)} AND table = ${literal(stored)}`);
  return { server, target, table: stored, group: path ?? `${server}/${stored}` };
}

/** Every copy of a table on the run's server and its cluster peers. */
export async function copiesOf(target: ClickHouseTarget, database: string, table: string): Promise<TableCopies> {
  const copies: TableCopy[] = [];
  const unreachable: string[] = [];
  for (const { name, target: server } of serversOf(target)) {
    try {
      copies.push(await copyOn(name, server, database, table));
    } catch (error) {
      unreachable.push(`${name} (${messageOf(error)})`);
    }
  }
  return { copies, unreachable };
}

/** Asks again until every server answers or `deadline` (epoch ms) passes: a replica restarting may hold rows. */
export async function copiesWithin(target: ClickHouseTarget, database: string, table: string, deadline: number): Promise<TableCopies> {
  for (;;) {
    const found = await copiesOf(target, database, table);
    if (found.unreachable.length === 0 || Date.now() > deadline) return found;
    await pause(1000);
  }
}

/** Rows matching the conditions (each a WHERE clause over a chunk of the rows aimed at) in one table. */
async function countRows(target: ClickHouseTarget, database: string, table: string, conditions: readonly string[]): Promise<number> {
  let total = 0;
  for (const condition of conditions) {
    const [row] = await target.query(`SELECT count() AS n FROM ${qualifiedTable(database, table)} WHERE ${condition}`);
    total += Number(row?.n ?? 0);
  }
  return total;
}

/** Rows matching the conditions: per replication group the most any of its copies holds, summed. */
async function matchedRows(copies: readonly TableCopy[], database: string, conditions: readonly string[]): Promise<number> {
  const most = new Map<string, number>();
  for (const copy of copies) most.set(copy.group, Math.max(most.get(copy.group) ?? 0, await countRows(copy.target, database, copy.table, conditions)));
  return [...most.values()].reduce((sum, rows) => sum + rows, 0);
}

/** Matching rows left in one copy, asked until none are or `deadline` passes (a replica applies a delete after the one it was sent to). */
async function rowsLeft(copy: TableCopy, database: string, conditions: readonly string[], deadline: number): Promise<number> {
  for (;;) {
    const left = await countRows(copy.target, database, copy.table, conditions);
    if (left === 0 || Date.now() > deadline) return left;
    await pause(200);
  }
}

/** One copy per group: where a delete is sent so that every replica gets it once. */
function onePerGroup(copies: readonly TableCopy[]): TableCopy[] {
  const seen = new Set<string>();
  return copies.filter((copy) => !seen.has(copy.group) && seen.add(copy.group));
}

/** How long a verified delete waits: for the delete to be applied everywhere, and for servers that do not answer. */
export interface DeleteLimits {
  readonly waitSeconds: number;
  /** Until when (epoch ms) a server that does not answer is asked again (a restarting replica may hold rows). */
  readonly reachBy: number;
}

/** What a verified delete found and left; `remaining` is null when nothing was deleted (a dry run). */
export interface DeleteOutcome {
  readonly matched: number;
  readonly remaining: number | null;
  /** Servers that did not answer: they may still hold matching rows. */
  readonly unreachable: readonly string[];
}

/**
 * Deletes the rows matching the conditions from every copy of one table (without a method, only
 * counts them), then counts what is left on each copy until none is or --wait passes.
 */
export async function deleteEverywhere(
  target: ClickHouseTarget, database: string, table: string, conditions: readonly string[], method: DeleteMethod | undefined, limits: DeleteLimits,
): Promise<DeleteOutcome> {
  const deadline = Date.now() + limits.waitSeconds * 1000;
  const { copies, unreachable } = await copiesWithin(target, database, table, limits.reachBy);
  const matched = await matchedRows(copies, database, conditions);
  if (method === undefined) return { matched, remaining: null, unreachable };
  if (matched > 0) for (const copy of onePerGroup(copies)) await deleteWhere(copy.target, method, { database, table: copy.table }, conditions, limits.waitSeconds * 1000);
  let remaining = 0;
  for (const copy of copies) remaining += await rowsLeft(copy, database, conditions, deadline);
  return { matched, remaining, unreachable };
}

/** Above this many, deleting most of what a table holds asks for --allow-mass-delete. */
const MASS_DELETE_FLOOR = 10;

/** Whether deleting `doomed` of `held` keys or users is most of them: more likely the wrong LMS database than deletions. */
export function isMassDelete(doomed: number, held: number): boolean {
  return doomed > MASS_DELETE_FLOOR && doomed * 2 > held;
}
