import { literal, quoteIdentifier } from './sql.js';
import type { ClickHouseTarget } from './target.js';

/** One column of an event_sink table: name, ClickHouse type, optional DEFAULT expression. */
export type ColumnDefinition = readonly [name: string, type: string, defaultExpression?: string];

/** An event_sink table exactly as Tutor's migrations define it (contract §1). */
export interface TableDefinition {
  readonly name: string;
  readonly columns: readonly ColumnDefinition[];
  readonly engine: 'MergeTree' | 'ReplacingMergeTree';
  readonly partitionBy?: string;
  readonly primaryKey: string;
  readonly orderBy: string;
  readonly settings?: string;
  /** The expression a sharded layout's Distributed table spreads rows by: every version of a key on one shard. */
  readonly shardBy: string;
}

const STAMP: readonly ColumnDefinition[] = [['dump_id', 'UUID'], ['time_last_dumped', 'String']];
const strings = (...names: string[]): ColumnDefinition[] => names.map((name) => [name, 'String']);

/** Every table the tool writes, in the order `schema init` creates them. */
export const EVENT_SINK_TABLES: readonly TableDefinition[] = Object.freeze([
  {
    name: 'course_overviews', engine: 'MergeTree',
    columns: [...strings('org', 'course_key', 'display_name', 'course_start', 'course_end', 'enrollment_start', 'enrollment_end'),
      ['self_paced', 'Bool'], ...strings('course_data_json', 'created', 'modified'), ...STAMP],
    primaryKey: '(org, course_key, modified, time_last_dumped)', orderBy: '(org, course_key, modified, time_last_dumped)', shardBy: 'cityHash64(course_key)',
  },
  {
    name: 'course_blocks', engine: 'MergeTree',
    columns: [...strings('org', 'course_key', 'location', 'display_name', 'xblock_data_json'), ['order', 'Int32', '0'],
      ['edited_on', 'String'], ...STAMP],
    primaryKey: '(org, course_key, location, edited_on)', orderBy: '(org, course_key, location, edited_on, `order`)', shardBy: 'cityHash64(course_key)',
  },
  {
    name: 'user_profile', engine: 'ReplacingMergeTree', partitionBy: 'user_id MOD 100',
    columns: [['id', 'Int32'], ['user_id', 'Int32'], ['name', 'String'], ['username', 'String', "''"], ['email', 'String', "''"],
      ...strings('meta', 'courseware', 'language', 'location', 'year_of_birth', 'gender', 'level_of_education', 'mailing_address',
        'city', 'country', 'state', 'goals', 'bio', 'profile_image_uploaded_at', 'phone_number'), ...STAMP],
    primaryKey: '(id, time_last_dumped)', orderBy: '(id, time_last_dumped)', shardBy: 'id',
  },
  {
    name: 'external_id', engine: 'ReplacingMergeTree', partitionBy: 'user_id MOD 100',
    columns: [['external_user_id', 'UUID'], ['external_id_type', 'String'], ['username', 'String'], ['user_id', 'Int32'], ...STAMP],
    primaryKey: '(external_user_id, time_last_dumped)', orderBy: '(external_user_id, time_last_dumped)', shardBy: 'user_id',
  },
  {
    name: 'course_enrollment', engine: 'MergeTree',
    columns: [['id', 'Int32'], ['course_key', 'String'], ['created', 'String'], ['is_active', 'Bool'], ['mode', 'LowCardinality(String)'],
      ['username', 'String'], ['user_id', 'Int32'], ...STAMP],
    primaryKey: '(course_key, user_id, time_last_dumped)', orderBy: '(course_key, user_id, time_last_dumped)', shardBy: 'id',
  },
  {
    name: 'tag', engine: 'ReplacingMergeTree',
    columns: [['id', 'Int32'], ['taxonomy', 'Int32'], ['parent', 'Int32'], ...strings('value', 'external_id', 'lineage'), ...STAMP],
    primaryKey: '(id, time_last_dumped)', orderBy: '(id, time_last_dumped)', shardBy: 'id',
  },
  {
    name: 'taxonomy', engine: 'ReplacingMergeTree',
    columns: [['id', 'Int32'], ['name', 'String'], ...STAMP],
    primaryKey: '(id, time_last_dumped)', orderBy: '(id, time_last_dumped)', shardBy: 'id',
  },
  {
    name: 'object_tag', engine: 'ReplacingMergeTree',
    columns: [['id', 'Int32'], ['object_id', 'String'], ['taxonomy', 'Int32'], ['tag', 'Int32'], ...strings('_value', '_export_id', 'lineage'), ...STAMP],
    primaryKey: '(id, time_last_dumped)', orderBy: '(id, time_last_dumped)', shardBy: 'id',
  },
  {
    name: 'load_test_runs', engine: 'MergeTree', settings: 'index_granularity = 8192',
    columns: [['run_id', 'String'], ['timestamp', 'DateTime', 'now()'], ['event_type', 'String'], ['extra', 'String']],
    primaryKey: '(run_id, timestamp)', orderBy: '(run_id, timestamp)', shardBy: 'cityHash64(run_id)',
  },
  {
    name: 'load_test_stats', engine: 'MergeTree', settings: 'index_granularity = 8192',
    columns: [['run_id', 'String'], ['timestamp', 'DateTime', 'now()'], ['stats', 'String']],
    primaryKey: '(run_id, timestamp)', orderBy: '(run_id, timestamp)', shardBy: 'cityHash64(run_id)',
  },
]);

