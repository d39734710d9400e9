import { UsageError } from '../errors.js';
import { isIdentifier } from '../clickhouse/sql.js';
import { backendConfig, mysqlUrlFromDjango, readConfigFile, type ConfigFile } from './file.js';
import { registerSecret } from './secrets.js';
import { editDistance } from './edit-distance.js';
import { OBJECT_NAMES } from '../sinks/index.js';
import type { ModulestoreLocation } from '../structure/modulestore.js';
import { parseClickHouseUrl, parseMongoUrl, parseMysqlUrl, type MysqlLocation } from './urls.js';

/** Connection flags shared by every command (commander option values). */
export interface ConnectionFlags {
  readonly config?: string;
  readonly mysqlUrl?: string;
  readonly clickhouseUrl?: string;
  readonly clickhouseUsername?: string;
  readonly clickhousePassword?: string;
  readonly clickhouseDatabase?: string;
  readonly clickhouseTimeout?: string;
  readonly clickhouseCluster?: string;
  readonly modulestoreUrl?: string;
  readonly modulestoreCollection?: string;
}

/** ClickHouse connection settings after precedence was applied. */
export interface ClickHouseSettings {
  readonly url: string;
  readonly username: string;
  readonly password: string;
  readonly database: string;
  /** Per-request timeout, seconds. */
  readonly timeoutSeconds: number;
  /** The cluster whose replicas hold the tables: a run then reads and writes one up-to-date replica. */
  readonly cluster?: string;
  /** The replicas' HTTP URLs, where they are not the cluster's host names at the URL's port. */
  readonly replicaUrls?: readonly string[];
}

/** Everything a command needs to know about where data lives and what may be dumped. */
export interface Settings {
  /** The LMS database; undefined when nothing configured it. */
  readonly mysql: MysqlLocation | undefined;
  readonly clickhouse: ClickHouseSettings;
  readonly enablePii: boolean;
  readonly piiModels: readonly string[];
  /** Objects a config switch turned off (skipped by `--object all`). */
  readonly disabledObjects: ReadonlySet<string>;
  /** The split modulestore, when course structure comes from MongoDB. */
  readonly modulestore: ModulestoreLocation | undefined;
  /** Where the load test and the monitor read and write (the plugin's backend config keys). */
  readonly loadTest: LoadTestTables;
}

/**
 * Tables of the load test: EVENT_SINK_CLICKHOUSE_BACKEND_CONFIG xapi_database, xapi_table,
 * runs_table, stats_table (the plugin's keys), else Tutor's own settings in the environment or
 * the file: ASPECTS_XAPI_DATABASE, ASPECTS_RAW_XAPI_TABLE (before Aspects 4,
 * ASPECTS_VECTOR_RAW_XAPI_TABLE), and where those are missing ASPECTS_XAPI_SOURCE=vector means
 * Vector's default database, openedx (Aspects 4 makes Vector the default pipeline).
 */
export interface LoadTestTables {
  readonly xapiDatabase: string;
  readonly xapiTable: string;
  readonly runsTable: string;
  readonly statsTable: string;
  /** Tutor's ASPECTS_XAPI_SOURCE (ralph or vector), when set: the monitor's default backend follows it. */
  readonly xapiSource: string | undefined;
}

function loadTestTables(file: ConfigFile, env: Env): LoadTestTables {
  const backend = backendConfig(file) as Record<string, string | undefined>;
  const inFile = (name: string): string | undefined => (file as Record<string, unknown>)[name] as string | undefined;
  const xapiSource = first(env.ASPECTS_XAPI_SOURCE, inFile('ASPECTS_XAPI_SOURCE'))?.toLowerCase();
  const tables = {
    xapiDatabase: first(env.ASPECTS_XAPI_DATABASE, backend.xapi_database, inFile('ASPECTS_XAPI_DATABASE')) ?? (xapiSource === 'vector' ? 'openedx' : 'xapi'),
    xapiTable: first(env.ASPECTS_RAW_XAPI_TABLE, env.ASPECTS_VECTOR_RAW_XAPI_TABLE, backend.xapi_table,
      inFile('ASPECTS_RAW_XAPI_TABLE'), inFile('ASPECTS_VECTOR_RAW_XAPI_TABLE')) ?? 'xapi_events_all',
    runsTable: backend.runs_table ?? 'load_test_runs', statsTable: backend.stats_table ?? 'load_test_stats',
  };
  for (const name of Object.values(tables)) {
    if (!isIdentifier(name)) throw new UsageError(`EVENT_SINK_CLICKHOUSE_BACKEND_CONFIG names ${JSON.stringify(name)}, which is not a table or database name`);
  }
  return { ...tables, xapiSource };
}

