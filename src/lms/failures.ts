import type { MysqlDeadlines } from './deadlines.js';

/**
 * A MySQL failure told in an operator's words. `code` and `fatal` are mysql2's (or the
 * watchdog's), so it is classified and its connection handled as the original would be.
 */
export class MysqlFailure extends Error {
  readonly code: string;
  readonly fatal: boolean;

  constructor(message: string, code: string, options: { readonly cause?: unknown; readonly fatal?: boolean } = {}) {
    super(message, { cause: options.cause });
    this.name = 'MysqlFailure';
    this.code = code;
    this.fatal = options.fatal ?? false;
  }
}

/** Code of a statement failed by the watchdog: MySQL gave no sign of life, or no longer runs it. */
export const SILENT = 'ASPECTS_MYSQL_SILENT';

/** The tables a statement of ours reads (after FROM and JOIN), for messages. */
function tablesOf(sql: string): string[] {
  const names = [...sql.matchAll(/\b(?:FROM|JOIN)\s+`?(\w+)`?(?![\w.])/gi)].map((match) => match[1] as string);
  return [...new Set(names)];
}

function lockedMessage(sql: string, deadlines: MysqlDeadlines): string {
  const tables = tablesOf(sql);
  const which = tables.length === 0 ? 'a table' : `table ${tables.join(' or ')}`;
  return `MySQL: ${which} stayed locked for ${deadlines.lockWaitSeconds}s `
    + '(a migration\'s ALTER TABLE or a LOCK TABLES holds it): Lock wait timeout exceeded';
}

/**
 * `error` in an operator's words where mysql2's say too little: a table lock waited out, a
 * connection not accepted, a statement on a connection lost before it.
 */
export function explained(error: unknown, sql: string, deadlines: MysqlDeadlines): unknown {
  const { code, syscall, message } = error as { code?: unknown; syscall?: unknown; message?: unknown };
  if (code === 'ER_LOCK_WAIT_TIMEOUT') return new MysqlFailure(lockedMessage(sql, deadlines), code, { cause: error });
  if (code === 'ETIMEDOUT' && syscall === 'connect') {
    const seconds = deadlines.answerMs / 1000;
    return new MysqlFailure(`MySQL did not accept a connection within ${seconds}s (connect ETIMEDOUT)`, code, { cause: error, fatal: true });
  }
  if (code === undefined && typeof message === 'string' && /connection is in closed state/.test(message)) {
    return new MysqlFailure(`MySQL connection lost before the statement (${message})`, 'PROTOCOL_CONNECTION_LOST', { cause: error, fatal: true });
  }
  return error;
}
