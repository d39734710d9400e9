import { RuntimeFailure, messageOf } from '../errors.js';
import type { ClickHouseSettings } from '../config/settings.js';
import { pinReplica } from './cluster.js';
import { openEmbeddedTarget } from './embedded.js';
import { ServerTarget } from './server.js';
import { literal, qualifiedTable } from './sql.js';
import { isTransientClickHouse, type ClickHouseTarget } from './target.js';
import { connecting, type ConnectRetry } from '../pipeline/retry.js';

/**
 * The ClickHouse destination the settings name: a server over HTTP, or `chdb:PATH` embedded.
 * `signal` abandons the server's requests (in-process calls cannot be); `create` lets a chdb:
 * folder be new (schema init), where otherwise a missing one is a mistyped path.
 */
export async function openClickHouse(settings: ClickHouseSettings, signal?: AbortSignal, create = false): Promise<ClickHouseTarget> {
  if (settings.url.startsWith('chdb:')) return openEmbeddedTarget(settings.url.slice('chdb:'.length), create);
  return new ServerTarget(settings, signal);
}

/** How a command connects: retries while the server may come up, a new chdb: folder, whether a cluster run picks its replica. */
export interface ConnectOptions {
  readonly retry?: ConnectRetry;
  readonly create?: boolean;
  /** On a cluster (named, or the only one of a server with replicated tables), talk to one up-to-date replica (default); false keeps the URL's own server (DDL ON CLUSTER, ad-hoc queries). */
  readonly pin?: boolean;
}

/** How many tables of `database` are replicated (the first request of a run to a server: it also checks it answers). */
async function replicatedTables(target: ClickHouseTarget, database: string): Promise<number> {
  const [[count = '0'] = []] = await target.queryFields(`SELECT count() FROM system.tables WHERE database = ${literal(database)} AND engine LIKE 'Replicated%'`);
  return Number(count);
}

/** Opens the destination and checks it answers (retrying while it may come up, when asked); one clear failure otherwise. */
export async function connectClickHouse(settings: ClickHouseSettings, options: ConnectOptions = {}): Promise<ClickHouseTarget> {
  const { retry, create = false, pin = true } = options;
  const target = await openClickHouse(settings, retry?.signal, create);
  const routed = pin && target instanceof ServerTarget;
  let replicated: number;
  try {
    replicated = await connecting(() => (routed ? replicatedTables(target, settings.database) : target.ping().then(() => 0)), isTransientClickHouse, retry);
  } catch (error) {
    await target.close().catch(() => undefined);
    throw new RuntimeFailure(`cannot connect to ClickHouse ${target.description}: ${messageOf(error)}`);
  }
  const cluster = settings.cluster ?? (replicated > 0 ? await impliedCluster(target as ServerTarget, settings.database) : undefined);
  if (!routed || cluster === undefined) return target;
  try {
    return await pinReplica(target, settings, cluster, retry);
  } finally {
    await target.close().catch(() => undefined);
  }
}

/**
 * The cluster of a database whose tables are replicated when none is named: the only one the
 * server belongs to with more than one server. Otherwise the run goes on through the URL, with a
 * line saying that a balancer may send its reads to a lagging replica.
 */
async function impliedCluster(target: ServerTarget, database: string): Promise<string | undefined> {
  const clusters = (await target.queryFields('SELECT cluster FROM system.clusters GROUP BY cluster HAVING max(is_local) = 1 AND count() > 1 ORDER BY cluster')).map(([name = '']) => name);
  if (clusters.length === 1) return clusters[0];
  target.routing = `the tables of ${database} are replicated but no cluster is named (ASPECTS_CLICKHOUSE_CLUSTER${clusters.length > 0 ? `: one of ${clusters.join(', ')}` : ''}): behind a load balancer, this run may read a lagging replica`;
  return undefined;
}

/** Whether `database`.`table` exists on the destination. */
export async function tableExists(target: ClickHouseTarget, database: string, table: string): Promise<boolean> {
  const [row] = await target.query(`EXISTS TABLE ${qualifiedTable(database, table)}`);
  return Number(Object.values(row ?? {})[0]) === 1;
}
