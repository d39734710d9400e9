import { messageOf } from '../errors.js';
import type { ServerTarget } from './server.js';
import { literal } from './sql.js';
import type { ClickHouseTarget } from './target.js';
import type { ClusterServer } from './cluster.js';

/**
 * Whether a server of a cluster is up to date: for each replicated table, its ZooKeeper path (the
 * servers of one shard share it) and whether it has read its replication log and fetched every
 * inserted part the log names (system.replicas).
 */

/** One replicated table on one server: its ZooKeeper path, and why it is not up to date (if it is not). */
export interface TableReplica {
  readonly path: string;
  readonly behind?: string;
}

/**
 * Why a replica of a table is not up to date, from its system.replicas row; undefined when it is.
 * (log_max_index is 0 both for an empty log and for one whose only entry is unread: the first
 * insert into a new table is trusted to be pulled by then, as replicas pull within milliseconds.)
 */
function behindOf(row: readonly string[]): string | undefined {
  const [, , readonly, expired, inserts = '0', maxIndex = '0', pointer = '0'] = row;
  if (readonly === '1' || expired === '1') return 'read-only (no ZooKeeper session)';
  if (Number(inserts) > 0) return `${inserts} inserted part(s) not fetched yet`;
  const unread = Number(maxIndex) - Number(pointer) + 1;
  return unread > 0 && Number(maxIndex) > 0 ? `${unread} replication log entr${unread === 1 ? 'y' : 'ies'} not read yet` : undefined;
}

/** The replicated tables of `database` on one server, by name. */
export async function replicasOn(target: ClickHouseTarget, database: string): Promise<Map<string, TableReplica>> {
  const rows = await target.queryFields('SELECT table, zookeeper_path, is_readonly, is_session_expired, inserts_in_queue, log_max_index, log_pointer'
    + ` FROM system.replicas WHERE database = ${literal(database)}`);
  return new Map(rows.map((row) => [row[0] ?? '', { path: row[1] ?? '', behind: behindOf(row) }]));
}

/** What one server looked like at one reading. */
export type ServerState =
  | { readonly server: ClusterServer; readonly target: ServerTarget; readonly tables: Map<string, TableReplica> }
  | { readonly server: ClusterServer; readonly target: ServerTarget; readonly unreachable: string };

/** Whether a server holds the same replicated tables (same ZooKeeper paths) as the entry's. */
export function sameTables(state: ServerState, expected: ReadonlyMap<string, TableReplica>): boolean {
  if (!('tables' in state)) return false;
  return [...expected].every(([table, { path }]) => state.tables.get(table)?.path === path);
}

/** Why a server cannot be the run's replica; undefined when it can. */
export function unfitness(state: ServerState, expected: ReadonlyMap<string, TableReplica>): string | undefined {
  if ('unreachable' in state) return `unreachable (${state.unreachable})`;
  if (!sameTables(state, expected)) return 'holds other tables (another shard)';
  const behind = [...expected.keys()].flatMap((table) => {
    const why = state.tables.get(table)?.behind;
    return why ? [`${table}: ${why}`] : [];
  });
  return behind.length > 0 ? behind.join(', ') : undefined;
}

export async function readState(server: ClusterServer, target: ServerTarget, database: string): Promise<ServerState> {
  try {
    return { server, target, tables: await replicasOn(target, database) };
  } catch (error) {
    return { server, target, unreachable: messageOf(error) };
  }
}

/** The ZooKeeper paths of a server's replicated tables, as one key: the servers of one shard share it. */
function shardKey(state: ServerState): string | undefined {
  return 'tables' in state ? [...state.tables.values()].map((table) => table.path).sort().join('\n') : undefined;
}

/**
 * For a run through Distributed tables, read with load_balancing = in_order: of every other shard,
 * the first server that answers must be up to date, as the Distributed engine reads that one.
 * Returns why not, one line per shard.
 */
export function otherShardsBehind(states: readonly ServerState[], chosen: ServerState): string[] {
  const firsts = new Map<string, ServerState>();
  for (const state of states) {
    const key = shardKey(state);
    if (key !== undefined && key !== shardKey(chosen) && !firsts.has(key)) firsts.set(key, state);
  }
  return [...firsts.values()].flatMap((state) => {
    const behind = 'tables' in state ? [...state.tables].flatMap(([table, { behind: why }]) => (why ? [`${table}: ${why}`] : [])) : [];
    return behind.length > 0 ? [`${state.server.name} (read first for its shard): ${behind.join(', ')}`] : [];
  });
}
