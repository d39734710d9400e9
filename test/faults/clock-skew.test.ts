import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { clickHouseSql, createTestEventSink, type TestEventSink } from '../support/clickhouse.js';
import { runAspects, type CliResult } from '../support/cli.js';
import { courseKey, fillCourses } from '../support/course-fixture.js';
import type { TestLms } from '../support/env.js';
import { assertSameRows, expectedRows } from '../support/expected.js';
import { skewedClock } from '../support/faketime.js';
import { recordEnrollmentHistory } from '../support/lms-fixture.js';
import { cliEnv, jsonSummary, lmsWith, onLmsAndSink, scalar } from '../support/scenario.js';

// The tool's clock off by an hour (libfaketime on the CLI only), MariaDB and ClickHouse on the real time.
const BEHIND = skewedClock('-1h');
const AHEAD = skewedClock('+1h');
const SKEW_BEHIND = /^.*clock skew: this host's clock is 3\d{3}\.\ds behind MySQL's, ClickHouse's is within a second of MySQL's/m;
const SKEW_AHEAD = /^.*clock skew: this host's clock is 3\d{3}\.\ds ahead of MySQL's, ClickHouse's is within a second of MySQL's/m;

/** The newest row of every key, by max(time_last_dumped), as the Aspects dbt models pick it. */
function newestRows(sink: TestEventSink, table: string, key: string): Promise<Record<string, unknown>[]> {
  const from = `${sink.database}.${table}`;
  return sink.rows(`SELECT * FROM ${from} WHERE (${key}, time_last_dumped) IN (SELECT ${key}, max(time_last_dumped) FROM ${from} GROUP BY ${key})`);
}

/** Asserts the newest row of every key holds what MySQL holds now, field for field. */
async function assertNewestAreCurrent(sink: TestEventSink, lms: TestLms, table: string, key: string): Promise<void> {
  assertSameRows(await newestRows(sink, table, key), await expectedRows(lms.db, table), key);
}

/** rows_written per object of a run's JSON summary. */
function written(result: CliResult): Record<string, unknown> {
  assert.equal(result.code, 0, result.stderr);
  return Object.fromEntries(jsonSummary(result).objects.map((each) => [each.object, each.rows_written]));
}

/** MySQL's clock `seconds` from now, as a time_last_dumped. */
async function mysqlTimeIn(lms: TestLms, seconds: number): Promise<string> {
  const [rows] = await lms.db.query({ sql: 'SELECT DATE_FORMAT(UTC_TIMESTAMP(6) + INTERVAL ? SECOND, \'%Y-%m-%d %H:%i:%s.%f+00:00\')', rowsAsArray: true }, [seconds]);
  return String((rows as unknown[][])[0]?.[0]);
}

