import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestEventSink, type TestEventSink } from '../support/clickhouse.js';
import { runAspects, startAspects, type CliResult, type RunningAspects } from '../support/cli.js';
import type { TestLms } from '../support/env.js';
import { requestMentions, startHttpFaultProxy, type HttpDecide, type HttpFaultProxy, type HoldRequest } from '../support/fault-proxy.js';
import { cliEnv, filledLms, jsonSummary, scalar } from '../support/scenario.js';
import { assertExactlyOnce, copies, logged, until } from './support.js';

// A run that dies or gives up while the network still holds its request: whatever those bytes do
// when the network heals (minutes later, after the next run or retire), nothing of them lands.
// The "network" is a loopback proxy that holds one request's bytes after its head (or after the
// first `pass` bytes) until the test heals it, then delivers them and closes the flow with a FIN, as the
// kernel does with a dead process's socket queue. A rerun waits for the dead run's MySQL lock
// (--wait-lock): MariaDB frees it once it notices the connection is gone.

const STAGING_INSERT = /query_id=aspects-[0-9a-f-]+-s\d+/;
const PUBLISH = /query_id=aspects-[0-9a-f-]+-p\d+/;
/** Bytes of an insert to let through so that ClickHouse runs it (more than its 1 MiB read buffer; 8000 profiles are about 2 MB). */
const RUNNING = 1_300_000;

/** A gate the test opens to heal the network. */
function gate(): { until: Promise<void>; open(): void } {
  let open = (): void => undefined;
  const until = new Promise<void>((resolve) => { open = resolve; });
  return { until, open };
}

/** Holds the `nth` request that mentions `marker`, and only that one. */
function holdNth(marker: RegExp, nth: number, fault: HoldRequest): HttpDecide {
  let seen = 0;
  return (start) => (requestMentions(start, marker) && ++seen === nth ? fault : undefined);
}

