import { RuntimeFailure } from '../errors.js';
import type { ClickHouseSettings } from '../config/settings.js';
import { ServerTarget } from './server.js';
import { literal } from './sql.js';
import { otherShardsBehind, readState, replicasOn, sameTables, unfitness, type ServerState, type TableReplica } from './replica-state.js';
import { isTransientClickHouse, type ClickHouseRow, type ClickHouseTarget, type InsertOptions, type Peer, type TableName } from './target.js';
import { connecting, type ConnectRetry } from '../pipeline/retry.js';
import type { Readable } from 'node:stream';

/**
 * A run on a cluster talks to one replica, chosen at its start among those that hold the same
 * replicated tables as the server the given URL reaches (a load balancer, a Kubernetes Service),
 * and only once that replica has every part the others were told about. Every read of the run
 * then sees what this run and earlier runs wrote, whichever server a balancer would have picked,
 * and every write can be checked where it was sent.
 */

/** How often the replicas' state is read while none is up to date. */
const POLL_MS = 500;

/** One server of the cluster and the HTTP URL the tool reaches it at. */
export interface ClusterServer {
  readonly name: string;
  readonly url: string;
}

/** The cluster's servers: system.clusters' host names at the given URL's scheme and port, or the URLs the settings list. */
export async function clusterServers(entry: ClickHouseTarget, settings: ClickHouseSettings, cluster: string): Promise<ClusterServer[]> {
  if (settings.replicaUrls) return settings.replicaUrls.map((url) => ({ name: new URL(url).host, url: url.replace(/\/$/, '') }));
  const rows = await entry.queryFields(`SELECT host_name FROM system.clusters WHERE cluster = ${literal(cluster)} ORDER BY shard_num, replica_num`);
  if (rows.length === 0) {
    throw new RuntimeFailure(`cluster ${cluster} is not in system.clusters of ${entry.description}: check ASPECTS_CLICKHOUSE_CLUSTER (or CLICKHOUSE_CLUSTER_NAME) and the servers' remote_servers`);
  }
  return rows.map(([host = '']) => ({ name: host, url: urlAtHost(settings.url, host) }));
}

/** `url` with its host replaced (scheme, port and path kept). */
function urlAtHost(url: string, host: string): string {
  const parsed = new URL(url);
  parsed.hostname = host.includes(':') ? `[${host}]` : host;
  return parsed.toString().replace(/\/$/, '');
}

/** Another server of the run's cluster, with where it is reached. */
interface ClusterPeer extends Peer {
  readonly server: ClusterServer;
  readonly target: ServerTarget;
}

/** What a run knows of its cluster: the name, its settings, the replicated tables the run's replica must hold, whether it reads Distributed tables. */
interface ClusterView {
  readonly cluster: string;
  readonly settings: ClickHouseSettings;
  readonly expected: ReadonlyMap<string, TableReplica>;
  readonly distributed: boolean;
}

/** The run's view of a cluster: the replica it talks to, and every other server for checks that must see them all. */
export class ClusterTarget implements ClickHouseTarget {
  readonly description: string;
  readonly overNetwork = true;
  readonly maxInsertBytes = Number.POSITIVE_INFINITY;

  constructor(
    private readonly pinned: ServerTarget, readonly replica: ClusterServer, private readonly view: ClusterView,
    readonly peers: readonly ClusterPeer[], readonly routing: string,
  ) {
    this.description = `${pinned.description} (replica ${replica.name} of cluster ${view.cluster})`;
  }

  /** Waits for this run's replica (and, through Distributed tables, for the other shards' first replicas). */
  async untilUpToDate(): Promise<void> {
    const { database } = this.view.settings;
    const others = await Promise.all(this.peers.map((peer) => readState(peer.server, peer.target, database)));
    const otherShards = others.filter((state) => 'tables' in state && !sameTables(state, this.view.expected));
    await firstUpToDate([await readState(this.replica, this.pinned, database), ...otherShards], this.view);
  }

  ping(): Promise<void> { return this.pinned.ping(); }
  query(sql: string): Promise<ClickHouseRow[]> { return this.pinned.query(sql); }
  queryFields(sql: string): Promise<string[][]> { return this.pinned.queryFields(sql); }
  command(sql: string, options?: InsertOptions): Promise<void> { return this.pinned.command(sql, options); }
  insertCsv(into: TableName, columns: readonly string[], csv: readonly Buffer[] | Readable, options?: InsertOptions): Promise<void> {
    return this.pinned.insertCsv(into, columns, csv, options);
  }

  async close(): Promise<void> {
    await Promise.all([this.pinned, ...this.peers.map((peer) => peer.target)].map((target) => target.close().catch(() => undefined)));
  }
}

