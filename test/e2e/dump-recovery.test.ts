import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { clickHouseSql, createTestEventSink, type TestEventSink } from '../support/clickhouse.js';
import { runAspects } from '../support/cli.js';
import type { TestLms } from '../support/env.js';
import { assertSameRows, expectedRows } from '../support/expected.js';
import { recordEnrollmentHistory } from '../support/lms-fixture.js';
import { cliEnv, filledLms, jsonSummary, onLmsAndSink, scalar } from '../support/scenario.js';

/** The newest row per key, the way dbt reads the table. */
function latestRows(sink: TestEventSink, table: string, key: string) {
  return sink.rows(`SELECT * FROM ${sink.database}.${table} WHERE (${key}, time_last_dumped) IN `
    + `(SELECT ${key}, max(time_last_dumped) FROM ${sink.database}.${table} GROUP BY ${key})`);
}

describe('incremental dumps write only what changed', () => {
  let lms: TestLms;
  let sink: TestEventSink;
  onLmsAndSink({ users: 200 }, (made) => ({ lms, sink } = made));

  const dump = (...args: string[]) => runAspects(['dump', '--object', 'all', '--sleep-time', '0', '--batch-size', '64', '--json', ...args], cliEnv(lms, sink));
  const written = (summary: ReturnType<typeof jsonSummary>) =>
    Object.fromEntries(summary.objects.map((entry) => [entry.object, [entry.rows_written, entry.rows_unchanged]]));

  it('writes everything once, then nothing while MySQL is unchanged', async () => {
    const first = await dump();
    assert.equal(first.code, 0, first.stderr);
    const second = await dump();
    assert.equal(second.code, 0, second.stderr);
    const counts = written(jsonSummary(second));
    assert.deepEqual(counts.user_profile, [0, 200]);
    assert.equal((counts.external_id as number[])[0], 0);
    assert.equal((counts.course_enrollment as number[])[0], 0);
  });

  it('writes exactly the changed and new rows, and ClickHouse\'s latest rows match MySQL', async () => {
    await lms.db.query("UPDATE auth_userprofile SET name = CONCAT(name, ' (edited)') WHERE id IN (3, 77)");
    await lms.db.query('UPDATE auth_userprofile SET bio = NULL, goals = \'new "goal"\' WHERE id = 150');
    await lms.db.query("UPDATE auth_user SET email = 'changed@example.com' WHERE id = 9");
    await lms.db.query("INSERT INTO auth_user (id, password, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined) VALUES (201, 'x', 0, 'newbie', '', '', 'newbie@example.com', 0, 1, '2024-01-01 00:00:00')");
    await lms.db.query("INSERT INTO auth_userprofile (id, name, meta, courseware, language, location, user_id) VALUES (201, 'New Learner', '', 'course.xml', '', '', 201)");
    await lms.db.query('UPDATE student_courseenrollment SET is_active = 1 - is_active WHERE id = 5');
    await recordEnrollmentHistory(lms.db, '~', '5');
    const result = await dump();
    assert.equal(result.code, 0, result.stderr);
    const counts = written(jsonSummary(result));
    assert.deepEqual(counts.user_profile, [5, 196]);
    const profiles = jsonSummary(result).objects.find((entry) => entry.object === 'user_profile');
    assert.deepEqual(profiles?.decisions, {
      dumped: { 'changed since the last dump': 4, 'not present in ClickHouse': 1 },
      skipped: { 'unchanged since the last dump': 196 },
    });
    assert.equal((counts.external_id as number[])[0], 0);
    assert.equal((counts.course_enrollment as number[])[0], 1);
    assertSameRows(await latestRows(sink, 'user_profile', 'id'), await expectedRows(lms.db, 'user_profile'), 'id');
    assertSameRows(await latestRows(sink, 'course_enrollment', 'id'), await expectedRows(lms.db, 'course_enrollment'), 'id');
  });

  it('--force writes every row again', async () => {
    const result = await dump('--force');
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(written(jsonSummary(result)).user_profile, [201, 0]);
  });
});