/** Defaults, used when no flag, environment variable or config key says otherwise. */
export const DEFAULTS = Object.freeze({
  clickhouseUrl: 'http://localhost:8123',
  clickhouseUsername: 'default',
  clickhouseDatabase: 'event_sink',
  clickhouseTimeoutSeconds: 60,
  piiModels: Object.freeze(['user_profile', 'external_id']),
});

type Env = Readonly<Record<string, string | undefined>>;

/** Parses the spellings operators use for on/off; anything else is a usage error. */
export function parseSwitch(value: string | boolean, name: string): boolean {
  if (typeof value === 'boolean') return value;
  const normal = value.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(normal)) return true;
  if (['0', 'false', 'no', 'off', ''].includes(normal)) return false;
  throw new UsageError(`${name} must be true or false (got ${JSON.stringify(value)})`);
}

function first<T>(...values: (T | undefined | null | '')[]): T | undefined {
  for (const value of values) if (value !== undefined && value !== null && value !== '') return value as T;
  return undefined;
}

function timeoutSeconds(value: string | undefined): number {
  if (value === undefined) return DEFAULTS.clickhouseTimeoutSeconds;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new UsageError(`ClickHouse timeout must be a positive number of seconds (got ${JSON.stringify(value)})`);
  }
  return seconds;
}

function resolveClickHouse(flags: ConnectionFlags, env: Env, file: ConfigFile): ClickHouseSettings {
  const backend = backendConfig(file);
  const location = parseClickHouseUrl(
    first(flags.clickhouseUrl, env.ASPECTS_CLICKHOUSE_URL, backend.url) ?? DEFAULTS.clickhouseUrl,
  );
  const password = first(flags.clickhousePassword, env.ASPECTS_CLICKHOUSE_PASSWORD, location.password, backend.password) ?? '';
  registerSecret(password);
  const database = first(flags.clickhouseDatabase, env.ASPECTS_CLICKHOUSE_DATABASE, backend.database) ?? DEFAULTS.clickhouseDatabase;
  if (!isIdentifier(database)) {
    throw new UsageError(`ClickHouse database name ${JSON.stringify(database)} is not a plain identifier`);
  }
  return {
    url: location.url,
    username: first(flags.clickhouseUsername, env.ASPECTS_CLICKHOUSE_USERNAME, location.username, backend.username) ?? DEFAULTS.clickhouseUsername,
    password,
    database,
    timeoutSeconds: timeoutSeconds(first(flags.clickhouseTimeout, env.ASPECTS_CLICKHOUSE_TIMEOUT, backend.timeout_secs)),
    ...clusterSettings(flags, env, file),
  };
}

/** The cluster name (validated) and the replicas' URLs, when given. */
function clusterSettings(flags: ConnectionFlags, env: Env, file: ConfigFile): Pick<ClickHouseSettings, 'cluster' | 'replicaUrls'> {
  const cluster = first(flags.clickhouseCluster, env.ASPECTS_CLICKHOUSE_CLUSTER, file.CLICKHOUSE_CLUSTER_NAME);
  if (cluster !== undefined && !isClusterName(cluster)) throw new UsageError(`ClickHouse cluster ${JSON.stringify(cluster)} is not a cluster name`);
  const listed = first<string | readonly string[]>(env.ASPECTS_CLICKHOUSE_REPLICAS, file.ASPECTS_CLICKHOUSE_REPLICAS);
  const replicaUrls = (typeof listed === 'string' ? listed.split(',') : listed ?? []).map((url) => url.trim()).filter(Boolean);
  for (const url of replicaUrls) if (!/^https?:\/\/[^/@\s]+(:\d+)?\/?$/.test(url)) throw new UsageError(`ASPECTS_CLICKHOUSE_REPLICAS: ${JSON.stringify(url)} is not an http(s)://host:port URL (without credentials)`);
  return { ...(cluster ? { cluster } : {}), ...(replicaUrls.length > 0 ? { replicaUrls } : {}) };
}

