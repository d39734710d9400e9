import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { clickHouseSql, createTestEventSink, type TestEventSink } from '../support/clickhouse.js';
import { runAspects } from '../support/cli.js';
import { courseKey, fillCourses } from '../support/course-fixture.js';
import type { TestLms } from '../support/env.js';
import { assertSameRows, expectedRows } from '../support/expected.js';
import { startFaultProxy } from '../support/fault-proxy.js';
import { cliEnv, jsonSummary, lmsWith } from '../support/scenario.js';
import { fillTags } from '../support/tag-fixture.js';

function courseLms(courses: number): Promise<TestLms> {
  return lmsWith(async (db) => {
    const keys = await fillCourses(db, courses);
    await fillTags(db, 'newest', [...keys, `block-v1:${keys[0]?.slice(10)}+type@html+block@x`]);
  });
}

/** The newest row per course, the way dbt reads course_overviews. */
function latestCourses(sink: TestEventSink) {
  return sink.rows(`SELECT * FROM ${sink.database}.course_overviews WHERE (course_key, time_last_dumped) IN `
    + `(SELECT course_key, max(time_last_dumped) FROM ${sink.database}.course_overviews GROUP BY course_key)`);
}

const NOT_PRESENT = 'Course is not present in ClickHouse';
const PUBLISHED = 'Course has been published since last dump time';
const NOT_PUBLISHED = 'Course has NOT been published since last dump time';

describe('course_overviews: incremental by last publish', () => {
  let lms: TestLms;
  let sink: TestEventSink;
  before(async () => {
    lms = await courseLms(50);
    sink = await createTestEventSink();
  });
  after(async () => {
    await sink.drop();
    await lms.drop();
  });

  const dump = (...args: string[]) =>
    runAspects(['dump', '--object', 'course_overviews', '--sleep-time', '0', '--batch-size', '20', '--json', ...args], cliEnv(lms, sink));
  const decisions = (result: Awaited<ReturnType<typeof dump>>) => jsonSummary(result).objects[0]?.decisions;

  it('dumps every course the first time, field for field, course_data_json and tags included', async () => {
    const result = await dump();
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(decisions(result), { dumped: { [NOT_PRESENT]: 50 }, skipped: {} });
    assertSameRows(await sink.rows(`SELECT * FROM ${sink.database}.course_overviews`), await expectedRows(lms.db, 'course_overviews'), 'course_key');
  });

  it('a second run dumps nothing', async () => {
    const result = await dump();
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(decisions(result), { dumped: {}, skipped: { [NOT_PUBLISHED]: 50 } });
    assert.equal(await sink.count('course_overviews'), 50);
  });

  it('re-dumps exactly the 3 courses whose modified moved (one to a whole second), and a new course', async () => {
    const touched = [courseKey(3), courseKey(14), courseKey(29)];
    // A publish after the first dump: wait a second so a whole-second `modified` is later too.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await lms.db.query("UPDATE course_overviews_courseoverview SET modified = UTC_TIMESTAMP(6), display_name = CONCAT('Renamed ', id) WHERE id IN (?, ?)", touched.slice(0, 2));
    await lms.db.query("UPDATE course_overviews_courseoverview SET modified = DATE_FORMAT(UTC_TIMESTAMP(), '%Y-%m-%d %H:%i:%s') WHERE id = ?", [touched[2]]);
    await lms.db.query("CREATE TEMPORARY TABLE new_course SELECT * FROM course_overviews_courseoverview WHERE id = ?", [courseKey(1)]);
    await lms.db.query("UPDATE new_course SET id = 'course-v1:NewOrg+Never+Dumped', org = 'NewOrg'");
    await lms.db.query('INSERT INTO course_overviews_courseoverview SELECT * FROM new_course');
    const result = await dump('--verbose');
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(decisions(result), { dumped: { [PUBLISHED]: 3, [NOT_PRESENT]: 1 }, skipped: { [NOT_PUBLISHED]: 47 } });
    for (const key of touched) assert.match(result.stderr, new RegExp(`course_overviews ${key.replace(/[+.]/g, '\\$&')}: dump - ${PUBLISHED} - last dumped .* < last published `));
    assert.equal(await sink.count('course_overviews'), 54);
    assertSameRows(await latestCourses(sink), await expectedRows(lms.db, 'course_overviews'), 'course_key');
  });

  it('reads stored dump times with or without fraction and offset, and re-dumps an unreadable one', async () => {
    const insert = (key: string, time: string) => clickHouseSql(sink.url,
      `INSERT INTO ${sink.database}.course_overviews (org, course_key, modified, dump_id, time_last_dumped) VALUES ('x', '${key}', '', '4f1c2a9e-8a53-4c2e-9d1b-2f7b6c1e0a11', '${time}')`);
    await insert(courseKey(5), '2999-01-01 00:00:00');
    await insert(courseKey(6), '2999-01-01T00:00:00Z');
    await lms.db.query("UPDATE course_overviews_courseoverview SET modified = '2998-12-31 23:59:59' WHERE id IN (?, ?)", [courseKey(5), courseKey(6)]);
    await clickHouseSql(sink.url, `ALTER TABLE ${sink.database}.course_overviews DELETE WHERE course_key = '${courseKey(8)}'`);
    await new Promise((resolve) => setTimeout(resolve, 500));
    await insert(courseKey(8), 'not a time');
    const result = await dump('--dry-run', '--verbose');
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(decisions(result), {
      dumped: { 'Last dump time in ClickHouse is unreadable': 1 }, skipped: { [NOT_PUBLISHED]: 50 },
    });
    assert.match(result.stderr, /: skip - Course has NOT been published since last dump time - last dumped 2999-01-01T00:00:00Z >= last published 2998-12-31 23:59:59\+00:00/);
  });
});

