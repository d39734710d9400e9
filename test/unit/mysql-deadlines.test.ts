import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from '../../src/errors.js';
import { mysqlDeadlines } from '../../src/lms/deadlines.js';
import { MysqlFailure, SILENT, explained } from '../../src/lms/failures.js';
import { isTransientMysqlError } from '../../src/lms/transient.js';

const TEN = { answerMs: 10_000, lockWaitSeconds: 10 };

/** An error as mysql2 makes it. */
function mysql2Error(message: string, fields: Record<string, unknown>): Error {
  return Object.assign(new Error(message), fields);
}

describe('MySQL deadlines', () => {
  it('are 10 s unless ASPECTS_MYSQL_TIMEOUT says otherwise; lock_wait_timeout is whole seconds', () => {
    assert.deepEqual(mysqlDeadlines({}), { answerMs: 10_000, lockWaitSeconds: 10 });
    assert.deepEqual(mysqlDeadlines({ ASPECTS_MYSQL_TIMEOUT: '' }), { answerMs: 10_000, lockWaitSeconds: 10 });
    assert.deepEqual(mysqlDeadlines({ ASPECTS_MYSQL_TIMEOUT: '2.5' }), { answerMs: 2500, lockWaitSeconds: 3 });
  });

  it('refuse a timeout that is not a positive number of seconds', () => {
    for (const value of ['0', '-1', 'ten', 'Infinity']) {
      assert.throws(() => mysqlDeadlines({ ASPECTS_MYSQL_TIMEOUT: value }), (error: unknown) => error instanceof UsageError
        && error.message === `ASPECTS_MYSQL_TIMEOUT must be a positive number of seconds (got ${JSON.stringify(value)})`);
    }
  });
});

describe('MySQL failures in an operator\'s words', () => {
  it('a table lock waited out names the tables the statement reads and stays transient', () => {
    const error = mysql2Error('Lock wait timeout exceeded; try restarting transaction', { code: 'ER_LOCK_WAIT_TIMEOUT', errno: 1205, sqlState: 'HY000' });
    const told = explained(error, 'SELECT p.id AS __pk FROM auth_userprofile p LEFT JOIN auth_user u ON u.id = p.user_id WHERE p.id > ?', TEN);
    assert.ok(told instanceof MysqlFailure);
    assert.equal(told.message, 'MySQL: table auth_userprofile or auth_user stayed locked for 10s (a migration\'s ALTER TABLE or a LOCK TABLES holds it): Lock wait timeout exceeded');
    assert.equal(told.fatal, false);
    assert.equal(told.cause, error);
    assert.ok(isTransientMysqlError(told));
  });

  it('a table lock of a statement without a table (information_schema only) says a table', () => {
    const error = mysql2Error('Lock wait timeout exceeded', { code: 'ER_LOCK_WAIT_TIMEOUT' });
    assert.match((explained(error, 'SELECT COUNT(*) FROM information_schema.COLUMNS', TEN) as Error).message, /^MySQL: a table stayed locked for 10s/);
  });

  it('a connection MySQL did not accept in time says so, and stays transient', () => {
    const told = explained(mysql2Error('connect ETIMEDOUT', { code: 'ETIMEDOUT', syscall: 'connect', fatal: true }), 'SELECT 1', TEN);
    assert.equal((told as Error).message, 'MySQL did not accept a connection within 10s (connect ETIMEDOUT)');
    assert.ok(isTransientMysqlError(told));
  });

  it('a statement on a connection lost before it says so', () => {
    const told = explained(new Error("Can't add new command when connection is in closed state"), 'SELECT GET_LOCK(?, ?)', TEN);
    assert.equal((told as Error).message, "MySQL connection lost before the statement (Can't add new command when connection is in closed state)");
    assert.equal((told as MysqlFailure).code, 'PROTOCOL_CONNECTION_LOST');
    assert.ok(isTransientMysqlError(told));
  });

  it('leaves other failures as they are, transient or not', () => {
    const refused = mysql2Error('connect ECONNREFUSED 127.0.0.1:3306', { code: 'ECONNREFUSED', syscall: 'connect' });
    const denied = mysql2Error("Access denied for user 'x'", { code: 'ER_ACCESS_DENIED_ERROR', errno: 1045 });
    assert.equal(explained(refused, 'SELECT 1', TEN), refused);
    assert.equal(explained(denied, 'SELECT 1', TEN), denied);
    assert.ok(!isTransientMysqlError(denied));
  });

  it('the watchdog\'s verdict is transient', () => {
    assert.ok(isTransientMysqlError(new MysqlFailure('MySQL sent nothing for 10s …', SILENT, { fatal: true })));
  });
});
