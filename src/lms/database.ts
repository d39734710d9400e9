import type { EventEmitter } from 'node:events';
import type { Connection, Pool, PoolConnection } from 'mysql2';
import { createPool } from 'mysql2';
import type { MysqlLocation } from '../config/urls.js';
import { RuntimeFailure, messageOf } from '../errors.js';
import { connecting, type ConnectRetry } from '../pipeline/retry.js';
import { connect, connectionOptions, drop, limitLockWaits, run, socketOf, within, type SourceRow } from './connection.js';
import { mysqlDeadlines, type MysqlDeadlines } from './deadlines.js';
import { explained } from './failures.js';
import { isTransientMysqlError } from './transient.js';
import { Watchdog } from './watchdog.js';

export type { SourceRow } from './connection.js';

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
 * Streams a query's rows on `connection`. The connection's own errors end the stream too: a
 * query without a callback is not told when its connection is lost (a KILL, a server restart,
 * the watchdog), only the connection is, so the query alone would wait for ever.
 */
function eachRow(connection: Connection, sql: string, params: readonly unknown[], each: (row: SourceRow) => void): Promise<number> {
  let lose: (error: unknown) => void = () => undefined;
  const lost = new Promise<never>((_, fail) => { lose = fail; });
  connection.once('error', lose);
  const rows = streamRows(connection.query(sql, params as unknown[]) as unknown as EventEmitter, each);
  return Promise.race([rows, lost]).finally(() => connection.removeListener('error', lose));
}

/** A connection of the pool (connecting within the deadline). */
function pooled(pool: Pool): Promise<PoolConnection> {
  return new Promise((resolve, reject) => pool.getConnection((error, connection) => (error ? reject(error) : resolve(connection))));
}

/** The statements of a pool or a session: watched, failures explained. */
class Statements {
  private readonly watchdog: Watchdog;

  constructor(location: MysqlLocation, private readonly deadlines: MysqlDeadlines) {
    this.watchdog = new Watchdog(connectionOptions(location, deadlines), deadlines.answerMs);
  }

  /** Runs `statement` on `connection` under the watchdog; a failure comes explained. */
  async on<T>(connection: Connection, sql: string, statement: () => Promise<T>): Promise<T> {
    try {
      return await this.watchdog.watching(connection, statement);
    } catch (error) {
      throw explained(error, sql, this.deadlines);
    }
  }

  /** Runs `statement` on a connection of `pool`: released after it, dropped when it broke. */
  async pooled<T>(pool: Pool, sql: string, statement: (connection: Connection) => Promise<T>): Promise<T> {
    const connection = await pooled(pool).catch((error: unknown) => { throw explained(error, sql, this.deadlines); });
    try {
      const result = await this.on(connection, sql, () => statement(connection));
      connection.release();
      return result;
    } catch (error) {
      if ((error as { fatal?: unknown }).fatal === true) drop(connection);
      else connection.release();
      throw error;
    }
  }
}

/** Connections of the pool: the lanes of a dump, the run lock's checks and the retirement watch. */
const POOL_CONNECTIONS = 4;

/**
 * Ends the pool: politely (COM_QUIT) within the deadline, then at once, since a connection whose
 * statement MySQL never answers keeps its turn to quit for ever.
 */
async function endPool(pool: Pool, connections: ReadonlySet<Connection>, deadlines: MysqlDeadlines): Promise<void> {
  const ended = new Promise<void>((resolve) => pool.end(() => resolve()));
  await within(deadlines.answerMs, ended, () => new Error('MySQL did not answer the end of the pool')).catch(() => undefined);
  for (const connection of connections) drop(connection);
}

/** Opens a small pool on the LMS database. */
export function openLmsDatabase(location: MysqlLocation, deadlines: MysqlDeadlines = mysqlDeadlines()): LmsReader {
  const statements = new Statements(location, deadlines);
  const pool = createPool({ ...connectionOptions(location, deadlines), connectionLimit: POOL_CONNECTIONS });
  const connections = new Set<Connection>();
  pool.on('connection', (connection) => {
    connections.add(connection);
    socketOf(connection).once('close', () => connections.delete(connection));
    limitLockWaits(connection, deadlines);
  });
  return {
    select: (sql, params) => statements.pooled(pool, sql, (connection) => run(connection, sql, params)),
    each: (sql, params, each) => statements.pooled(pool, sql, (connection) => eachRow(connection, sql, params, each)),
    close: () => endPool(pool, connections, deadlines),
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

/** The columns (lower case: MySQL's column names are case-insensitive, its table names are not on Linux) of each of these tables the LMS has, from one query. */
export async function tableColumns(db: LmsDatabase, tables: readonly string[]): Promise<Map<string, Set<string>>> {
  const rows = await db.select('SELECT TABLE_NAME AS t, COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN (?)', [tables]);
  const present = new Map<string, Set<string>>();
  for (const row of rows) present.set(String(row.t), (present.get(String(row.t)) ?? new Set<string>()).add(String(row.c).toLowerCase()));
  return present;
}

/**
 * One connection of its own (not pooled), for what belongs to a MySQL session: user-level
 * locks. `lost` settles when the connection ends for any reason.
 */
export interface LmsSession extends LmsDatabase {
  /** MySQL's CONNECTION_ID() of this session. */
  readonly id: number;
  readonly lost: Promise<void>;
  /**
   * Runs a statement meant to run for long (the lock owner's note), unwatched: nothing waits
   * for its answer, and a statement after it on the session is watched, so not held up for ever.
   */
  hold(sql: string, params: readonly unknown[]): Promise<SourceRow[]>;
}

/** Opens one session on the LMS database (within the connect deadline). */
export async function openLmsSession(location: MysqlLocation, deadlines: MysqlDeadlines = mysqlDeadlines()): Promise<LmsSession> {
  const statements = new Statements(location, deadlines);
  const connection = await connect(connectionOptions(location, deadlines)).catch((error: unknown) => { throw explained(error, '', deadlines); });
  limitLockWaits(connection, deadlines);
  const lost = new Promise<void>((resolve) => { socketOf(connection).once('close', () => resolve()); });
  return {
    id: connection.threadId,
    lost,
    select: (sql, params) => statements.on(connection, sql, () => run(connection, sql, params)),
    hold: (sql, params) => run(connection, sql, params),
    close: async () => { drop(connection); },
  };
}
