import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestEventSink, type TestEventSink } from '../support/clickhouse.js';
import { runAspects } from '../support/cli.js';
import type { TestLms } from '../support/env.js';
import { assertSameRows, expectedRows } from '../support/expected.js';
import { nthMatching, startFaultProxy, type Fault, type FaultProxy } from '../support/fault-proxy.js';
import { cliEnv, filledLms, storedRows } from '../support/scenario.js';

// Real connection resets, injected by a loopback TCP proxy in front of the real servers.
describe('transient failures are retried with the same rows', () => {
  let lms: TestLms;
  let sink: TestEventSink;
  let proxy: FaultProxy | undefined;
  before(async () => { lms = await filledLms({ users: 120 }); });
  after(async () => { await lms.drop(); });

  async function withProxy(port: number, marker: string, nth: number, fault: Fault = 'reset'): Promise<number> {
    sink = await createTestEventSink();
    proxy = await startFaultProxy(port, nthMatching(marker, nth, fault));
    return proxy.port;
  }

  async function cleanup(): Promise<void> {
    await proxy?.close();
    await sink.drop();
  }

  // --insert-rows as small as a page: several inserts, so the second can be the one that fails.
  it('a ClickHouse insert whose connection is reset is sent again and lands once', async () => {
    const port = await withProxy(Number(new URL(process.env.ASPECTS_TEST_CLICKHOUSE_URL as string).port), 'INSERT', 2);
    try {
      const env = cliEnv(lms, sink, { ASPECTS_CLICKHOUSE_URL: `http://127.0.0.1:${port}` });
      const result = await runAspects(['dump', '--object', 'user_profile', '--batch-size', '50', '--insert-rows', '50', '--sleep-time', '0', '--force'], env);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(proxy?.cuts, 1);
      assert.match(result.stderr, /user_profile: attempt 1 failed \(ClickHouse insert: .*\); retrying in/);
      assertSameRows(await storedRows(sink, 'user_profile'), await expectedRows(lms.db, 'user_profile'), 'id');
    } finally {
      await cleanup();
    }
  });

  it('an HTTP 503 from a gateway in front of ClickHouse is retried', async () => {
    const port = await withProxy(Number(new URL(process.env.ASPECTS_TEST_CLICKHOUSE_URL as string).port), 'INSERT', 1, 'http-503');
    try {
      const env = cliEnv(lms, sink, { ASPECTS_CLICKHOUSE_URL: `http://127.0.0.1:${port}` });
      const result = await runAspects(['dump', '--object', 'course_enrollment', '--sleep-time', '0'], env);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(proxy?.cuts, 1);
      assert.match(result.stderr, /course_enrollment: attempt 1 failed \(ClickHouse insert: HTTP 503: 503 busy; 0 of 181 rows had landed\); retrying in/);
      assertSameRows(await storedRows(sink, 'course_enrollment'), await expectedRows(lms.db, 'course_enrollment'), 'id');
    } finally {
      await cleanup();
    }
  });

  it('a MySQL page read whose connection drops is read again', async () => {
    const mysqlPort = Number(new URL(lms.url).port || 3306);
    const port = await withProxy(mysqlPort, 'ORDER BY', 2);
    try {
      const env = cliEnv(lms, sink, { ASPECTS_MYSQL_URL: lms.url.replace(`:${mysqlPort}/`, `:${port}/`) });
      const result = await runAspects(['dump', '--object', 'course_enrollment', '--batch-size', '40', '--sleep-time', '0'], env);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(proxy?.cuts, 1);
      assert.match(result.stderr, /course_enrollment: attempt 1 failed \(MySQL read: /);
      assertSameRows(await storedRows(sink, 'course_enrollment'), await expectedRows(lms.db, 'course_enrollment'), 'id');
    } finally {
      await cleanup();
    }
  });

  it('gives up after --retries and names the resume point', async () => {
    sink = await createTestEventSink();
    const chPort = Number(new URL(process.env.ASPECTS_TEST_CLICKHOUSE_URL as string).port);
    let inserts = 0;
    // Staging inserts only (query id …-s<attempt>): an insert's publish is an INSERT … SELECT too.
    const stagingInsert = /query_id=aspects-[0-9a-f-]+-s\d+/;
    proxy = await startFaultProxy(chPort, (chunk) => (stagingInsert.test(chunk.toString('latin1')) && ++inserts >= 2 ? 'reset' : undefined));
    try {
      const env = cliEnv(lms, sink, { ASPECTS_CLICKHOUSE_URL: `http://127.0.0.1:${proxy.port}` });
      const result = await runAspects(['dump', '--object', 'course_enrollment', '--batch-size', '30', '--insert-rows', '30', '--sleep-time', '0', '--retries', '2', '--force'], env);
      assert.equal(result.code, 1);
      assert.equal(proxy.cuts, 3);
      assert.match(result.stderr, /course_enrollment failed: .*course_enrollment is complete up to pk 30; resume with the same options and --object course_enrollment --start-pk 30/);
      assert.equal(await sink.count('course_enrollment'), 30);
    } finally {
      await cleanup();
    }
  });
});