/** Resolves once ClickHouse answered the held request after its client was gone (within a minute). */
async function lateAnswer(proxy: HttpFaultProxy): Promise<string> {
  const deadline = Date.now() + 60_000;
  while (proxy.lateAnswers.length === 0) {
    if (Date.now() > deadline) throw new Error('the held request got no answer within 60 s of the heal');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return proxy.lateAnswers[0] as string;
}

/** A Kubernetes stop: SIGTERM, and SIGKILL once the run has said it stops (the grace ran out on a stalled write). */
async function kubernetesStop(run: RunningAspects): Promise<CliResult> {
  run.kill('SIGTERM');
  await logged(run, /SIGTERM received; stopping after the current batch/);
  run.kill('SIGKILL');
  return run.done;
}

describe('no late landing: a dead or abandoned run\'s held request never lands', () => {
  let lms: TestLms;
  let big: TestLms;
  let sink: TestEventSink;
  before(async () => {
    lms = await filledLms({ users: 3000, seed: 61 });
    big = await filledLms({ users: 8000, seed: 62 });
  });
  after(async () => {
    await lms.drop();
    await big.drop();
  });

  async function throughProxy(decide: HttpDecide): Promise<HttpFaultProxy> {
    sink = await createTestEventSink();
    return startHttpFaultProxy(Number(new URL(sink.url).port), decide);
  }

  it('stalled flow + SIGTERM + SIGKILL + an immediate rerun + the heal: every enrollment once', async () => {
    const heal = gate();
    const proxy = await throughProxy(holdNth(STAGING_INSERT, 3, { mode: 'hold-request', until: heal.until }));
    try {
      const args = ['dump', '--object', 'course_enrollment', '--batch-size', '500', '--insert-rows', '500', '--sleep-time', '0'];
      const run = startAspects(args, cliEnv(lms, sink, { ASPECTS_CLICKHOUSE_URL: `http://127.0.0.1:${proxy.port}` }));
      await until(() => proxy.played['hold-request'] === 1, run);
      assert.equal((await kubernetesStop(run)).code, null, 'killed by SIGKILL');
      const rerun = await runAspects([...args, '--wait-lock', '60'], cliEnv(lms, sink));
      assert.equal(rerun.code, 0, rerun.stderr);
      assert.match(rerun.stderr, /course_enrollment: dropped 1 staging table of an earlier run, so nothing of it can land any more/);
      heal.open();
      assert.match(await lateAnswer(proxy), /Code: 60.*doesn't exist/s, 'the held insert found its staging table gone');
      await assertExactlyOnce(sink, lms, 'course_enrollment');
    } finally {
      await proxy.close();
      await sink.drop();
    }
  });

  it('the same with user_profile, the insert already running on the server, and retire before the heal: no retired learner comes back', async () => {
    const heal = gate();
    // ClickHouse 18.16 starts an INSERT (and a DROP of its table then waits for it) once it has read a buffer (1 MiB) of its body.
    const proxy = await throughProxy(holdNth(STAGING_INSERT, 1, { mode: 'hold-request', until: heal.until, pass: RUNNING }));
    const lms = big;
    try {
      const args = ['dump', '--object', 'user_profile', '--batch-size', '2000', '--insert-rows', '8000', '--sleep-time', '0'];
      const run = startAspects(args, cliEnv(lms, sink, { ASPECTS_CLICKHOUSE_URL: `http://127.0.0.1:${proxy.port}` }));
      await until(() => proxy.played['hold-request'] === 1, run);
      assert.equal((await kubernetesStop(run)).code, null);
      const rerun = await runAspects([...args, '--wait-lock', '60'], cliEnv(lms, sink));
      assert.equal(rerun.code, 0, rerun.stderr);
      assert.match(rerun.stderr, /user_profile: an earlier run's insert is still running into its staging table \(query aspects-[0-9a-f-]+-s1\); it can never reach user_profile/);
      const retired = await runAspects(['retire', '--user-ids', ...Array.from({ length: 30 }, (_, i) => String(31 + i)), '--json'], cliEnv(lms, sink));
      assert.equal(retired.code, 0, retired.stderr);
      heal.open();
      await lateAnswer(proxy);
      const [back] = await sink.rows(`SELECT count() AS n FROM ${sink.database}.user_profile WHERE user_id BETWEEN 31 AND 60`);
      assert.equal(Number(back?.n), 0, 'rows of retired learners came back');
      const expected = await scalar(lms, 'SELECT COUNT(*) FROM auth_userprofile WHERE user_id NOT BETWEEN 31 AND 60');
      assert.deepEqual(await copies(sink, 'user_profile'), { rows: expected, keys: expected });
      const again = await runAspects(['retire', '--user-ids', '31', '--json'], cliEnv(lms, sink));
      assert.equal(again.code, 0, again.stderr);
      assert.equal(JSON.parse(again.stdout).staging_tables_dropped, 1, 'the next retire drops the staging copy once its insert ended');
    } finally {
      await proxy.close();
      await sink.drop();
    }
  });

  it('a publish held by the network, then kill -9 and a rerun: the late publish finds nothing to publish', async () => {
    const heal = gate();
    const proxy = await throughProxy(holdNth(PUBLISH, 2, { mode: 'hold-request', until: heal.until }));
    try {
      const args = ['dump', '--object', 'external_id', '--batch-size', '500', '--insert-rows', '500', '--sleep-time', '0'];
      const run = startAspects(args, cliEnv(lms, sink, { ASPECTS_CLICKHOUSE_URL: `http://127.0.0.1:${proxy.port}` }));
      await until(() => proxy.played['hold-request'] === 1, run);
      run.kill('SIGKILL');
      assert.equal((await run.done).code, null);
      const rerun = await runAspects([...args, '--wait-lock', '60'], cliEnv(lms, sink));
      assert.equal(rerun.code, 0, rerun.stderr);
      assert.match(rerun.stderr, /external_id: dropped 1 staging table of an earlier run/);
      heal.open();
      assert.match(await lateAnswer(proxy), /Code: 60.*doesn't exist/s);
      await assertExactlyOnce(sink, lms, 'external_id');
    } finally {
      await proxy.close();
      await sink.drop();
    }
  });

  it('a half-open flow under a live run: the insert times out, is sent again, and its held bytes never land', async () => {
    const heal = gate();
    const proxy = await throughProxy(holdNth(STAGING_INSERT, 1, { mode: 'hold-request', until: heal.until, pass: RUNNING }));
    const lms = big;
    try {
      const args = ['dump', '--object', 'user_profile', '--batch-size', '2000', '--insert-rows', '8000', '--sleep-time', '0', '--json'];
      const result = await runAspects(args, cliEnv(lms, sink, { ASPECTS_CLICKHOUSE_URL: `http://127.0.0.1:${proxy.port}`, ASPECTS_CLICKHOUSE_TIMEOUT: '15' }));
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, /attempt 1 of an insert into user_profile still runs into staging table _aspects_staging_user_profile_[0-9a-f]{32}_1 \(query aspects-[0-9a-f-]+-s1\); it is never published/);
      assert.equal(jsonSummary(result).status, 'success');
      heal.open();
      await lateAnswer(proxy);
      await assertExactlyOnce(sink, lms, 'user_profile');
    } finally {
      await proxy.close();
      await sink.drop();
    }
  });
});