describe('course_overviews filters', () => {
  let lms: TestLms;
  before(async () => { lms = await courseLms(40); });
  after(async () => { await lms.drop(); });

  async function dumpWith(args: string[]) {
    const sink = await createTestEventSink();
    const result = await runAspects(['dump', '--object', 'course_overviews', '--sleep-time', '0', ...args], cliEnv(lms, sink));
    const rows = await sink.rows(`SELECT * FROM ${sink.database}.course_overviews`);
    await sink.drop();
    return { result, rows };
  }

  it('--org keeps only those organisations (repeatable)', async () => {
    const { result, rows } = await dumpWith(['--org', 'edX', '--org', 'Org_é']);
    assert.equal(result.code, 0, result.stderr);
    assertSameRows(rows, await expectedRows(lms.db, 'course_overviews', "c.org IN ('edX', 'Org_é')"), 'course_key');
  });

  it('--published-since keeps courses modified at or after the date', async () => {
    const { result, rows } = await dumpWith(['--published-since', '2019-06-01T12:00:00+02:00']);
    assert.equal(result.code, 0, result.stderr);
    const expected = await expectedRows(lms.db, 'course_overviews', "c.modified >= '2019-06-01 10:00:00'");
    assert.ok(expected.length > 0 && expected.length < 40);
    assertSameRows(rows, expected, 'course_key');
  });

  it('--course-keys selects exact courses and --start-pk resumes after a course key', async () => {
    const keys = [courseKey(2), courseKey(7), courseKey(33)];
    const byKeys = await dumpWith(['--course-keys', ...keys]);
    assert.equal(byKeys.result.code, 0, byKeys.result.stderr);
    assert.deepEqual(byKeys.rows.map((row) => row.course_key).sort(), [...keys].sort());
    const after = await dumpWith(['--start-pk', courseKey(33)]);
    const [[{ n }]] = await lms.db.query('SELECT COUNT(*) AS n FROM course_overviews_courseoverview WHERE id > ?', [courseKey(33)]) as unknown as [[{ n: number }]];
    assert.equal(after.rows.length, Number(n));
  });

  it('a filter an object cannot apply is a usage error', async () => {
    const { result } = await dumpWith(['--object', 'course_enrollment', '--org', 'edX']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--org applies to course_overviews only; course_enrollment cannot be filtered by it/);
  });
});

describe('an incremental run over unchanged courses', () => {
  it('makes the same small number of ClickHouse requests for 100 and for 500 courses', async () => {
    const lms = await courseLms(500);
    const sink = await createTestEventSink();
    try {
      const env = cliEnv(lms, sink);
      assert.equal((await runAspects(['dump', '--object', 'course_overviews', '--sleep-time', '0'], env)).code, 0);
      const requestsFor = async (args: string[]): Promise<number> => {
        let requests = 0;
        const proxy = await startFaultProxy(Number(new URL(sink.url).port), (chunk) => {
          requests += (chunk.toString('latin1').match(/^(GET|POST) \//gm) ?? []).length;
          return undefined;
        });
        try {
          const result = await runAspects(['dump', '--object', 'course_overviews', '--sleep-time', '0', '--json', ...args],
            { ...env, ASPECTS_CLICKHOUSE_URL: `http://127.0.0.1:${proxy.port}` });
          assert.equal(result.code, 0, result.stderr);
          assert.equal(jsonSummary(result).objects[0]?.rows_written, 0);
          return requests;
        } finally {
          await proxy.close();
        }
      };
      const few = await requestsFor(['--course-keys', ...Array.from({ length: 100 }, (_, i) => courseKey(i + 1))]);
      const all = await requestsFor([]);
      assert.equal(all, few);
      // The pre-check, the staging-table look-up (earlier runs' leftovers), the clock and newest
      // stamps, the stored dump times: none of them grows with the courses.
      assert.ok(all <= 5, `${all} requests`);
    } finally {
      await sink.drop();
      await lms.drop();
    }
  });
});
