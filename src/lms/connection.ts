import type { Socket } from 'node:net';
import { createConnection, type Connection, type ConnectionOptions, type RowDataPacket } from 'mysql2';
import type { MysqlLocation } from '../config/urls.js';
import type { SourceValue } from '../format/values.js';
import type { MysqlDeadlines } from './deadlines.js';

/** A row of the LMS database, keyed by result field name. */
export type SourceRow = Readonly<Record<string, SourceValue>>;

/**
 * How every connection to the LMS database is made: text datetimes (no time-zone shifts),
 * utf8mb4, a connect deadline, and TCP keep-alive so an idle connection to a vanished server
 * is found out by the kernel too.
 */
export function connectionOptions(location: MysqlLocation, deadlines: MysqlDeadlines): ConnectionOptions {
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
    connectTimeout: deadlines.answerMs,
    enableKeepAlive: true,
    keepAliveInitialDelay: deadlines.answerMs,
  };
}

/**
 * Opens one connection; rejects on mysql2's connect deadline. Later failures reach the statement
 * under way; those of an idle connection mysql2 emits as 'error', which is listened to, or it would throw.
 */
export function connect(options: ConnectionOptions): Promise<Connection> {
  return new Promise((resolve, reject) => {
    const connection = createConnection(options);
    connection.connect((error) => (error ? reject(error) : resolve(connection.on('error', () => undefined))));
  });
}

/** One statement on `connection`, its rows when it returns any. */
export function run(connection: Connection, sql: string, params: readonly unknown[]): Promise<SourceRow[]> {
  return new Promise((resolve, reject) => {
    connection.query<RowDataPacket[]>(sql, params as unknown[], (error, rows) => (error ? reject(error) : resolve(rows as SourceRow[])));
  });
}

/** Makes statements of the session give up waiting for a table's metadata lock after the deadline (MySQL's default is a year). */
export function limitLockWaits(connection: Connection, deadlines: MysqlDeadlines): void {
  // Queued ahead of the session's first statement, which a lost connection fails; were it refused, MySQL's default stays.
  connection.query('SET SESSION lock_wait_timeout = ?', [deadlines.lockWaitSeconds], () => undefined);
}

/** The socket under a mysql2 connection (mysql2 does not type it). */
export function socketOf(connection: Connection): Socket {
  return (connection as unknown as { readonly stream: Socket }).stream;
}

/**
 * Ends a connection at once: mysql2's own destroy() only half-closes the socket, which a
 * frozen or unreachable server never completes. `error`, when given, fails its statements.
 */
export function drop(connection: Connection, error?: Error): void {
  socketOf(connection).destroy(error);
}

/** `work`, or `late()` as the failure once `ms` passed first. */
export function within<T>(ms: number, work: Promise<T>, late: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(late()), ms); });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}