/** Whether `name` can be a ClickHouse cluster name (it is written into ON CLUSTER '…'). */
export function isClusterName(name: string): boolean {
  return /^[A-Za-z0-9_.-]+$/.test(name);
}

/** The plugin's sink models a switch may name (auth_user is the plugin's, not dumped here). */
const SWITCHABLE = [...OBJECT_NAMES, 'auth_user'];

/** A switch that names no model is a typo: say which one was meant, rather than ignore it. */
function checkSwitch(key: string, model: string): void {
  if (SWITCHABLE.includes(model)) return;
  const nearest = [...SWITCHABLE].sort((a, b) => editDistance(a, model) - editDistance(b, model))[0] as string;
  throw new UsageError(`config file: ${key} names no object; did you mean EVENT_SINK_CLICKHOUSE_${nearest.toUpperCase()}_ENABLED?`);
}

function disabledObjects(file: ConfigFile): Set<string> {
  const disabled = new Set<string>();
  for (const [key, value] of Object.entries(file)) {
    const match = /^EVENT_SINK_CLICKHOUSE_([A-Z0-9_]+)_ENABLED$/.exec(key);
    if (!match) continue;
    const model = (match[1] as string).toLowerCase();
    checkSwitch(key, model);
    if (value !== undefined && !parseSwitch(value as string | boolean, key)) disabled.add(model);
  }
  return disabled;
}

function resolveMysql(flags: ConnectionFlags, env: Env, file: ConfigFile): MysqlLocation | undefined {
  const url = first(flags.mysqlUrl, env.ASPECTS_MYSQL_URL, file.ASPECTS_MYSQL_URL, mysqlUrlFromDjango(file));
  if (url === undefined) return undefined;
  const parsed = parseMysqlUrl(url);
  // A password of its own spares percent-encoding it into the URL (a `/` or `@` in it).
  const location = env.ASPECTS_MYSQL_PASSWORD === undefined ? parsed : { ...parsed, password: env.ASPECTS_MYSQL_PASSWORD };
  registerSecret(location.password);
  return location;
}

function resolveModulestore(flags: ConnectionFlags, env: Env, file: ConfigFile): ModulestoreLocation | undefined {
  const url = first(flags.modulestoreUrl, env.ASPECTS_MODULESTORE_URL, file.ASPECTS_MODULESTORE_URL);
  if (url === undefined) return undefined;
  const collectionPrefix = first(flags.modulestoreCollection, env.ASPECTS_MODULESTORE_COLLECTION, file.ASPECTS_MODULESTORE_COLLECTION) ?? 'modulestore';
  return { ...parseMongoUrl(url), collectionPrefix };
}

/** The config file named by --config or ASPECTS_CONFIG; empty when none is. */
export function configFileOf(flags: Pick<ConnectionFlags, 'config'>, env: Env): ConfigFile {
  const configPath = first(flags.config, env.ASPECTS_CONFIG);
  return configPath ? readConfigFile(configPath) : {};
}

/** Applies flags > environment > config file > defaults. */
export function resolveSettings(flags: ConnectionFlags, env: Env): Settings {
  const file = configFileOf(flags, env);
  const piiSwitch = first<string | boolean>(env.ASPECTS_ENABLE_PII, file.ASPECTS_ENABLE_PII);
  const piiModels = file.EVENT_SINK_CLICKHOUSE_PII_MODELS ?? DEFAULTS.piiModels;
  if (!Array.isArray(piiModels) || !piiModels.every((model) => typeof model === 'string')) {
    throw new UsageError('EVENT_SINK_CLICKHOUSE_PII_MODELS must be a list of table names');
  }
  return {
    mysql: resolveMysql(flags, env, file),
    clickhouse: resolveClickHouse(flags, env, file),
    enablePii: piiSwitch === undefined ? false : parseSwitch(piiSwitch, 'ASPECTS_ENABLE_PII'),
    piiModels,
    disabledObjects: disabledObjects(file),
    modulestore: resolveModulestore(flags, env, file),
    loadTest: loadTestTables(file, env),
  };
}
