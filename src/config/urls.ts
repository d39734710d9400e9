import { UsageError } from '../errors.js';
import { registerSecret } from './secrets.js';

/** Where the LMS database is. */
export interface MysqlLocation {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
}

/** Where ClickHouse's HTTP interface is, credentials split off the URL. */
export interface ClickHouseLocation {
  /** URL without credentials, e.g. http://clickhouse:8123 */
  readonly url: string;
  readonly username?: string;
  readonly password?: string;
}

function parseUrl(value: string, what: string): URL {
  try {
    return new URL(value);
  } catch {
    throw new UsageError(`${what} is not a valid URL (expected e.g. ${EXAMPLES[what]})`);
  }
}

const EXAMPLES: Record<string, string> = {
  'MySQL URL': 'mysql://user:<password>@127.0.0.1:3306/edxapp',
  'ClickHouse URL': 'http://127.0.0.1:8123',
  'MongoDB URL': 'mongodb://user:<password>@127.0.0.1:27017/openedx',
};

function portOf(url: URL, fallback: number, what: string): number {
  if (url.port === '') return fallback;
  const port = Number(url.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`${what} has a bad port`);
  return port;
}

/** Parses mysql://user:pass@host:port/db (the credentials may be URL-encoded). */
export function parseMysqlUrl(value: string): MysqlLocation {
  const url = parseUrl(value, 'MySQL URL');
  if (url.protocol !== 'mysql:' && url.protocol !== 'mariadb:') {
    throw new UsageError(`MySQL URL must start with mysql:// (got ${url.protocol}//)`);
  }
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!url.hostname) throw new UsageError('MySQL URL has no host');
  if (!database || database.includes('/')) {
    throw new UsageError('MySQL URL must name the LMS database, e.g. mysql://user:<password>@host:3306/edxapp');
  }
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: portOf(url, 3306, 'MySQL URL'),
    user: decodeURIComponent(url.username) || 'root',
    password: decodeURIComponent(url.password),
    database,
  };
}

/**
 * Parses http(s)://[user:pass@]host:port (credentials split off), or chdb:PATH for the embedded
 * engine on a folder.
 */
export function parseClickHouseUrl(value: string): ClickHouseLocation {
  if (value.startsWith('chdb:')) {
    if (value.length === 'chdb:'.length) throw new UsageError('chdb: needs a folder, e.g. chdb:./aspects-data');
    return { url: value };
  }
  const url = parseUrl(value, 'ClickHouse URL');
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`ClickHouse URL must start with http://, https:// or chdb: (got ${url.protocol}//)`);
  }
  if (!url.hostname) throw new UsageError('ClickHouse URL has no host');
  portOf(url, 8123, 'ClickHouse URL');
  const username = decodeURIComponent(url.username) || undefined;
  const password = decodeURIComponent(url.password) || undefined;
  url.username = '';
  url.password = '';
  return { url: url.toString().replace(/\/$/, ''), username, password };
}

/** Checks a mongodb:// URL names a host and a database, and registers its password for redaction. */
export function parseMongoUrl(value: string): { url: string } {
  const url = parseUrl(value, 'MongoDB URL');
  if (url.protocol !== 'mongodb:' && url.protocol !== 'mongodb+srv:') {
    throw new UsageError(`MongoDB URL must start with mongodb:// (got ${url.protocol}//)`);
  }
  if (!url.hostname || url.pathname.replace(/^\//, '') === '') {
    throw new UsageError('MongoDB URL must name the modulestore database, e.g. mongodb://host:27017/openedx');
  }
  registerSecret(decodedOrAsWritten(url.password));
  return { url: value };
}

/** A URL part decoded, or as written when it is no valid percent-encoding (a password `50%off`): registering it must not throw. */
function decodedOrAsWritten(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}
