import { Command } from 'commander';
import { clusterServers } from '../clickhouse/cluster.js';
import { DEFAULT_ZOOKEEPER_PATH, type ClusterLayout } from '../clickhouse/ddl.js';
import { connectClickHouse, openClickHouse } from '../clickhouse/open.js';
import { ClickHouseFailure, type Peer } from '../clickhouse/target.js';
import { isClusterName, resolveSettings, type ConnectionFlags, type Settings } from '../config/settings.js';
import { Drift, RuntimeFailure, UsageError } from '../errors.js';
import { writeLine } from '../output/streams.js';
import { clusterSchemaDifferences, initSchema, initXapiSchema, schemaDifferences, type SchemaDifference } from '../schema/schema.js';
import type { CommandContext } from './context.js';
import { addClickHouseOptions } from './connection-options.js';

interface InitFlags extends ConnectionFlags { cluster?: string; xapi?: boolean; zookeeperPath?: string; replicaName?: string; sharded?: boolean }
interface StatusFlags extends ConnectionFlags { json?: boolean }

/** The cluster layout the flags ask for (the cluster from --cluster or the settings), or none. */
function clusterLayout(flags: InitFlags, settings: Settings): ClusterLayout | undefined {
  const cluster = flags.cluster ?? settings.clickhouse.cluster;
  if (cluster !== undefined && !isClusterName(cluster)) throw new UsageError(`--cluster ${JSON.stringify(cluster)} is not a cluster name`);
  const layoutFlags = [flags.zookeeperPath && '--zookeeper-path', flags.replicaName && '--replica-name', flags.sharded && '--sharded'].filter(Boolean);
  if (cluster === undefined) {
    if (layoutFlags.length > 0) throw new UsageError(`${layoutFlags.join(', ')} needs --cluster (or ASPECTS_CLICKHOUSE_CLUSTER)`);
    return undefined;
  }
  if (flags.zookeeperPath !== undefined && !/^\/[\w{}./-]+$/.test(flags.zookeeperPath)) throw new UsageError(`--zookeeper-path ${JSON.stringify(flags.zookeeperPath)} must be a path like ${DEFAULT_ZOOKEEPER_PATH}`);
  if (flags.replicaName !== undefined && !/^[\w{}.-]+$/.test(flags.replicaName)) throw new UsageError(`--replica-name ${JSON.stringify(flags.replicaName)} must be a name or a macro like {replica}`);
  return { cluster, zookeeperPath: flags.zookeeperPath, replicaName: flags.replicaName, sharded: flags.sharded === true };
}

/** The server's whole message for a failed statement of schema init (its first line alone may stop mid-sentence). */
function wholeFailure(error: unknown): unknown {
  return error instanceof ClickHouseFailure ? new RuntimeFailure(`schema init failed: ${error.detail}`) : error;
}

async function initAction(flags: InitFlags, context: CommandContext): Promise<void> {
  const settings = resolveSettings(flags, context.env);
  const layout = clusterLayout(flags, settings);
  // schema init is what creates a chdb: store, so its folder may be new.
  const target = await connectClickHouse(settings.clickhouse, { create: true, pin: false });
  try {
    for (const notice of await initSchema(target, settings.clickhouse.database, layout)) writeLine(context.streams.stdout, notice);
    if (flags.xapi) {
      const { xapiDatabase, xapiTable } = settings.loadTest;
      writeLine(context.streams.stdout, await initXapiSchema(target, xapiDatabase, xapiTable, layout));
    }
  } catch (error) {
    throw wholeFailure(error);
  } finally {
    await target.close();
  }
}

function differenceLine(difference: SchemaDifference): string {
  const column = difference.column ? `.${difference.column}` : '';
  const types = difference.kind === 'mistyped column' || difference.kind === 'other engine' ? ` (expected ${difference.expected}, found ${difference.actual})`
    : difference.expected ? ` (${difference.expected})` : difference.actual ? ` (${difference.actual})` : '';
  const server = difference.server ? `${difference.server}: ` : '';
  return `${server}${difference.kind}: ${difference.table}${column}${types}`;
}

/** The differences on the URL's server, or on every server of the settings' cluster. */
async function differencesOf(settings: Settings): Promise<SchemaDifference[]> {
  const { clickhouse } = settings;
  const entry = await connectClickHouse(clickhouse, { pin: false });
  const servers: Peer[] = [];
  try {
    if (clickhouse.cluster === undefined) return await schemaDifferences(entry, clickhouse.database);
    for (const server of await clusterServers(entry, clickhouse, clickhouse.cluster)) {
      servers.push({ name: server.name, target: await openClickHouse({ ...clickhouse, url: server.url }) });
    }
    return await clusterSchemaDifferences(servers, clickhouse.database);
  } finally {
    await Promise.all([entry, ...servers.map((server) => server.target)].map((target) => target.close().catch(() => undefined)));
  }
}

async function statusAction(flags: StatusFlags, context: CommandContext): Promise<void> {
  const settings = resolveSettings(flags, context.env);
  const differences = await differencesOf(settings);
  const { database, cluster } = settings.clickhouse;
  const where = cluster === undefined ? '' : ` on every server of cluster ${cluster}`;
  const text = flags.json
    ? JSON.stringify({ command: 'schema status', database, ...(cluster ? { cluster } : {}), matches: differences.length === 0, differences })
    : differences.length === 0 ? `schema of ${database} matches${where}` : differences.map(differenceLine).join('\n');
  writeLine(context.streams.stdout, text);
  if (differences.length > 0) throw new Drift(`the schema of ${settings.clickhouse.database} drifts from Aspects' in ${differences.length} places`);
}

/** `aspects schema init|status`: create the event_sink tables, or compare them with Aspects'. */
export function schemaCommand(context: CommandContext): Command {
  const init = addClickHouseOptions(new Command('init')
    .description('create the database and every event_sink table the tool writes, as Aspects defines them (idempotent)')
    .option('--cluster <name>', 'ON CLUSTER and Replicated engines, as Tutor does with CLICKHOUSE_CLUSTER_NAME (default: ASPECTS_CLICKHOUSE_CLUSTER)')
    .option('--zookeeper-path <path>', `each table's ZooKeeper path; {database} and {table} are filled in, other {macros} by each server (default: the server's default_replica_path on 20.10+, ${DEFAULT_ZOOKEEPER_PATH} before)`)
    .option('--replica-name <name>', 'each replica\'s name (default: {replica}, a macro every server of the cluster defines)')
    .option('--sharded', 'local replicated tables <table>_local on every shard, and a Distributed table <table> over them')
    .option('--xapi', 'also create the xAPI statements table (xapi.xapi_events_all) for a standalone or embedded store')
    .action((flags: InitFlags) => initAction(flags, context)));
  const status = addClickHouseOptions(new Command('status')
    .description('report missing tables, other engines and missing, extra or mistyped columns (on every server of --clickhouse-cluster); exit 3 when they drift')
    .option('--json', 'print one JSON document')
    .action((flags: StatusFlags) => statusAction(flags, context)), { cluster: true });
  return new Command('schema')
    .description('create or check the event_sink schema')
    .addCommand(init)
    .addCommand(status)
    .addHelpText('after', '\nExamples:\n  $ aspects schema init --clickhouse-url chdb:./aspects-data\n  $ aspects schema status --json');
}
