import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { asWritten, onChdb, openChdbSession } from '../support/chdb.js';
import { runAspects } from '../support/cli.js';
import { courseKey, fillCourses, fillOutlines, outlineSpec } from '../support/course-fixture.js';
import type { TestLms } from '../support/env.js';
import { assertSameRows, expectedRows, TARGET_KEY } from '../support/expected.js';
import { filledLms, jsonSummary } from '../support/scenario.js';
import { fillTags } from '../support/tag-fixture.js';

const OBJECTS = ['course_overviews', 'user_profile', 'external_id', 'course_enrollment', 'taxonomy', 'tag', 'object_tag'];

// The dump suite's central checks, on the embedded destination (chdb:PATH) with the exact Aspects DDL.
describe('aspects dump into the embedded modern ClickHouse (chdb:PATH)', () => {
  let lms: TestLms;
  let folder: string;
  before(async () => {
    lms = await filledLms({ users: 300 });
    const courses = await fillCourses(lms.db, 25);
    await fillOutlines(lms.db, [1, 2, 3].map(outlineSpec));
    await fillTags(lms.db, 'newest', courses);
    folder = mkdtempSync(join(tmpdir(), 'aspects-embedded-'));
  });
  after(async () => {
    rmSync(folder, { recursive: true, force: true });
    await lms.drop();
  });
  const aspects = (...args: string[]) =>
    runAspects(args, { ASPECTS_MYSQL_URL: lms.url, ASPECTS_CLICKHOUSE_URL: `chdb:${folder}`, ASPECTS_ENABLE_PII: 'true' });
  async function stored(table: string): Promise<Record<string, unknown>[]> {
    return onChdb(folder, (query) => query(`SELECT * FROM event_sink.${table}`).map(asWritten));
  }

  it('writes every object field for field, with course_blocks', async () => {
    assert.equal((await aspects('schema', 'init')).code, 0);
    const result = await aspects('dump', '--object', 'all', '--sleep-time', '0', '--batch-size', '128', '--json');
    assert.equal(result.code, 0, result.stderr);
    for (const object of OBJECTS) assertSameRows(await stored(object), await expectedRows(lms.db, object), TARGET_KEY[object] as string);
    assert.equal((await stored('course_blocks')).length, [1, 2, 3].map(outlineSpec).reduce((sum, spec) =>
      sum + 1 + spec.chapters.reduce((inner, chapter) => inner + 1 + chapter.sequentials.length, 0), 0));
    assert.deepEqual(jsonSummary(result).objects.map((each) => each.status), OBJECTS.map(() => 'success'));
  });

  it('is incremental there too: a second run writes nothing, a republished course only itself', async () => {
    const again = await aspects('dump', '--object', 'all', '--sleep-time', '0', '--json');
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(jsonSummary(again).objects.map((each) => each.rows_written), OBJECTS.map(() => 0));
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await lms.db.query('UPDATE course_overviews_courseoverview SET modified = UTC_TIMESTAMP(6) WHERE id = ?', [courseKey(2)]);
    const republished = await aspects('dump', '--object', 'course_overviews', '--sleep-time', '0', '--json');
    const [courses] = jsonSummary(republished).objects;
    assert.equal(courses?.rows_written, 1);
    assert.deepEqual(courses?.child_rows_written, { course_blocks: 1 + outlineSpec(2).chapters.reduce((sum, chapter) => sum + 1 + chapter.sequentials.length, 0) });
  });

  it('--limit and --ids select exactly there too', async () => {
    const fresh = mkdtempSync(join(tmpdir(), 'aspects-embedded-limit-'));
    try {
      const env = { ASPECTS_MYSQL_URL: lms.url, ASPECTS_CLICKHOUSE_URL: `chdb:${fresh}`, ASPECTS_ENABLE_PII: 'true' };
      assert.equal((await runAspects(['schema', 'init'], env)).code, 0);
      assert.equal((await runAspects(['dump', '--object', 'user_profile', '--limit', '150', '--batch-size', '100', '--sleep-time', '0'], env)).code, 0);
      assert.equal((await runAspects(['dump', '--object', 'course_enrollment', '--ids', '7', '8', '9', '--sleep-time', '0'], env)).code, 0);
      const session = await openChdbSession(fresh);
      try {
        assert.equal(session.query('SELECT count(), min(id), max(id) FROM event_sink.user_profile', 'CSV').trim(), '150,1,150');
        assert.equal(session.query('SELECT groupArray(id) FROM (SELECT id FROM event_sink.course_enrollment ORDER BY id)', 'CSV').trim(), '"[7,8,9]"');
      } finally {
        session.close();
      }
    } finally {
      rmSync(fresh, { recursive: true, force: true });
    }
  });
});

// --object all runs every object it can there too: an LMS without the tagging tables, a
// ClickHouse table that refuses the rows, and a ClickHouse table dropped.
describe('one object that cannot be dumped stops no other, on the embedded engine', () => {
  let lms: TestLms;
  let folder: string;
  before(async () => {
    lms = await filledLms({ users: 30, seed: 5 });
    for (const table of ['oel_tagging_objecttag', 'oel_tagging_tag', 'oel_tagging_taxonomy']) await lms.db.query(`DROP TABLE ${table}`);
    folder = mkdtempSync(join(tmpdir(), 'aspects-embedded-each-'));
  });
  after(async () => {
    rmSync(folder, { recursive: true, force: true });
    await lms.drop();
  });

  it('names each failure in the last line; every other object lands whole', async () => {
    const env = { ASPECTS_MYSQL_URL: lms.url, ASPECTS_CLICKHOUSE_URL: `chdb:${folder}`, ASPECTS_ENABLE_PII: 'true' };
    assert.equal((await runAspects(['schema', 'init'], env)).code, 0);
    await onChdb(folder, (query) => {
      query('ALTER TABLE event_sink.course_enrollment MODIFY COLUMN mode UInt8');
      query('DROP TABLE event_sink.external_id');
    });
    const result = await runAspects(['dump', '--object', 'all', '--sleep-time', '0', '--json'], env);
    assert.equal(result.code, 1, result.stderr);
    const last = result.stderr.trim().split('\n').pop() ?? '';
    assert.match(last, /^aspects: course_enrollment failed: .*; external_id not dumped: ClickHouse table event_sink\.external_id does not exist; create it with aspects schema init; course_overviews not dumped: the LMS database has no table oel_tagging_/);
    const summary = jsonSummary(result);
    assert.deepEqual(summary.objects.map((each) => [each.object, each.status]), [['user_profile', 'success'], ['course_enrollment', 'failed']]);
    assert.deepEqual(summary.skipped.map((each) => each.object).sort(), ['course_overviews', 'external_id', 'object_tag', 'tag', 'taxonomy']);
    await onChdb(folder, (query) => {
      assert.deepEqual(query('SELECT count() AS n, uniqExact(id) AS keys FROM event_sink.user_profile').map((row) => [Number(row.n), Number(row.keys)]), [[30, 30]]);
      assert.deepEqual(query('SELECT count() AS n FROM event_sink.course_enrollment').map((row) => Number(row.n)), [0]);
    });
  });
});
