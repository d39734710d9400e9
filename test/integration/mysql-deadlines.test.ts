import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createConnection } from 'mysql2/promise';
import { parseMysqlUrl, type MysqlLocation } from '../../src/config/urls.js';
import { openLmsDatabase, openLmsSession } from '../../src/lms/database.js';
import type { MysqlDeadlines } from '../../src/lms/deadlines.js';
import { isTransientMysqlError } from '../../src/lms/transient.js';
import { createTestLms, type TestLms } from '../support/env.js';
import { startHoldProxy, type HoldProxy } from '../support/hold-proxy.js';

/** A one-second deadline: a check after half a second of silence, half a second for its answer. */
const DEADLINES: MysqlDeadlines = { answerMs: 1000, lockWaitSeconds: 1 };
/** On top of a deadline, for a loaded 2-core machine. */
const SLACK_MS = 2000;
const PROFILES = 'SELECT COUNT(*) AS n FROM auth_userprofile p LEFT JOIN auth_user u ON u.id = p.user_id';

/** The failure of a statement MySQL went silent on: the watchdog's, transient. */
function silent(error: unknown): boolean {
  assert.match((error as Error).message, /^MySQL sent nothing for [\d.]+s and a new connection failed too \(no answer within 0\.5s\); the connection was dropped$/);
  assert.ok(isTransientMysqlError(error));
  return true;
}

/** Resolves with how long `work` took to settle, in ms. */
async function timed(work: Promise<unknown>): Promise<number> {
  const start = Date.now();
  await work.catch(() => undefined);
  return Date.now() - start;
}

describe('every wait on MySQL has a deadline', () => {
  let lms: TestLms;
  let location: MysqlLocation;
  before(async () => {
    lms = await createTestLms();
    location = parseMysqlUrl(lms.url);
  });
  after(async () => { await lms.drop(); });

  it('a statement MySQL works on for longer than the deadline is not cut, read whole or streamed', async () => {
    const db = openLmsDatabase(location, DEADLINES);
    try {
      const [row] = await db.select('SELECT SLEEP(2.5) AS slept', []);
      assert.equal(Number(row?.slept), 0);
      assert.equal(await db.each('SELECT SLEEP(2.5) AS slept', [], () => undefined), 1);
    } finally {
      await db.close();
    }
  });

  it('a table held by LOCK TABLES … WRITE fails a read after lock_wait_timeout, naming the tables; the connection stays usable', async () => {
    const locker = await createConnection({ uri: lms.url });
    const db = openLmsDatabase(location, DEADLINES);
    try {
      await locker.query('LOCK TABLES auth_userprofile WRITE');
      const waited = await timed(assert.rejects(db.select(PROFILES, []), (error: Error) => {
        assert.equal(error.message, 'MySQL: table auth_userprofile or auth_user stayed locked for 1s (a migration\'s ALTER TABLE or a LOCK TABLES holds it): Lock wait timeout exceeded');
        return isTransientMysqlError(error);
      }));
      assert.ok(waited >= 900 && waited <= 1000 + SLACK_MS, `failed after ${waited} ms`);
      await locker.query('UNLOCK TABLES');
      assert.equal(Number((await db.select(PROFILES, []))[0]?.n), 0);
    } finally {
      await db.close();
      await locker.end();
    }
  });

  describe('a blackholed network (no byte either way, nothing closed)', () => {
    let proxy: HoldProxy;
    let through: MysqlLocation;
    before(async () => {
      proxy = await startHoldProxy(location.host, location.port);
      through = { ...location, host: '127.0.0.1', port: proxy.port };
    });
    after(async () => { await proxy.close(); });

    it('fails a read on an open connection, a streamed read, a new connection and a session statement within the deadline; close does not wait', async () => {
      const db = openLmsDatabase(through, DEADLINES);
      const session = await openLmsSession(through, DEADLINES);
      await Promise.all([db.select('SELECT 1 AS one', []), db.select('SELECT 2 AS two', [])]);
      proxy.hold();
      try {
        const reads = [assert.rejects(db.select('SELECT 1 AS one', []), silent), assert.rejects(db.each('SELECT 1 AS one', [], () => undefined), silent)];
        assert.ok(await timed(Promise.all(reads)) <= DEADLINES.answerMs + SLACK_MS);
        assert.ok(await timed(assert.rejects(session.select('SELECT GET_LOCK(?, 0) AS got', ['aspects:test']), silent)) <= DEADLINES.answerMs + SLACK_MS);
        await assert.rejects(db.select('SELECT 1 AS one', []), (error: Error) => error.message === 'MySQL did not accept a connection within 1s (connect ETIMEDOUT)' && isTransientMysqlError(error));
        const pending = db.select('SELECT 1 AS one', []).catch(() => undefined);
        assert.ok(await timed(Promise.all([db.close(), session.close()])) <= DEADLINES.answerMs + SLACK_MS);
        await pending;
      } finally {
        proxy.release();
      }
    });
  });
});
