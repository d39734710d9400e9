import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { UsageError, messageOf } from '../errors.js';
import { processNoticeLine } from '../output/streams.js';
import { unknownFileSettings } from './setting-names.js';

/** The keys of a config file, mirroring the plugin's Django settings (all optional). */
export interface ConfigFile {
  readonly EVENT_SINK_CLICKHOUSE_BACKEND_CONFIG?: {
    readonly url?: string;
    readonly database?: string;
    readonly username?: string;
    readonly password?: string;
    readonly timeout_secs?: number;
  };
  readonly EVENT_SINK_CLICKHOUSE_PII_MODELS?: readonly string[];
  readonly ASPECTS_ENABLE_PII?: boolean | string;
  readonly ASPECTS_MYSQL_URL?: string;
  /** mongodb:// URL of the split modulestore (course_blocks from MongoDB). */
  readonly ASPECTS_MODULESTORE_URL?: string;
  readonly ASPECTS_MODULESTORE_COLLECTION?: string;
  /** Tutor's name of the ClickHouse cluster (`ON CLUSTER`, Replicated engines). */
  readonly CLICKHOUSE_CLUSTER_NAME?: string;
  /** HTTP URLs of the cluster's replicas, where their system.clusters host names are not reachable as they are. */
  readonly ASPECTS_CLICKHOUSE_REPLICAS?: string | readonly string[];
  /** Django's DATABASES setting, as in lms.yml; `default` is the LMS database. */
  readonly DATABASES?: {
    readonly default?: {
      readonly ENGINE?: string; readonly HOST?: string; readonly PORT?: number | string; readonly USER?: string;
      readonly PASSWORD?: string; readonly NAME?: string;
    };
  };
  /** Superset embedding settings (see src/superset/settings.ts for their shapes). */
  readonly SUPERSET_CONFIG?: unknown;
  readonly ASPECTS_INSTRUCTOR_DASHBOARDS?: unknown;
  readonly ASPECTS_IN_CONTEXT_DASHBOARDS?: unknown;
  readonly SUPERSET_EXTRA_FILTERS_FORMAT?: unknown;
  readonly SUPERSET_DASHBOARD_LOCALES?: unknown;
  readonly ASPECTS_ENABLE_STUDIO_IN_CONTEXT_METRICS?: unknown;
  /** Per-object switches: EVENT_SINK_CLICKHOUSE_<OBJECT>_ENABLED. */
  readonly [switchKey: `EVENT_SINK_CLICKHOUSE_${string}_ENABLED`]: boolean | string | undefined;
}

/** Whether a parsed setting is a mapping (not null, not a list). */
export function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads a JSON or YAML config file (YAML is a superset of JSON, so one parser serves both). */
export function readConfigFile(path: string): ConfigFile {
  let content: string;
  try {
    content = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read config file ${path}: ${messageOf(error)}`);
  }
  refusePython(path, content);
  let parsed: unknown;
  try {
    parsed = parseYaml(content);
  } catch (error) {
    const firstLine = messageOf(error).split('\n')[0] ?? '';
    throw new UsageError(`config file ${path} is not valid JSON or YAML: ${firstLine}`);
  }
  if (parsed == null) return {};
  if (!isMapping(parsed)) {
    throw new UsageError(`config file ${path} must hold a mapping of settings`);
  }
  warnOnce(unknownFileSettings(path, Object.keys(parsed)));
  return parsed as ConfigFile;
}

/** Lines already said: a file read by several steps of one command warns once. */
const warned = new Set<string>();

function warnOnce(lines: readonly string[]): void {
  for (const line of lines.filter((each) => !warned.has(each))) {
    warned.add(line);
    processNoticeLine(`aspects: warning: ${line}`);
  }
}

/** A Django settings module (Tutor writes the ClickHouse settings in Python) is no YAML: say what to give instead. */
function refusePython(path: string, content: string): void {
  if (!path.endsWith('.py') && !/^(from \S+ import |import \S+$)/m.test(content)) return;
  throw new UsageError(`config file ${path} is Python (a Django settings module): aspects reads YAML or JSON, such as the LMS's `
    + 'lms.yml or Tutor\'s lms.env.yml (for DATABASES); give the ClickHouse settings as ASPECTS_CLICKHOUSE_URL, ASPECTS_CLICKHOUSE_USERNAME, '
    + 'ASPECTS_CLICKHOUSE_PASSWORD and ASPECTS_CLICKHOUSE_DATABASE');
}

/** The ClickHouse settings of a config file, as text (YAML may have typed a password as a number). */
export function backendConfig(config: ConfigFile): {
  url?: string; database?: string; username?: string; password?: string; timeout_secs?: string;
} {
  const raw: unknown = config.EVENT_SINK_CLICKHOUSE_BACKEND_CONFIG ?? {};
  if (!isMapping(raw)) {
    throw new UsageError('EVENT_SINK_CLICKHOUSE_BACKEND_CONFIG must be a mapping (url, database, username, password, timeout_secs)');
  }
  const entries = Object.entries(raw)
    .filter(([, value]) => value !== undefined && value !== null)
    .map(([key, value]) => [key, String(value)]);
  return Object.fromEntries(entries);
}

/** mysql:// URL built from Django's DATABASES.default, when the file has one. */
export function mysqlUrlFromDjango(config: ConfigFile): string | undefined {
  const db = config.DATABASES?.default;
  if (!db?.NAME) return undefined;
  if (db.ENGINE !== undefined && !/mysql/i.test(String(db.ENGINE))) {
    throw new UsageError(`DATABASES.default.ENGINE is ${JSON.stringify(db.ENGINE)}: aspects reads the LMS from MySQL or MariaDB only (django.db.backends.mysql)`);
  }
  if (db.PORT !== undefined && db.PORT !== '' && !/^\d{1,5}$/.test(String(db.PORT))) {
    throw new UsageError(`DATABASES.default.PORT must be a port number, not ${JSON.stringify(db.PORT)}`);
  }
  const auth = `${encodeURIComponent(db.USER ?? 'root')}:${encodeURIComponent(db.PASSWORD ?? '')}`;
  return `mysql://${auth}@${db.HOST || '127.0.0.1'}:${db.PORT || 3306}/${encodeURIComponent(db.NAME)}`;
}