/** The xAPI statements table (Ralph's xapi.xapi_events_all, contract §2.1), for `schema init --xapi`. */
export function xapiEventsTable(name = 'xapi_events_all'): TableDefinition {
  return {
    name, engine: 'ReplacingMergeTree', partitionBy: 'toYYYYMM(emission_time)',
    columns: [['event_id', 'UUID'], ['emission_time', 'DateTime64(6)'], ['event', 'String']],
    primaryKey: '(emission_time, event_id)', orderBy: '(emission_time, event_id)', shardBy: 'cityHash64(event_id)',
  };
}

/** What the server understands; a server before 21.12 lacks Bool, and before 19.x much more. */
export interface ServerDialect {
  /** Bool and LowCardinality exist (21.12+); otherwise String stands in for both. */
  readonly modernTypes: boolean;
  /** A separate PRIMARY KEY clause and the MOD operator are understood. */
  readonly modernSyntax: boolean;
  /** Lightweight DELETE FROM is generally available (23.3+). */
  readonly lightweightDelete: boolean;
  /** Replicated engines may omit their ZooKeeper path and replica name (20.10+: default_replica_path). */
  readonly defaultReplicaPath: boolean;
}

/** The dialect of a server by its version() text. */
export function dialectOf(version: string): ServerDialect {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  const atLeast = (wantMajor: number, wantMinor: number) => major > wantMajor || (major === wantMajor && minor >= wantMinor);
  return { modernTypes: atLeast(21, 12), modernSyntax: major >= 20, lightweightDelete: atLeast(23, 3), defaultReplicaPath: atLeast(20, 10) };
}

/** The server's version() and its dialect. */
export async function serverDialect(target: ClickHouseTarget): Promise<{ version: string; dialect: ServerDialect }> {
  const [row] = await target.query('SELECT version() AS version');
  const version = String(row?.version ?? '');
  return { version, dialect: dialectOf(version) };
}

/** The type a column gets on this server (String for Bool and LowCardinality on old servers). */
export function columnType(type: string, dialect: ServerDialect): string {
  if (dialect.modernTypes) return type;
  if (type.startsWith('DateTime64')) return 'DateTime';
  return type === 'Bool' || type.startsWith('LowCardinality(') ? 'String' : type;
}