describe('failures stop with the exact point to resume from; a row no rule can write stops nothing', () => {
  let lms: TestLms;
  before(async () => { lms = await filledLms({ users: 300 }); });
  after(async () => { await lms.drop(); });

  it('a value no rule can write leaves out its row alone (exit 65, named), everything else lands; once corrected, a plain rerun writes it', async () => {
    const sink = await createTestEventSink();
    try {
      await lms.db.query("UPDATE external_user_ids_externalid SET external_user_id = 'not-a-uuid-at-all-but-32-chars!!' WHERE id = 250");
      const env = cliEnv(lms, sink);
      const first = await runAspects(['dump', '--object', 'external_id', '--batch-size', '100', '--sleep-time', '0', '--json'], env);
      assert.equal(first.code, 65, first.stderr);
      assert.match(first.stderr, /external_id: pk 250 left out, column external_user_id: not a valid UUID.*; no rule writes it \(the plugin's code fails on it too\)/);
      assert.match(first.stderr, /aspects: everything else was written, but 1 of external_id \(first: pk 250, column external_user_id\) left out: no rule can write them .*each run reads them again until they are corrected in the LMS$/m);
      const total = await scalar(lms, 'SELECT COUNT(*) FROM external_user_ids_externalid');
      const summary = jsonSummary(first) as unknown as { status: string; objects: { rows_written: number; rows_left_out: number; left_out: { key: number; column: string }[] }[] };
      assert.equal(summary.status, 'incomplete');
      assert.deepEqual([summary.objects[0]?.rows_written, summary.objects[0]?.rows_left_out, summary.objects[0]?.left_out.map((each) => [each.key, each.column])],
        [total - 1, 1, [[250, 'external_user_id']]]);
      assert.equal(await sink.count('external_id'), total - 1);
      await lms.db.query("UPDATE external_user_ids_externalid SET external_user_id = REPLACE(UUID(), '-', '') WHERE id = 250");
      const rerun = await runAspects(['dump', '--object', 'external_id', '--batch-size', '100', '--sleep-time', '0', '--json'], env);
      assert.equal(rerun.code, 0, rerun.stderr);
      assert.equal(jsonSummary(rerun).objects[0]?.rows_written, 1);
      assertSameRows(await sink.rows(`SELECT * FROM ${sink.database}.external_id`), await expectedRows(lms.db, 'external_id'), 'external_user_id');
    } finally {
      await sink.drop();
    }
  });

  it('a row ClickHouse rejects fails the batch loudly: nothing silently dropped', async () => {
    const sink = await createTestEventSink();
    try {
      // is_active as UInt8 cannot hold the contract's True/False text: the server must refuse.
      await clickHouseSql(sink.url, `ALTER TABLE ${sink.database}.course_enrollment MODIFY COLUMN is_active UInt8`);
      const result = await runAspects(['dump', '--object', 'course_enrollment', '--sleep-time', '0'], cliEnv(lms, sink));
      assert.equal(result.code, 1);
      assert.match(result.stderr, /course_enrollment failed: Code: \d+.*0 of the 443 rows of the failed insert into course_enrollment are in ClickHouse; nothing of course_enrollment was written; the rows do not fit the ClickHouse table as it is: .*; once it is fixed, run the same command again$/m);
      assert.equal(await sink.count('course_enrollment'), 0);
    } finally {
      await sink.drop();
    }
  });

  it('one object failing, or missing its table, leaves every other object of --object all to run; the failure names both', async () => {
    const sink = await createTestEventSink();
    try {
      await clickHouseSql(sink.url, `ALTER TABLE ${sink.database}.course_enrollment MODIFY COLUMN is_active UInt8`);
      await clickHouseSql(sink.url, `RENAME TABLE ${sink.database}.tag TO ${sink.database}.tag_old`);
      const result = await runAspects(['dump', '--object', 'all', '--sleep-time', '0', '--json'], cliEnv(lms, sink));
      assert.equal(result.code, 1, result.stderr);
      const summary = jsonSummary(result);
      assert.equal(summary.status, 'failed');
      assert.deepEqual(Object.fromEntries(summary.objects.map((each) => [each.object, each.status])), {
        course_overviews: 'success', user_profile: 'success', external_id: 'success', course_enrollment: 'failed', taxonomy: 'success', object_tag: 'success',
      });
      assert.deepEqual(summary.skipped.map((each) => each.object), ['tag']);
      assert.match(result.stderr, /^aspects: course_enrollment failed: Code: \d+.*run the same command again; tag not dumped: ClickHouse table \S+\.tag does not exist; create it with aspects schema init$/m);
      assert.equal(await sink.count('user_profile'), await scalar(lms, 'SELECT COUNT(*) FROM auth_userprofile'));
      assert.equal(await sink.count('external_id'), await scalar(lms, 'SELECT COUNT(*) FROM external_user_ids_externalid'));
      assert.equal(await sink.count('course_enrollment'), 0);
    } finally {
      await sink.drop();
    }
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal} finishes the current batch, exits 130 and names the resume point`, async () => {
      const sink = await createTestEventSink();
      try {
        const env = cliEnv(lms, sink);
        let signalled = false;
        const interrupted = await runAspects(['dump', '--object', 'user_profile', '--batch-size', '20', '--sleep-time', '0.3', '--force'], env, (stderr, kill) => {
          if (!signalled && /batch 2,/.test(stderr)) {
            signalled = true;
            kill(signal);
          }
        });
        assert.equal(interrupted.code, 130, interrupted.stderr);
        const match = /interrupted: user_profile is complete up to pk (\d+); resume with the same options and --object user_profile --start-pk \1/.exec(interrupted.stderr);
        assert.ok(match, interrupted.stderr);
        const resumeFrom = Number(match[1]);
        assert.equal(resumeFrom % 20, 0);
        assert.equal(await sink.count('user_profile'), resumeFrom);
        const resumed = await runAspects(['dump', '--object', 'user_profile', '--batch-size', '100', '--sleep-time', '0', '--force', '--start-pk', String(resumeFrom)], env);
        assert.equal(resumed.code, 0, resumed.stderr);
        assertSameRows(await sink.rows(`SELECT * FROM ${sink.database}.user_profile`), await expectedRows(lms.db, 'user_profile'), 'id');
      } finally {
        await sink.drop();
      }
    });
  }
});

describe('MariaDB native uuid columns', () => {
  it('dumps dashed and upper-case stored UUIDs in the dashed lowercase form', async () => {
    const lms = await filledLms({ users: 80, dashedUuids: true }, { uuids: 'native' });
    const sink = await createTestEventSink();
    try {
      const result = await runAspects(['dump', '--object', 'external_id', '--sleep-time', '0'], cliEnv(lms, sink));
      assert.equal(result.code, 0, result.stderr);
      assertSameRows(await sink.rows(`SELECT * FROM ${sink.database}.external_id`), await expectedRows(lms.db, 'external_id'), 'external_user_id');
    } finally {
      await sink.drop();
      await lms.drop();
    }
  });
});
