import { quoteIdentifier } from './sql.js';
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
}

const STAMP: readonly ColumnDefinition[] = [['dump_id', 'UUID'], ['time_last_dumped', 'String']];
const strings = (...names: string[]): ColumnDefinition[] => names.map((name) => [name, 'String']);

/** Every table the tool writes, in the order `schema init` creates them. */
export const EVENT_SINK_TABLES: readonly TableDefinition[] = Object.freeze([
  {
    name: 'course_overviews', engine: 'MergeTree',
    columns: [...strings('org', 'course_key', 'display_name', 'course_start', 'course_end', 'enrollment_start', 'enrollment_end'),
      ['self_paced', 'Bool'], ...strings('course_data_json', 'created', 'modified'), ...STAMP],
    primaryKey: '(org, course_key, modified, time_last_dumped)', orderBy: '(org, course_key, modified, time_last_dumped)',
  },
  {
    name: 'course_blocks', engine: 'MergeTree',
    columns: [...strings('org', 'course_key', 'location', 'display_name', 'xblock_data_json'), ['order', 'Int32', '0'],
      ['edited_on', 'String'], ...STAMP],
    primaryKey: '(org, course_key, location, edited_on)', orderBy: '(org, course_key, location, edited_on, `order`)',
  },
  {
    name: 'user_profile', engine: 'ReplacingMergeTree', partitionBy: 'user_id MOD 100',
    columns: [['id', 'Int32'], ['user_id', 'Int32'], ['name', 'String'], ['username', 'String', "''"], ['email', 'String', "''"],
      ...strings('meta', 'courseware', 'language', 'location', 'year_of_birth', 'gender', 'level_of_education', 'mailing_address',
        'city', 'country', 'state', 'goals', 'bio', 'profile_image_uploaded_at', 'phone_number'), ...STAMP],
    primaryKey: '(id, time_last_dumped)', orderBy: '(id, time_last_dumped)',
  },
  {
    name: 'external_id', engine: 'ReplacingMergeTree', partitionBy: 'user_id MOD 100',
    columns: [['external_user_id', 'UUID'], ['external_id_type', 'String'], ['username', 'String'], ['user_id', 'Int32'], ...STAMP],
    primaryKey: '(external_user_id, time_last_dumped)', orderBy: '(external_user_id, time_last_dumped)',
  },
  {
    name: 'course_enrollment', engine: 'MergeTree',
    columns: [['id', 'Int32'], ['course_key', 'String'], ['created', 'String'], ['is_active', 'Bool'], ['mode', 'LowCardinality(String)'],
      ['username', 'String'], ['user_id', 'Int32'], ...STAMP],
    primaryKey: '(course_key, user_id, time_last_dumped)', orderBy: '(course_key, user_id, time_last_dumped)',
  },
  {
    name: 'tag', engine: 'ReplacingMergeTree',
    columns: [['id', 'Int32'], ['taxonomy', 'Int32'], ['parent', 'Int32'], ...strings('value', 'external_id', 'lineage'), ...STAMP],
    primaryKey: '(id, time_last_dumped)', orderBy: '(id, time_last_dumped)',
  },
  {
    name: 'taxonomy', engine: 'ReplacingMergeTree',
    columns: [['id', 'Int32'], ['name', 'String'], ...STAMP],
    primaryKey: '(id, time_last_dumped)', orderBy: '(id, time_last_dumped)',
  },
  {
    name: 'object_tag', engine: 'ReplacingMergeTree',
    columns: [['id', 'Int32'], ['object_id', 'String'], ['taxonomy', 'Int32'], ['tag', 'Int32'], ...strings('_value', '_export_id', 'lineage'), ...STAMP],
    primaryKey: '(id, time_last_dumped)', orderBy: '(id, time_last_dumped)',
  },
  {
    name: 'load_test_runs', engine: 'MergeTree', settings: 'index_granularity = 8192',
    columns: [['run_id', 'String'], ['timestamp', 'DateTime', 'now()'], ['event_type', 'String'], ['extra', 'String']],
    primaryKey: '(run_id, timestamp)', orderBy: '(run_id, timestamp)',
  },
  {
    name: 'load_test_stats', engine: 'MergeTree', settings: 'index_granularity = 8192',
    columns: [['run_id', 'String'], ['timestamp', 'DateTime', 'now()'], ['stats', 'String']],
    primaryKey: '(run_id, timestamp)', orderBy: '(run_id, timestamp)',
  },
]);

/** The xAPI statements table (Ralph's xapi.xapi_events_all, contract §2.1), for `schema init --xapi`. */
export function xapiEventsTable(name = 'xapi_events_all'): TableDefinition {
  return {
    name, engine: 'ReplacingMergeTree', partitionBy: 'toYYYYMM(emission_time)',
    columns: [['event_id', 'UUID'], ['emission_time', 'DateTime64(6)'], ['event', 'String']],
    primaryKey: '(emission_time, event_id)', orderBy: '(emission_time, event_id)',
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
}

/** The dialect of a server by its version() text. */
export function dialectOf(version: string): ServerDialect {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  const atLeast = (wantMajor: number, wantMinor: number) => major > wantMajor || (major === wantMajor && minor >= wantMinor);
  return { modernTypes: atLeast(21, 12), modernSyntax: major >= 20, lightweightDelete: atLeast(23, 3) };
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

/**
 * CREATE TABLE IF NOT EXISTS for one table. With a cluster name: ON CLUSTER and the Replicated
 * engine without arguments, as Tutor's migrations write them.
 */
export function createTableSql(table: TableDefinition, database: string, dialect: ServerDialect, cluster?: string): string {
  const onCluster = cluster ? ` ON CLUSTER '${cluster}'` : '';
  const engine = cluster ? `Replicated${table.engine}` : table.engine;
  const partition = table.partitionBy && (dialect.modernSyntax ? table.partitionBy : table.partitionBy.replace(' MOD ', ' % '));
  const clauses = [
    `ENGINE = ${engine}`,
    partition ? `PARTITION BY ${partition}` : '',
    dialect.modernSyntax ? `PRIMARY KEY ${table.primaryKey}` : '',
    `ORDER BY ${table.orderBy}`,
    table.settings ? `SETTINGS ${table.settings}` : '',
  ].filter(Boolean);
  const columns = table.columns.map((column) => `  ${columnSql(column, dialect)}`).join(',\n');
  return `CREATE TABLE IF NOT EXISTS ${quoteIdentifier(database)}.${quoteIdentifier(table.name)}${onCluster} (\n${columns}\n) ${clauses.join(' ')}`;
}