function columnSql([name, type, defaultExpression]: ColumnDefinition, dialect: ServerDialect): string {
  return `${quoteIdentifier(name)} ${columnType(type, dialect)}${defaultExpression ? ` DEFAULT ${defaultExpression}` : ''}`;
}

/** How `schema init` lays tables out on a cluster. */
export interface ClusterLayout {
  readonly cluster: string;
  /** ZooKeeper path of each table; `{database}` and `{table}` are filled in here, other `{macros}` by each server. */
  readonly zookeeperPath?: string;
  /** Replica name, usually the `{replica}` macro. */
  readonly replicaName?: string;
  /** Local replicated tables named `<table>_local` on every shard, and a Distributed table of that name over them. */
  readonly sharded?: boolean;
}

/** The ZooKeeper path servers without default_replica_path get (the layout of ClickHouse's documentation). */
export const DEFAULT_ZOOKEEPER_PATH = '/clickhouse/tables/{shard}/{database}/{table}';

/** The suffix of a sharded layout's local tables. */
export const LOCAL_SUFFIX = '_local';

/** The engine clause: plain, or Replicated with explicit arguments where the server needs them or the layout names them. */
function engineSql(table: TableDefinition, database: string, dialect: ServerDialect, layout?: ClusterLayout): string {
  if (!layout) return table.engine;
  if (dialect.defaultReplicaPath && layout.zookeeperPath === undefined && layout.replicaName === undefined) return `Replicated${table.engine}`;
  const path = (layout.zookeeperPath ?? DEFAULT_ZOOKEEPER_PATH).replaceAll('{database}', database).replaceAll('{table}', table.name);
  return `Replicated${table.engine}(${literal(path)}, ${literal(layout.replicaName ?? '{replica}')})`;
}

/**
 * CREATE TABLE IF NOT EXISTS for one table. With a cluster layout: ON CLUSTER and a Replicated
 * engine, without arguments where the server has default_replica_path (as Tutor's migrations
 * write them), with an explicit ZooKeeper path and replica name otherwise.
 */
export function createTableSql(table: TableDefinition, database: string, dialect: ServerDialect, layout?: ClusterLayout): string {
  const onCluster = layout ? ` ON CLUSTER ${literal(layout.cluster)}` : '';
  const partition = table.partitionBy && (dialect.modernSyntax ? table.partitionBy : table.partitionBy.replace(' MOD ', ' % '));
  const clauses = [
    `ENGINE = ${engineSql(table, database, dialect, layout)}`,
    partition ? `PARTITION BY ${partition}` : '',
    dialect.modernSyntax ? `PRIMARY KEY ${table.primaryKey}` : '',
    `ORDER BY ${table.orderBy}`,
    table.settings ? `SETTINGS ${table.settings}` : '',
  ].filter(Boolean);
  const columns = table.columns.map((column) => `  ${columnSql(column, dialect)}`).join(',\n');
  return `CREATE TABLE IF NOT EXISTS ${quoteIdentifier(database)}.${quoteIdentifier(table.name)}${onCluster} (\n${columns}\n) ${clauses.join(' ')}`;
}

/** The statements that make one table: itself, or in a sharded layout its local table and a Distributed table over them. */
export function tableStatements(table: TableDefinition, database: string, dialect: ServerDialect, layout?: ClusterLayout): string[] {
  if (!layout?.sharded) return [createTableSql(table, database, dialect, layout)];
  const local = { ...table, name: `${table.name}${LOCAL_SUFFIX}` };
  const distributed = `CREATE TABLE IF NOT EXISTS ${quoteIdentifier(database)}.${quoteIdentifier(table.name)} ON CLUSTER ${literal(layout.cluster)}`
    + ` AS ${quoteIdentifier(database)}.${quoteIdentifier(local.name)}`
    + ` ENGINE = Distributed(${literal(layout.cluster)}, ${literal(database)}, ${literal(local.name)}, ${table.shardBy})`;
  return [createTableSql(local, database, dialect, layout), distributed];
}
