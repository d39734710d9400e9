import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createConnection } from 'mysql2/promise';
import { createTestEventSink, type TestEventSink } from '../support/clickhouse.js';
import { startAspects } from '../support/cli.js';
import type { TestLms } from '../support/env.js';
import { startControlledMariaDb } from '../support/fault-server.js';
import { killConnections } from '../support/mysql-faults.js';
import { cliEnv, filledLms } from '../support/scenario.js';
import { assertExactlyOnce, logged } from './support.js';

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
