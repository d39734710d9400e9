import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { clickHouseSql, createTestEventSink, type TestEventSink } from '../support/clickhouse.js';
import { eventSinkTables } from '../support/clickhouse-schema.js';
import { oneErrorLine, runAspects, startAspects } from '../support/cli.js';
import type { TestLms } from '../support/env.js';
import { mountTmpfs, startControlledClickHouse, type ControlledClickHouse, type MountedTmpfs } from '../support/fault-server.js';
import { everyNthRequest, startHttpFaultProxy } from '../support/fault-proxy.js';
import { cliEnv, filledLms, jsonSummary } from '../support/scenario.js';
import { assertExactlyOnce, copies, logged, until } from './support.js';

/** The options a failure message advises to go on with: --start-pk (if any), and whether to leave out --force. */
function advice(stderr: string): { resume: string[]; withoutForce: boolean } {
  const match = /(?:resume with the same options and --object \S+ --start-pk (\d+)|run the same command again)(, but without --force)?/.exec(stderr);
  assert.ok(match, `no advice in:\n${stderr}`);
  return { resume: match[1] === undefined ? [] : ['--start-pk', match[1]], withoutForce: match[2] !== undefined };
}

// The target itself fails: its disk fills up, its user may only read, its table goes away.
describe('honest outcomes when the ClickHouse target fails', () => {
  let lms: TestLms;
  before(async () => { lms = await filledLms({ users: 3000, seed: 31 }); });
  after(async () => { await lms.drop(); });

  it('a full disk mid-insert: the message and the summary say how many rows landed; the advised resume completes the table once', async () => {
    const disk: MountedTmpfs = mountTmpfs(3);
    let server: ControlledClickHouse | undefined;
    try {
      server = await startControlledClickHouse({ dataPath: disk.path });
      const sink = await createTestEventSink(server.url);
      const env = cliEnv(lms, sink);
      const failed = await runAspects(['dump', '--object', 'user_profile', '--batch-size', '1000', '--sleep-time', '0', '--force', '--json'], env);
      assert.equal(failed.code, 1, failed.stderr);
      const line = failed.stderr.trim().split('\n').pop() as string;
      assert.match(line, /user_profile failed: .*No space left on device.*(\d+) of the \d+ rows of the failed insert into user_profile are in ClickHouse/);
      const [object] = jsonSummary(failed).objects;
      const stored = (await copies(sink, 'user_profile')).rows;
      assert.equal(object?.rows_written, stored, 'rows_written is what ClickHouse holds');
      const batch = object?.failed_batch as { rows_in_clickhouse: number; insert: { rows_in_clickhouse: number } };
      assert.equal(line.includes(` ${batch.insert.rows_in_clickhouse} of the `), true);
      const { resume, withoutForce } = advice(line);
      assert.equal(withoutForce, batch.rows_in_clickhouse > 0);
      spawnSync('mount', ['-o', 'remount,size=256m', disk.path]);
      const resumed = await runAspects(['dump', '--object', 'user_profile', '--batch-size', '1000', '--sleep-time', '0', ...resume,
        ...(withoutForce ? [] : ['--force'])], env);
      assert.equal(resumed.code, 0, resumed.stderr);
      await assertExactlyOnce(sink, lms, 'user_profile');
    } finally {
      await server?.stop();
      disk.unmount();
    }
  });

  it('a read-only ClickHouse user: exit 1 before anything is read, one line', async () => {
    const server = await startControlledClickHouse({ readonlyUser: true });
    try {
      const sink = await createTestEventSink(server.url);
      const result = await runAspects(['dump', '--object', 'course_enrollment'], cliEnv(lms, sink, { ASPECTS_CLICKHOUSE_URL: server.readonlyUrl as string }));
      assert.equal(result.code, 1);
      assert.match(oneErrorLine(result), /^aspects: the ClickHouse user may only read \(readonly = 1\); dump needs a user that may insert into aspects_sink_/);
      assert.equal((await copies(sink, 'course_enrollment')).rows, 0);
    } finally {
      await server.stop();
    }
  });

  it('the table dropped mid-run: the advice is a plain re-run after schema init, which lands every row once', async () => {
    const sink: TestEventSink = await createTestEventSink();
    try {
      const env = cliEnv(lms, sink);
      // An insert per page: ClickHouse would make the DROP wait for an insert under way.
      const run = startAspects(['dump', '--object', 'course_enrollment', '--batch-size', '300', '--insert-rows', '300', '--sleep-time', '0.3'], env);
      await logged(run, /course_enrollment: batch 2,/);
      await clickHouseSql(sink.url, `DROP TABLE ${sink.database}.course_enrollment`);
      const failed = await run.done;
      assert.equal(failed.code, 1, failed.stderr);
      assert.match(failed.stderr, /the ClickHouse table of course_enrollment was dropped during the run: create it with aspects schema init if it is missing, then run the same command again without --start-pk/);
      assert.doesNotMatch(failed.stderr, /--start-pk \d/);
      const ddl = eventSinkTables(sink.database).find((statement) => statement.includes('.course_enrollment ('));
      await clickHouseSql(sink.url, ddl as string);
      const rerun = await runAspects(['dump', '--object', 'course_enrollment', '--sleep-time', '0'], env);
      assert.equal(rerun.code, 0, rerun.stderr);
      await assertExactlyOnce(sink, lms, 'course_enrollment');
    } finally {
      await sink.drop();
    }
  });

  it('the table dropped and created again between batches: the run says so (exit 1) and a plain re-run lands every row once', async () => {
    const sink: TestEventSink = await createTestEventSink();
    try {
      const env = cliEnv(lms, sink);
      // An insert per page: ClickHouse would make the DROP wait for an insert under way.
      const run = startAspects(['dump', '--object', 'course_enrollment', '--batch-size', '300', '--insert-rows', '300', '--sleep-time', '0.3'], env);
      await logged(run, /course_enrollment: batch 2,/);
      const ddl = eventSinkTables(sink.database).find((statement) => statement.includes('.course_enrollment (')) as string;
      await clickHouseSql(sink.url, `DROP TABLE ${sink.database}.course_enrollment`);
      await clickHouseSql(sink.url, ddl);
      const failed = await run.done;
      assert.equal(failed.code, 1, failed.stderr);
      assert.match(failed.stderr, /the ClickHouse table of course_enrollment was dropped during the run: create it with aspects schema init if it is missing, then run the same command again without --start-pk/);
      const rerun = await runAspects(['dump', '--object', 'course_enrollment', '--sleep-time', '0'], env);
      assert.equal(rerun.code, 0, rerun.stderr);
      await assertExactlyOnce(sink, lms, 'course_enrollment');
    } finally {
      await sink.drop();
    }
  });

  it('a second SIGINT while an insert hangs: exit 130 at once with the resume point and the JSON summary', async () => {
    const sink = await createTestEventSink();
    const hang = { mode: 'delay-response', ms: 600_000 } as const;
    const proxy = await startHttpFaultProxy(Number(new URL(sink.url).port), everyNthRequest(/INSERT INTO/, 3, hang));
    try {
      const env = cliEnv(lms, sink, { ASPECTS_CLICKHOUSE_URL: `http://127.0.0.1:${proxy.port}` });
      const run = startAspects(['dump', '--object', 'course_enrollment', '--batch-size', '300', '--insert-rows', '300', '--sleep-time', '0', '--json'], env);
      await until(() => proxy.played['delay-response'] === 1, run);
      run.kill('SIGINT');
      await logged(run, /SIGINT received; stopping after the current batch/);
      run.kill('SIGINT');
      const result = await run.done;
      assert.equal(result.code, 130, result.stderr);
      const summary = jsonSummary(result);
      assert.equal(summary.status, 'interrupted');
      const [object] = summary.objects;
      assert.equal(object?.status, 'interrupted');
      // The abandoned insert is checked quickly (staged: its staging insert and its publish both are INSERTs, so the third hangs earlier).
      const line = result.stderr.trim().split('\n').pop() as string;
      assert.match(line, /^aspects: interrupted(?: during a write: [^;]*;|:) course_enrollment is complete up to pk (300|600|900); resume with the same options and --object course_enrollment --start-pk \1$/);
      const { resume } = advice(line);
      assert.equal(Number(resume[1]), object?.last_pk);
      assert.equal((await copies(sink, 'course_enrollment')).rows, object?.rows_written);
      const resumed = await runAspects(['dump', '--object', 'course_enrollment', '--sleep-time', '0', ...resume], cliEnv(lms, sink));
      assert.equal(resumed.code, 0, resumed.stderr);
      await assertExactlyOnce(sink, lms, 'course_enrollment');
    } finally {
      await proxy.close();
      await sink.drop();
    }
  });
});
