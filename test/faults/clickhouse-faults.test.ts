import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestEventSink, type TestEventSink } from '../support/clickhouse.js';
import { runAspects, startAspects } from '../support/cli.js';
import type { TestLms } from '../support/env.js';
import { startControlledClickHouse, type ControlledClickHouse } from '../support/fault-server.js';
import { randomShareOfRequests, startHttpFaultProxy, type HttpDecide, type HttpFaultProxy } from '../support/fault-proxy.js';
import { cliEnv, filledLms, jsonSummary } from '../support/scenario.js';
import { assertExactlyOnce, logged } from './support.js';

const OBJECTS = ['course_enrollment', 'user_profile'];
// Inserts of two pages each: several inserts per object, each streamed over more than one read.
const DUMP = ['dump', '--object', ...OBJECTS, '--batch-size', '250', '--insert-rows', '500', '--sleep-time', '0.05', '--json'];

// Real faults on a ClickHouse 18.16 server of the test's own: killed, paused, or behind a proxy
// that loses answers, cuts bodies and delivers late. After each: every row exactly once.
describe('exactly once under ClickHouse faults', () => {
  let lms: TestLms;
  let server: ControlledClickHouse;
  before(async () => {
    lms = await filledLms({ users: 2000, seed: 23 });
    server = await startControlledClickHouse();
  });
  after(async () => {
    await server.stop();
    await lms.drop();
  });

  /** A fresh event_sink database on the test's server, reached directly or through a proxy. */
  async function freshSink(): Promise<TestEventSink> {
    return createTestEventSink(server.url);
  }

  async function throughProxy(decide: HttpDecide, run: (env: Record<string, string>, proxy: HttpFaultProxy, sink: TestEventSink) => Promise<void>,
    extra: Record<string, string> = {}): Promise<void> {
    const sink = await freshSink();
    const proxy = await startHttpFaultProxy(server.httpPort, decide);
    try {
      await run(cliEnv(lms, sink, { ASPECTS_CLICKHOUSE_URL: `http://127.0.0.1:${proxy.port}`, ...extra }), proxy, sink);
    } finally {
      await proxy.close();
      await sink.drop();
    }
  }

  it('responses lost after ClickHouse stored the batch: nothing is sent twice', async () => {
    await throughProxy(randomShareOfRequests('INSERT INTO', 0.3, 5, 'drop-response'), async (env, proxy, sink) => {
      const result = await runAspects(DUMP, env);
      assert.equal(result.code, 0, result.stderr);
      assert.ok(proxy.played['drop-response'] >= 3, `only ${proxy.played['drop-response']} responses dropped`);
      assert.match(result.stderr, /the answer to an insert into (course_enrollment|user_profile) was lost \(.*\); all \d+ rows had landed/);
      for (const table of OBJECTS) await assertExactlyOnce(sink, lms, table);
    });
  });

  it('bodies cut at a row boundary, which ClickHouse stores in part: the part stays in its unpublished staging table, every row once', async () => {
    const cut = { mode: 'cut-request', bodyBytes: 6000, atLineEnd: true, upstream: 'end' } as const;
    await throughProxy(randomShareOfRequests(/INSERT INTO \S+_aspects_staging_course_enrollment_/, 0.4, 9, cut), async (env, proxy, sink) => {
      const result = await runAspects(['dump', '--object', 'course_enrollment', '--batch-size', '250', '--insert-rows', '500', '--sleep-time', '0'], env);
      assert.equal(result.code, 0, result.stderr);
      assert.ok(proxy.played['cut-request'] >= 2, `only ${proxy.played['cut-request']} bodies cut`);
      const partial = [...result.stderr.matchAll(/; (\d+) of (\d+) rows had landed\)/g)].map((match) => Number(match[1]));
      assert.ok(partial.length >= 2 && partial.every((landed) => landed === 0), `a cut body reached the table: ${partial.join('; ')}`);
      await assertExactlyOnce(sink, lms, 'course_enrollment');
    });
  });

  it('requests delivered after the client gave up: late copies are found and removed', async () => {
    const late = { mode: 'delay-request', ms: 3500 } as const;
    await throughProxy(randomShareOfRequests(/INSERT INTO \S+course_enrollment/, 0.25, 3, late), async (env, proxy, sink) => {
      const result = await runAspects(['dump', '--object', 'course_enrollment', '--batch-size', '250', '--insert-rows', '500', '--sleep-time', '0'], env);
      assert.equal(result.code, 0, result.stderr);
      assert.ok(proxy.played['delay-request'] >= 1, 'no request delayed');
      await assertExactlyOnce(sink, lms, 'course_enrollment');
    }, { ASPECTS_CLICKHOUSE_TIMEOUT: '1.5' });
  });

  it('answers delayed past the timeout: the rows had landed and are not sent again', async () => {
    const slow = { mode: 'delay-response', ms: 3000 } as const;
    await throughProxy(randomShareOfRequests('INSERT INTO', 0.3, 4, slow), async (env, proxy, sink) => {
      const result = await runAspects(DUMP, env);
      assert.equal(result.code, 0, result.stderr);
      assert.ok(proxy.played['delay-response'] >= 2, 'too few answers delayed');
      for (const table of OBJECTS) await assertExactlyOnce(sink, lms, table);
    }, { ASPECTS_CLICKHOUSE_TIMEOUT: '1.5' });
  });

  it('ClickHouse paused (SIGSTOP) past the timeout, then resumed: every row once', async () => {
    const sink = await freshSink();
    try {
      const run = startAspects(DUMP, cliEnv(lms, sink, { ASPECTS_CLICKHOUSE_TIMEOUT: '1.5' }));
      await logged(run, /course_enrollment: batch 3,/);
      server.pause();
      await logged(run, /attempt 2 failed/);
      server.resume();
      const result = await run.done;
      assert.equal(result.code, 0, result.stderr);
      for (const table of OBJECTS) await assertExactlyOnce(sink, lms, table);
    } finally {
      server.resume();
      await sink.drop();
    }
  });

  it('ClickHouse killed (kill -9) mid-dump and restarted while the dump retries: every row once', async () => {
    const sink = await freshSink();
    try {
      const run = startAspects(DUMP, cliEnv(lms, sink));
      await logged(run, /user_profile: batch 2,/);
      await server.kill9();
      await logged(run, /attempt 3 failed/);
      await server.restart();
      const result = await run.done;
      assert.equal(result.code, 0, result.stderr);
      assert.equal(jsonSummary(result).status, 'success');
      for (const table of OBJECTS) await assertExactlyOnce(sink, lms, table);
    } finally {
      await sink.drop();
    }
  });

  it('ClickHouse down when the dump starts: the first connection is retried until it is back', async () => {
    const sink = await freshSink();
    try {
      await server.kill9();
      const run = startAspects(DUMP, cliEnv(lms, sink));
      await logged(run, /connect: attempt 2 failed \(.*ECONNREFUSED/);
      await server.restart();
      const result = await run.done;
      assert.equal(result.code, 0, result.stderr);
      for (const table of OBJECTS) await assertExactlyOnce(sink, lms, table);
    } finally {
      await sink.drop();
    }
  });
});
