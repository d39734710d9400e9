import { UsageError } from '../errors.js';

/**
 * How long MySQL may stay silent before a wait on it is given up (and retried, for --retry-for):
 * connecting, a statement that sends nothing, a wait for a table's lock. A statement MySQL is
 * still working on is never cut, however long it takes: silence only leads to a check.
 */
export interface MysqlDeadlines {
  /** Connecting, and the longest silence of a statement: half of it before a check, half for the check's answer. */
  readonly answerMs: number;
  /** lock_wait_timeout of every session: a table locked this long (a migration, LOCK TABLES) fails the statement. */
  readonly lockWaitSeconds: number;
}

/** Ten seconds: a sign of life comes within milliseconds from a server that is up, even a busy one. */
const DEFAULT_SECONDS = 10;

/** The deadlines: ASPECTS_MYSQL_TIMEOUT seconds, else 10. */
export function mysqlDeadlines(env: Readonly<Record<string, string | undefined>> = process.env): MysqlDeadlines {
  const value = env.ASPECTS_MYSQL_TIMEOUT;
  const seconds = value === undefined || value === '' ? DEFAULT_SECONDS : Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new UsageError(`ASPECTS_MYSQL_TIMEOUT must be a positive number of seconds (got ${JSON.stringify(value)})`);
  }
  return { answerMs: seconds * 1000, lockWaitSeconds: Math.ceil(seconds) };
}