describe('one clock for stamps: the tool\'s clock an hour behind', () => {
  let lms: TestLms;
  let sink: TestEventSink;
  onLmsAndSink({ users: 600, seed: 53 }, (made) => ({ lms, sink } = made));
  const dump = (clock: Record<string, string> = {}) =>
    runAspects(['dump', '--object', 'user_profile', 'course_enrollment', '--sleep-time', '0', '--json'], { ...cliEnv(lms, sink), ...clock });

  it('a run on the real time writes every row and reports no skew', async () => {
    const result = await dump();
    const enrollments = await scalar(lms, 'SELECT COUNT(*) FROM student_courseenrollment');
    assert.deepEqual(written(result), { user_profile: 600, course_enrollment: enrollments });
    assert.doesNotMatch(result.stderr, /clock skew/);
  });

  it('rows changed since are written once by a run an hour behind, and are the newest rows of their keys', async () => {
    await lms.db.query("UPDATE auth_userprofile SET city = CONCAT('Moved ', id), name = CONCAT(name, ' (renamed)') ORDER BY id LIMIT 177");
    await lms.db.query("UPDATE student_courseenrollment SET mode = IF(mode = 'audit', 'verified', 'audit'), is_active = 1 - is_active ORDER BY id DESC LIMIT 200");
    // As the LMS records them (django-simple-history, on MySQL's clock): a run an hour behind still reads them as changes.
    await recordEnrollmentHistory(lms.db, '~', 'SELECT id FROM (SELECT id FROM student_courseenrollment ORDER BY id DESC LIMIT 200) AS last');
    const result = await dump(BEHIND);
    assert.deepEqual(written(result), { user_profile: 177, course_enrollment: 200 });
    assert.match(result.stderr, SKEW_BEHIND);
    await assertNewestAreCurrent(sink, lms, 'user_profile', 'id');
    await assertNewestAreCurrent(sink, lms, 'course_enrollment', 'id');
    const [moved] = await sink.rows(`SELECT count() AS n FROM ${sink.database}.user_profile WHERE city LIKE 'Moved %'`);
    assert.equal(Number(moved?.n), 177);
  });

  it('the next run an hour behind finds nothing left to write', async () => {
    const result = await dump(BEHIND);
    assert.deepEqual(written(result), { user_profile: 0, course_enrollment: 0 });
    assert.match(result.stderr, SKEW_BEHIND);
  });

  it('a stamp a clock running ahead left in ClickHouse is followed: the newer write still wins, and is reported', async () => {
    const ahead = await mysqlTimeIn(lms, 3600);
    await clickHouseSql(sink.url, `INSERT INTO ${sink.database}.user_profile (id, user_id, name, city, dump_id, time_last_dumped) `
      + `VALUES (5, 5, 'from a clock running ahead', 'Nowhere', '4f1c2a9e-8a53-4c2e-9d1b-2f7b6c1e0a11', '${ahead}')`);
    await lms.db.query("UPDATE auth_userprofile SET city = 'Changed after' WHERE id IN (5, 6)");
    const result = await dump(BEHIND);
    assert.deepEqual(written(result), { user_profile: 2, course_enrollment: 0 });
    assert.match(result.stderr, /user_profile already holds time_last_dumped .*, 3\d{3}\.\ds ahead of MySQL's clock/);
    await assertNewestAreCurrent(sink, lms, 'user_profile', 'id');
    assert.deepEqual(written(await dump(BEHIND)), { user_profile: 0, course_enrollment: 0 });
  });
});

describe('one clock for stamps: the tool\'s clock an hour ahead, courses republished', () => {
  let lms: TestLms;
  let sink: TestEventSink;
  before(async () => {
    lms = await lmsWith((db) => fillCourses(db, 30));
    sink = await createTestEventSink();
  });
  after(async () => {
    await sink.drop();
    await lms.drop();
  });
  const env = (clock: Record<string, string> = {}) => ({ ...cliEnv(lms, sink), ...clock });
  const dump = (clock?: Record<string, string>) =>
    runAspects(['dump', '--object', 'course_overviews', '--sleep-time', '0', '--verbose', '--json'], env(clock));
  const status = (clock?: Record<string, string>) =>
    runAspects(['status', '--object', 'course_overviews', '--fail-on-stale', '--json'], env(clock));
  const decisions = (result: CliResult) => jsonSummary(result).objects[0]?.decisions as { dumped: object; skipped: object } | undefined;
  const republished = Array.from({ length: 10 }, (_, index) => courseKey(2 * index + 1));
  const republish = (keys: readonly string[]) => lms.db.query(
    "UPDATE course_overviews_courseoverview SET modified = UTC_TIMESTAMP(6), display_name = CONCAT('Republished ', UTC_TIMESTAMP(6)) WHERE id IN (?)", [keys]);

  it('a run on the real time dumps every course; status calls them fresh', async () => {
    const result = await dump();
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(decisions(result), { dumped: { 'Course is not present in ClickHouse': 30 }, skipped: {} });
    assert.equal((await status()).code, 0);
  });

  for (const round of [1, 2, 3]) {
    it(`republish ${round}: status an hour ahead calls the courses stale (exit 3), a dump an hour ahead writes all of them, then they are fresh`, async () => {
      await republish(republished);
      const stale = await status(AHEAD);
      assert.equal(stale.code, 3, stale.stderr);
      assert.equal((JSON.parse(stale.stdout) as { objects: { to_redump: number }[] }).objects[0]?.to_redump, 10);
      assert.match(stale.stderr, SKEW_AHEAD);
      const result = await dump(AHEAD);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, SKEW_AHEAD);
      assert.deepEqual(decisions(result), {
        dumped: { 'Course has been published since last dump time': 10 }, skipped: { 'Course has NOT been published since last dump time': 20 },
      });
      assertSameRows(await newestRows(sink, 'course_overviews', 'course_key'), await expectedRows(lms.db, 'course_overviews'), 'course_key');
      const fresh = await status(AHEAD);
      assert.equal(fresh.code, 0, fresh.stderr);
    });
  }

  it('a last dump stamped by a clock running ahead does not hide a later publish', async () => {
    const key = courseKey(4);
    const ahead = await mysqlTimeIn(lms, 1800);
    await clickHouseSql(sink.url, `INSERT INTO ${sink.database}.course_overviews (org, course_key, display_name, dump_id, time_last_dumped) `
      + `VALUES ('MITx', '${key}', 'from a clock running ahead', '4f1c2a9e-8a53-4c2e-9d1b-2f7b6c1e0a11', '${ahead}')`);
    await republish([key]);
    const stale = await status();
    assert.equal(stale.code, 3, stale.stderr);
    const result = await dump();
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(decisions(result)?.dumped, { 'Last dump time in ClickHouse is later than now': 1 });
    assert.match(result.stderr, /course_overviews already holds time_last_dumped .*, 1\d{3}\.\ds ahead of MySQL's clock/);
    assertSameRows(await newestRows(sink, 'course_overviews', 'course_key'), await expectedRows(lms.db, 'course_overviews'), 'course_key');
  });
});
