import { SILENT } from './failures.js';

/**
 * mysql2 / socket error codes after which the same statement may succeed on a new connection:
 * the server restarting, a connection killed (KILL, a proxy, wait_timeout), overload, a deadlock,
 * a table locked past lock_wait_timeout (a migration), MySQL silent past the deadline (SILENT).
 */
const TRANSIENT_MYSQL_CODES = new Set([
  // ENOTFOUND: a new Kubernetes Service's name resolves a few seconds after it is created.
  'PROTOCOL_CONNECTION_LOST', 'ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'ECONNABORTED',
  'ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT', 'ER_CON_COUNT_ERROR', 'ER_SERVER_SHUTDOWN',
  'ER_QUERY_INTERRUPTED', 'ER_CONNECTION_KILLED', 'PROTOCOL_SEQUENCE_TIMEOUT', SILENT,
]);

/** Whether a MySQL failure is worth a retry. */
export function isTransientMysqlError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return TRANSIENT_MYSQL_CODES.has(code);
  // mysql2 says so, without a code, of a connection that ended under a pooled query.
  return error instanceof Error && /connection is in closed state/.test(error.message);
}
