import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestEventSink, type TestEventSink } from '../support/clickhouse.js';
import { runAspects } from '../support/cli.js';
import type { TestLms } from '../support/env.js';
import { fillCourses } from '../support/course-fixture.js';
import { cliEnv, filledLms, jsonSummary, scalar } from '../support/scenario.js';
import { copies } from '../faults/support.js';

// An LMS of another Open edX release (or the wrong database) lacks tables or columns an object
// reads: that object is left out before anything is read, named with the table and what makes it,
// and every other object still lands (exit 2 once they are done).

describe('dump --object all on an LMS that lacks some tables or columns', () => {
  let lms: TestLms;
  let sink: TestEventSink;
  before(async () => {
    lms = await filledLms({ users: 40, seed: 31 });
    await fillCourses(lms.db, 2);
  });
  after(async () => { await lms.drop(); });

  const run = async (): Promise<{ code: number | null; stderr: string; summary: ReturnType<typeof jsonSummary> }> => {
    sink = await createTestEventSink();
    const result = await runAspects(['dump', '--object', 'all', '--sleep-time', '0', '--json'], cliEnv(lms, sink));
    return { code: result.code, stderr: result.stderr, summary: jsonSummary(result) };
  };

  it('no tagging tables (before Quince): tag, taxonomy, object_tag and course_overviews are named and left out, the rest lands once', async () => {
    for (const table of ['oel_tagging_objecttag', 'oel_tagging_tag', 'oel_tagging_taxonomy']) await lms.db.query(`DROP TABLE IF EXISTS ${table}`);
    try {
      const { code, stderr, summary } = await run();
      assert.equal(code, 2, stderr);
      const last = stderr.trim().split('\n').pop() ?? '';
      assert.match(last, /^aspects: course_overviews not dumped: the LMS database has no table oel_tagging_\w+ \(made by openedx-learning's tagging app \(Open edX Quince and later\)\): is this the LMS database, and of which Open edX release\?; /);
      for (const object of ['taxonomy', 'tag', 'object_tag']) assert.match(last, new RegExp(`; ${object} not dumped: the LMS database has no table oel_tagging_`));
      assert.equal(summary.status, 'failed');
      assert.deepEqual(summary.skipped.map((each) => each.object).sort(), ['course_overviews', 'object_tag', 'tag', 'taxonomy']);
      assert.deepEqual(summary.objects.map((each) => [each.object, each.status]), [['user_profile', 'success'], ['external_id', 'success'], ['course_enrollment', 'success']]);
      for (const [table, source] of [['user_profile', 'auth_userprofile'], ['external_id', 'external_user_ids_externalid'], ['course_enrollment', 'student_courseenrollment']] as const) {
        const rows = await scalar(lms, `SELECT COUNT(*) FROM ${source}`);
        assert.deepEqual(await copies(sink, table), { rows, keys: rows }, table);
      }
    } finally {
      await sink.drop();
    }
  });

  it('a column gone (course_enrollment without mode): that object is named with the column, the others land', async () => {
    await lms.db.query('ALTER TABLE student_courseenrollment DROP COLUMN mode');
    try {
      const { code, stderr, summary } = await run();
      assert.equal(code, 2, stderr);
      assert.match(stderr, /skipping course_enrollment: the LMS table student_courseenrollment has no column mode \(an Open edX release this tool does not know\?\)/);
      assert.ok(summary.objects.some((each) => each.object === 'user_profile' && each.status === 'success'));
      assert.ok(!summary.objects.some((each) => each.object === 'course_enrollment'));
      assert.equal(await sink.count('course_enrollment'), 0);
    } finally {
      await sink.drop();
    }
  });
});
