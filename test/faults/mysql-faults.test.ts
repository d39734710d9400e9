import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createConnection } from 'mysql2/promise';
import { createTestEventSink, type TestEventSink } from '../support/clickhouse.js';
import { runAspects, startAspects, type CliResult, type RunningAspects } from '../support/cli.js';
import type { TestLms } from '../support/env.js';
import { startControlledMariaDb, type ControlledMariaDb } from '../support/fault-server.js';
import { startHoldProxy } from '../support/hold-proxy.js';
import { killConnections } from '../support/mysql-faults.js';
import { cliEnv, filledLms } from '../support/scenario.js';
import { assertExactlyOnce, logged, until } from './support.js';

const DUMP = ['dump', '--object', 'user_profile', 'external_id', '--batch-size', '200', '--sleep-time', '0.05'];

// The LMS side fails: the tool's connections are killed (KILL), or MariaDB itself restarts.
describe('exactly once under MySQL faults', () => {
  let lms: TestLms;
  let sink: TestEventSink;
  before(async () => { lms = await filledLms({ users: 1500, seed: 41 }); });
  after(async () => { await lms.drop(); });

  it('KILL of every connection of the tool (reads, run lock, write lock) mid-dump: it reconnects, keeps its lock, lands every row once', async () => {
    sink = await createTestEventSink();
    try {
      const run = startAspects(DUMP, cliEnv(lms, sink));
      await logged(run, /user_profile: batch 2,/);
      const killed = await killConnections(lms.db, lms.name);
      assert.ok(killed >= 2, `only ${killed} connections killed`);
      await logged(run, /external_id: batch 2,/);
      assert.ok(await killConnections(lms.db, lms.name) >= 2);
      const result = await run.done;
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, /the run lock's MySQL session ended; the lock was taken again/);
      for (const table of ['user_profile', 'external_id']) await assertExactlyOnce(sink, lms, table);
    } finally {
      await sink.drop();
    }
  });

  it('MariaDB killed (kill -9) and restarted mid-dump: the dump rides it out and lands every row once', async () => {
    const mariadb = await startControlledMariaDb();
    sink = await createTestEventSink();
    try {
      const own = await filledLms({ users: 1200, seed: 43 }, {}, mariadb.url);
      const run = startAspects(DUMP, cliEnv(own, sink));
      await logged(run, /user_profile: batch 2,/);
      await mariadb.kill9();
      await logged(run, /attempt 2 failed \(.*(ECONNREFUSED|PROTOCOL_CONNECTION_LOST|closed state)/);
      await mariadb.restart();
      const result = await run.done;
      assert.equal(result.code, 0, result.stderr);
      const db = await createConnection({ uri: own.url, charset: 'utf8mb4' });
      try {
        for (const table of ['user_profile', 'external_id']) await assertExactlyOnce(sink, { ...own, db }, table);
      } finally {
        await db.end();
      }
    } finally {
      await sink.drop();
      await mariadb.stop();
    }
  });
});

/** Short deadlines, so each case takes seconds: MySQL may stay silent 2 s (ASPECTS_MYSQL_TIMEOUT). */
const DEADLINE_SECONDS = 2;
const SHORT_DEADLINE = { ASPECTS_MYSQL_TIMEOUT: String(DEADLINE_SECONDS) };
/** On top of a deadline, for a loaded 2-core machine: the check's connection, the retry line, the 20 ms log poll. */
const SLACK_MS = 3000;
/**
 * How long a run may take to fail once MySQL went silent with --retry-for 3: found silent, retried
 * for 3 s, then the failed insert wrapped up (its write lock released and taken again, the run lock
 * released), each step a deadline at most; the operator saw 176 s and a hang before.
 */
const FAILED_WITHIN_MS = 30_000;
/** A retry line of MySQL gone silent: nothing on a connection and no answer on a new one, or no new connection accepted. */
const SILENT_RETRY = /attempt \d+ failed \(.*MySQL (sent nothing for [\d.]+s and a new connection failed too|did not accept a connection within 2s)/g;
/** The last line of a failed run: the object, what MySQL did, and the way on. */
const SILENT_FAILURE = /^aspects: user_profile failed: MySQL (sent nothing for [\d.]+s and a new connection failed too|did not accept a connection within 2s)/m;

/** Resolves once stderr holds `times` lines matching `pattern` (a /g regex); asserts the first came within `ms`. */
async function retriedWithin(run: RunningAspects, pattern: RegExp, ms: number, times = 1): Promise<void> {
  const start = Date.now();
  await logged(run, new RegExp(pattern.source));
  const took = Date.now() - start;
  assert.ok(took <= ms, `the first ${pattern} came ${took} ms after the fault, later than ${ms} ms:\n${run.stderr()}`);
  await until(() => (run.stderr().match(pattern) ?? []).length >= times, run, `${times} lines ${pattern}`);
}

/** The run's end, and how long it took from now. */
async function ended(run: RunningAspects): Promise<{ result: CliResult; ms: number }> {
  const start = Date.now();
  const result = await run.done;
  return { result, ms: Date.now() - start };
}

/** The URL of `lms` through a local proxy on `port`. */
function through(url: string, port: number): string {
  const proxied = new URL(url);
  proxied.host = `127.0.0.1:${port}`;
  return proxied.toString();
}

const USER_PROFILE = ['dump', '--object', 'user_profile', '--batch-size', '100', '--sleep-time', '0.2'];
/** The retry line of a read that waited out lock_wait_timeout. */
const LOCKED_RETRY = /user_profile: attempt 1 failed \(MySQL read: MySQL: table auth_userprofile or auth_user stayed locked for 2s \(a migration's ALTER TABLE or a LOCK TABLES holds it\): Lock wait timeout exceeded\); retrying in [\d.]+s/;

// Every wait on MySQL has a deadline: a frozen server, a blackholed network or a table locked by a
// migration gives a retry line within seconds, and a true failure once --retry-for runs out.
describe('every MySQL wait has a deadline', () => {
  let lms: TestLms;
  let sink: TestEventSink;
  let mariadb: ControlledMariaDb;
  before(async () => {
    lms = await filledLms({ users: 1500, seed: 53 });
    mariadb = await startControlledMariaDb();
  });
  after(async () => {
    await lms.drop();
    await mariadb.stop();
  });

  it('MariaDB frozen (SIGSTOP) mid-dump past the deadline: a retry line naming MySQL within it; resumed, every row once', async () => {
    const own = await filledLms({ users: 1200, seed: 47 }, {}, mariadb.url);
    sink = await createTestEventSink();
    try {
      const run = startAspects([...DUMP, '--retry-for', '60'], cliEnv(own, sink, SHORT_DEADLINE));
      await logged(run, /user_profile: batch 2,/);
      mariadb.pause();
      try {
        await retriedWithin(run, SILENT_RETRY, DEADLINE_SECONDS * 1000 + SLACK_MS, 2);
      } finally {
        mariadb.resume();
      }
      const result = await run.done;
      assert.equal(result.code, 0, result.stderr);
      for (const table of ['user_profile', 'external_id']) await assertExactlyOnce(sink, own, table);
    } finally {
      await sink.drop();
      await own.drop();
    }
  });

  it('MariaDB frozen past --retry-for: exit 1 naming MySQL, not a lost insert answer; resumed, a rerun lands every row once', async () => {
    const own = await filledLms({ users: 1200, seed: 48 }, {}, mariadb.url);
    sink = await createTestEventSink();
    try {
      const env = cliEnv(own, sink, SHORT_DEADLINE);
      const run = startAspects([...DUMP, '--retry-for', '3'], env);
      await logged(run, /user_profile: batch 2,/);
      mariadb.pause();
      let end: { result: CliResult; ms: number };
      try {
        end = await ended(run);
      } finally {
        mariadb.resume();
      }
      assert.equal(end.result.code, 1, end.result.stderr);
      assert.match(end.result.stderr, SILENT_FAILURE);
      assert.doesNotMatch(end.result.stderr, /answer to an insert/);
      assert.ok(end.ms <= FAILED_WITHIN_MS, `the run ended ${end.ms} ms after the freeze:\n${end.result.stderr}`);
      // What the first run left on the server (its run lock's session) goes now, not when MariaDB notices.
      await killConnections(own.db, own.name);
      const rerun = await runAspects(DUMP, env);
      assert.equal(rerun.code, 0, rerun.stderr);
      for (const table of ['user_profile', 'external_id']) await assertExactlyOnce(sink, own, table);
    } finally {
      await sink.drop();
      await own.drop();
    }
  });

  it('the network to MySQL blackholed mid-read (no byte either way, nothing closed): a retry line within the deadline; released, every row once', async () => {
    const server = new URL(lms.url);
    const proxy = await startHoldProxy(server.hostname, Number(server.port || 3306));
    sink = await createTestEventSink();
    try {
      const run = startAspects([...DUMP, '--retry-for', '60'], cliEnv(lms, sink, { ...SHORT_DEADLINE, ASPECTS_MYSQL_URL: through(lms.url, proxy.port) }));
      await logged(run, /user_profile: batch 2,/);
      proxy.hold();
      try {
        await retriedWithin(run, SILENT_RETRY, DEADLINE_SECONDS * 1000 + SLACK_MS, 2);
      } finally {
        proxy.release();
      }
      const result = await run.done;
      assert.equal(result.code, 0, result.stderr);
      for (const table of ['user_profile', 'external_id']) await assertExactlyOnce(sink, lms, table);
    } finally {
      await sink.drop();
      await proxy.close();
    }
  });

  it('the network to MySQL blackholed past --retry-for: exit 1 naming MySQL within bounded time; a rerun lands every row once', async () => {
    const server = new URL(lms.url);
    const proxy = await startHoldProxy(server.hostname, Number(server.port || 3306));
    sink = await createTestEventSink();
    try {
      const run = startAspects([...DUMP, '--retry-for', '3'], cliEnv(lms, sink, { ...SHORT_DEADLINE, ASPECTS_MYSQL_URL: through(lms.url, proxy.port) }));
      await logged(run, /user_profile: batch 2,/);
      proxy.hold();
      const end = await ended(run);
      proxy.release();
      assert.equal(end.result.code, 1, end.result.stderr);
      assert.match(end.result.stderr, SILENT_FAILURE);
      assert.ok(end.ms <= FAILED_WITHIN_MS, `the run ended ${end.ms} ms after the blackhole:\n${end.result.stderr}`);
      await killConnections(lms.db, lms.name);
      const rerun = await runAspects(DUMP, cliEnv(lms, sink));
      assert.equal(rerun.code, 0, rerun.stderr);
      for (const table of ['user_profile', 'external_id']) await assertExactlyOnce(sink, lms, table);
    } finally {
      await sink.drop();
      await proxy.close();
    }
  });

  it('LOCK TABLES auth_userprofile WRITE mid-dump (a migration): a retry line saying the table is locked within seconds; unlocked, every row once', async () => {
    const locker = await createConnection({ uri: lms.url, charset: 'utf8mb4' });
    sink = await createTestEventSink();
    try {
      const run = startAspects([...USER_PROFILE, '--retry-for', '60'], cliEnv(lms, sink, SHORT_DEADLINE));
      await logged(run, /user_profile: batch 2,/);
      await locker.query('LOCK TABLES auth_userprofile WRITE');
      try {
        await retriedWithin(run, LOCKED_RETRY, DEADLINE_SECONDS * 1000 + SLACK_MS);
      } finally {
        await locker.query('UNLOCK TABLES');
      }
      const result = await run.done;
      assert.equal(result.code, 0, result.stderr);
      await assertExactlyOnce(sink, lms, 'user_profile');
    } finally {
      await sink.drop();
      await locker.end();
    }
  });

  it('the table locked past --retry-for: exit 1 naming the lock; unlocked, a rerun lands every row once', async () => {
    const locker = await createConnection({ uri: lms.url, charset: 'utf8mb4' });
    sink = await createTestEventSink();
    try {
      const run = startAspects([...USER_PROFILE, '--retry-for', '3'], cliEnv(lms, sink, SHORT_DEADLINE));
      await logged(run, /user_profile: batch 2,/);
      await locker.query('LOCK TABLES auth_userprofile WRITE');
      let end: { result: CliResult; ms: number };
      try {
        end = await ended(run);
      } finally {
        await locker.query('UNLOCK TABLES');
      }
      assert.equal(end.result.code, 1, end.result.stderr);
      assert.match(end.result.stderr, /^aspects: user_profile failed: MySQL: table auth_userprofile or auth_user stayed locked for 2s \(a migration's ALTER TABLE or a LOCK TABLES holds it\)/m);
      const rerun = await runAspects(['dump', '--object', 'user_profile', '--sleep-time', '0'], cliEnv(lms, sink));
      assert.equal(rerun.code, 0, rerun.stderr);
      await assertExactlyOnce(sink, lms, 'user_profile');
    } finally {
      await sink.drop();
      await locker.end();
    }
  });
});