/** The server a run can talk to (none yet: why, per server); through Distributed tables, the other shards must be read up to date too. */
function verdict(states: readonly ServerState[], view: ClusterView): { fit?: ServerState; why: string } {
  const fit = states.find((state) => unfitness(state, view.expected) === undefined);
  const shards = fit && view.distributed ? otherShardsBehind(states, fit) : [];
  if (fit && shards.length === 0) return { fit, why: '' };
  const servers = fit ? [] : states.map((state) => `${state.server.name}: ${unfitness(state, view.expected) ?? ''}`);
  return { why: [...servers, ...shards].join('; ') };
}

/** Reads every server's state until one replica of the entry's tables is up to date, within the request timeout. */
async function firstUpToDate(initial: readonly ServerState[], view: ClusterView): Promise<ServerState> {
  const { settings, cluster } = view;
  const deadline = Date.now() + settings.timeoutSeconds * 1000;
  for (let states = initial; ; states = await Promise.all(states.map((state) => readState(state.server, state.target, settings.database)))) {
    const { fit, why } = verdict(states, view);
    if (fit) return fit;
    if (Date.now() > deadline) {
      const advice = states.every((state) => 'unreachable' in state)
        ? 'none answered: if the tool cannot reach them by these names, list their HTTP URLs in ASPECTS_CLICKHOUSE_REPLICAS'
        : 'run again once replication caught up (system.replicas)';
      throw new RuntimeFailure(`no replica of cluster ${cluster} is up to date after ${settings.timeoutSeconds} s (${why}); nothing was read or written: ${advice}`);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** Which replica a run talks to, and why each server before it in the cluster's order was passed over. */
function routingLine(chosen: ServerState, others: readonly ServerState[], view: ClusterView): string {
  const { expected, cluster } = view;
  const named = view.settings.cluster !== undefined;
  const passed = others.flatMap((state) => {
    const why = unfitness(state, expected);
    return why && !why.startsWith('holds other tables') ? [`${state.server.name}: ${why}`] : [];
  });
  return `reading and writing replica ${chosen.server.name} of cluster ${cluster}${passed.length > 0 ? ` (passed over ${passed.join('; ')})` : ''}${named ? '' : ' (found in system.clusters as the only one of this server: name it with ASPECTS_CLICKHOUSE_CLUSTER)'}`;
}

/** Whether the database has Distributed tables (a sharded layout). */
async function hasDistributed(entry: ClickHouseTarget, database: string): Promise<boolean> {
  const [[count = '0'] = []] = await entry.queryFields(`SELECT count() FROM system.tables WHERE database = ${literal(database)} AND engine = 'Distributed'`);
  return count !== '0';
}

/**
 * Requests of a run through Distributed tables: each shard is read and written on its first
 * replica that answers (the one checked up to date), and inserts return once every shard has them.
 */
const DISTRIBUTED_SETTINGS = Object.freeze({ load_balancing: 'in_order' });

/** What the entry (the URL's server, through any balancer) says of the cluster: retried like the connection, as a balancer may pick a server that is down. */
async function viewThrough(entry: ClickHouseTarget, settings: ClickHouseSettings, cluster: string, retry?: ConnectRetry): Promise<{ view: ClusterView; servers: ClusterServer[] }> {
  const ask = <T>(question: () => Promise<T>) => connecting(question, isTransientClickHouse, retry);
  const expected = await ask(() => replicasOn(entry, settings.database));
  const distributed = await ask(() => hasDistributed(entry, settings.database));
  return { view: { cluster, settings, expected, distributed }, servers: await ask(() => clusterServers(entry, settings, cluster)) };
}

/**
 * Chooses the run's replica: the first server (in system.clusters order) that holds the entry's
 * replicated tables and has read and fetched everything in their replication logs.
 */
export async function pinReplica(entry: ClickHouseTarget, settings: ClickHouseSettings, cluster: string, retry?: ConnectRetry): Promise<ClusterTarget> {
  const { view, servers } = await viewThrough(entry, settings, cluster, retry);
  const requestSettings = view.distributed ? DISTRIBUTED_SETTINGS : {};
  const targets = servers.map((server) => new ServerTarget({ ...settings, url: server.url }, retry?.signal, requestSettings));
  const states = await Promise.all(servers.map((server, index) => readState(server, targets[index] as ServerTarget, settings.database)));
  try {
    const chosen = await firstUpToDate(states, view);
    const others = states.filter((state) => state !== chosen);
    const peers = others.map((state) => ({ name: state.server.name, target: state.target, server: state.server }));
    return new ClusterTarget(chosen.target, chosen.server, view, peers, routingLine(chosen, others, view));
  } catch (error) {
    await Promise.all(targets.map((target) => target.close().catch(() => undefined)));
    throw error;
  }
}
