import { messageOf } from '../errors.js';
import { LOCAL_SUFFIX } from '../clickhouse/ddl.js';
import { literal } from '../clickhouse/sql.js';
import { serversOf, type ClickHouseTarget } from '../clickhouse/target.js';
import { pause } from '../pipeline/pacing.js';
import { countUserRows } from './delete.js';

/**
 * Where a PII table's rows are stored: on one server, the table itself; on a cluster, every
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

/** Rows of these users in a table: per replication group the most any of its copies holds, summed. */
export async function matchedRows(copies: readonly TableCopy[], database: string, users: readonly number[]): Promise<number> {
  const most = new Map<string, number>();
  for (const copy of copies) most.set(copy.group, Math.max(most.get(copy.group) ?? 0, await countUserRows(copy.target, database, copy.table, users)));
  return [...most.values()].reduce((sum, rows) => sum + rows, 0);
}

/** Rows of these users left in one copy, asked until none are or `deadline` passes (a replica applies a delete after the one it was sent to). */
export async function rowsLeft(copy: TableCopy, database: string, users: readonly number[], deadline: number): Promise<number> {
  for (;;) {
    const left = await countUserRows(copy.target, database, copy.table, users);
    if (left === 0 || Date.now() > deadline) return left;
    await pause(200);
  }
}

/** One copy per group: where a delete is sent so that every replica gets it once. */
export function onePerGroup(copies: readonly TableCopy[]): TableCopy[] {
  const seen = new Set<string>();
  return copies.filter((copy) => !seen.has(copy.group) && seen.add(copy.group));
}
