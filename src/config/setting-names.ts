import { editDistance } from './edit-distance.js';

/** Every ASPECTS_* environment variable some command reads (a misspelt one is named, not ignored). */
export const ENVIRONMENT_SETTINGS: readonly string[] = Object.freeze([
  'ASPECTS_CONFIG', 'ASPECTS_ENABLE_PII', 'ASPECTS_MYSQL_URL', 'ASPECTS_MYSQL_PASSWORD', 'ASPECTS_MYSQL_TIMEOUT', 'ASPECTS_MYSQL_SILENT',
  'ASPECTS_CLICKHOUSE_URL', 'ASPECTS_CLICKHOUSE_USERNAME', 'ASPECTS_CLICKHOUSE_PASSWORD', 'ASPECTS_CLICKHOUSE_DATABASE',
  'ASPECTS_CLICKHOUSE_TIMEOUT', 'ASPECTS_CLICKHOUSE_CLUSTER', 'ASPECTS_CLICKHOUSE_REPLICAS',
  'ASPECTS_MODULESTORE_URL', 'ASPECTS_MODULESTORE_COLLECTION',
  'ASPECTS_XAPI_DATABASE', 'ASPECTS_RAW_XAPI_TABLE', 'ASPECTS_VECTOR_RAW_XAPI_TABLE', 'ASPECTS_XAPI_SOURCE', 'ASPECTS_LOAD_TEST_OK',
  'ASPECTS_LMS_CLIENT_ID', 'ASPECTS_LMS_CLIENT_SECRET', 'ASPECTS_MONITOR_REDIS_URL',
  'ASPECTS_MONITOR_KAFKA_BROKERS', 'ASPECTS_MONITOR_KAFKA_USERNAME', 'ASPECTS_MONITOR_KAFKA_PASSWORD',
  'ASPECTS_INSTRUCTOR_DASHBOARDS', 'ASPECTS_IN_CONTEXT_DASHBOARDS', 'ASPECTS_ENABLE_STUDIO_IN_CONTEXT_METRICS',
]);

/** The keys of a config file this tool reads besides the per-object switches (EVENT_SINK_CLICKHOUSE_<OBJECT>_ENABLED). */
export const FILE_SETTINGS: readonly string[] = Object.freeze([
  'EVENT_SINK_CLICKHOUSE_BACKEND_CONFIG', 'EVENT_SINK_CLICKHOUSE_PII_MODELS', 'ASPECTS_ENABLE_PII', 'ASPECTS_MYSQL_URL',
  'ASPECTS_MODULESTORE_URL', 'ASPECTS_MODULESTORE_COLLECTION', 'CLICKHOUSE_CLUSTER_NAME', 'ASPECTS_CLICKHOUSE_REPLICAS',
  'ASPECTS_XAPI_DATABASE', 'ASPECTS_RAW_XAPI_TABLE', 'ASPECTS_VECTOR_RAW_XAPI_TABLE', 'ASPECTS_XAPI_SOURCE',
  'ASPECTS_INSTRUCTOR_DASHBOARDS', 'ASPECTS_IN_CONTEXT_DASHBOARDS', 'ASPECTS_ENABLE_STUDIO_IN_CONTEXT_METRICS',
]);

/** Edits at most that a name may be from a known one to count as its misspelling. */
const MISSPELT_WITHIN = 3;

/** The known name `name` is most likely a misspelling of, if any is close. */
function nearest(name: string, known: readonly string[]): string | undefined {
  const [best] = [...known].sort((a, b) => editDistance(a, name) - editDistance(b, name));
  return best !== undefined && editDistance(best, name) <= MISSPELT_WITHIN ? best : undefined;
}

function unknownLine(what: string, name: string, known: readonly string[]): string {
  const guess = nearest(name, known);
  return `${what} ${name} is not a setting of aspects and is ignored${guess ? `; did you mean ${guess}?` : ''}`;
}

/** Warnings for ASPECTS_* environment variables no command reads (ASPECTS_TEST_* belong to the test suite). */
export function unknownEnvironmentSettings(env: Readonly<Record<string, string | undefined>>): string[] {
  return Object.keys(env).filter((name) => name.startsWith('ASPECTS_') && !name.startsWith('ASPECTS_TEST_') && !ENVIRONMENT_SETTINGS.includes(name))
    .sort().map((name) => unknownLine('environment variable', name, ENVIRONMENT_SETTINGS));
}

/**
 * Warnings for keys of a config file that look like this tool's (ASPECTS_*, EVENT_SINK_CLICKHOUSE_*)
 * but are none of them; the many other keys of an LMS settings file are the LMS's business.
 */
export function unknownFileSettings(path: string, keys: readonly string[]): string[] {
  const ours = (key: string) => key.startsWith('ASPECTS_') || key.startsWith('EVENT_SINK_CLICKHOUSE_');
  const isSwitch = (key: string) => /^EVENT_SINK_CLICKHOUSE_[A-Z0-9_]+_ENABLED$/.test(key);
  return keys.filter((key) => ours(key) && !isSwitch(key) && !FILE_SETTINGS.includes(key))
    .sort().map((key) => unknownLine(`config file ${path}: key`, key, FILE_SETTINGS));
}
