import type { EventEmitter } from 'node:events';
import type { Pool as CorePool } from 'mysql2';
import { createConnection, createPool, type Connection, type ConnectionOptions, type Pool, type RowDataPacket } from 'mysql2/promise';
import type { MysqlLocation } from '../config/urls.js';
import { RuntimeFailure, messageOf } from '../errors.js';
import type { SourceValue } from '../format/values.js';
import { connecting, type ConnectRetry } from '../pipeline/retry.js';
import { isTransientMysqlError } from './transient.js';

/** A row of the LMS database, keyed by result field name. */
export type SourceRow = Readonly<Record<string, SourceValue>>;

/** The part of the LMS database connection the pipeline uses. */
export interface LmsDatabase {
  /** Runs one parameterised SELECT. */
  select(sql: string, params: readonly unknown[]): Promise<SourceRow[]>;
  close(): Promise<void>;
}

/** The LMS database as the dump reads it: also row by row, without keeping the rows. */
export interface LmsReader extends LmsDatabase {
  /** Runs one parameterised SELECT, handing each row to `each` as it arrives; resolves with the row count. */
  each(sql: string, params: readonly unknown[], each: (row: SourceRow) => void): Promise<number>;
}

/** Streams a query's rows into `each`; a row `each` throws on fails the whole query (the rest is read and dropped). */
function streamRows(query: EventEmitter, each: (row: SourceRow) => void): Promise<number> {
  return new Promise((resolve, reject) => {
    let count = 0;
    let failure: { readonly error: unknown } | undefined;
    query.on('result', (row: SourceRow) => {
      if (failure) return;
      try {
        each(row);
        count += 1;
      } catch (error) {
        failure = { error };
      }
    });
    query.once('error', reject);
    query.once('end', () => (failure ? reject(failure.error) : resolve(count)));
  });
}

/**
 * Streams a query's rows on a connection of the pool. The connection's own errors end the
 * stream too: a query without a callback is not told when its connection is lost (a KILL, a
 * server restart), only the connection is, so the query alone would wait for ever.
 */
function eachRow(pool: CorePool, sql: string, params: readonly unknown[], each: (row: SourceRow) => void): Promise<number> {
  return new Promise((resolve, reject) => {
    pool.getConnection((failure, connection) => {
      if (failure) return reject(failure);
      let lose: (error: unknown) => void = reject;
      const lost = new Promise<never>((_, fail) => { lose = fail; });
      connection.once('error', lose);
      const rows = streamRows(connection.query(sql, params as unknown[]) as unknown as EventEmitter, each);
      Promise.race([rows, lost]).finally(() => connection.removeListener('error', lose)).then((count) => {
        connection.release();
        resolve(count);
      }, (error: unknown) => {
        connection.destroy();
        reject(error);
      });
    });
  });
}

/** How every connection to the LMS database is made: text datetimes (no time-zone shifts), utf8mb4. */
function connectionOptions(location: MysqlLocation): ConnectionOptions {
  return {
    host: location.host,
    port: location.port,
    user: location.user,
    password: location.password,
    database: location.database,
    charset: 'utf8mb4',
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
    connectTimeout: 10_000,
    enableKeepAlive: true,
  };
}

/** Connections of the pool: the lanes of a dump, the run lock's checks and the retirement watch. */
const POOL_CONNECTIONS = 4;

/** Opens a small pool on the LMS database. */
export function openLmsDatabase(location: MysqlLocation): LmsReader {
  const pool: Pool = createPool({ ...connectionOptions(location), connectionLimit: POOL_CONNECTIONS });
  return {
    async select(sql, params) {
      const [rows] = await pool.query<RowDataPacket[]>(sql, params as unknown[]);
      return rows as SourceRow[];
    },
    each: (sql, params, each) => eachRow(pool.pool, sql, params, each),
    close: () => pool.end(),
  };
}

/** Opens the LMS database and checks it answers (retrying, when asked); a failure names where it tried (never the password). */
export async function connectLmsDatabase(location: MysqlLocation, retry?: ConnectRetry): Promise<LmsReader> {
  const lms = openLmsDatabase(location);
  try {
    await connecting(() => lms.select('SELECT 1', []), isTransientMysqlError, retry);
    return lms;
  } catch (error) {
    await lms.close().catch(() => undefined);
    const where = `${location.user}@${location.host}:${location.port}/${location.database}`;
    throw new RuntimeFailure(`cannot connect to MySQL ${where}: ${messageOf(error)}`);
  }
}

/** Whether the LMS database has `table` (and `column` in it, when given). */
export async function hasColumn(db: LmsDatabase, table: string, column?: string): Promise<boolean> {
  const [probe] = await db.select(
    'SELECT COUNT(*) AS n FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?'
    + (column ? ' AND COLUMN_NAME = ?' : ''), column ? [table, column] : [table]);
  return Number(probe?.n) > 0;
}

/**
 * One connection of its own (not pooled), for what belongs to a MySQL session: user-level
 * locks. `lost` settles when the connection ends for any reason.
 */
export interface LmsSession extends LmsDatabase {
  /** MySQL's CONNECTION_ID() of this session. */
  readonly id: number;
  readonly lost: Promise<void>;
}

/** Opens one session on the LMS database. */
export async function openLmsSession(location: MysqlLocation): Promise<LmsSession> {
  const connection: Connection = await createConnection(connectionOptions(location));
  const lost = new Promise<void>((resolve) => {
    connection.on('error', () => resolve());
    connection.on('end', () => resolve());
  });
  return {
    id: connection.threadId as number,
    lost,
    async select(sql, params) {
      const [rows] = await connection.query<RowDataPacket[]>(sql, params as unknown[]);
      return rows as SourceRow[];
    },
    close: async () => { connection.destroy(); },
  };
}
