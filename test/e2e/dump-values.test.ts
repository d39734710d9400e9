import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { onChdb } from '../support/chdb.js';
import { createTestEventSink } from '../support/clickhouse.js';
import { runAspects, type CliResult } from '../support/cli.js';
import { courseKey, fillCourses } from '../support/course-fixture.js';
import type { TestLms } from '../support/env.js';
import { insertUsers } from '../support/lms-fixture.js';
import { cliEnv, lmsWith } from '../support/scenario.js';

const UUID = '0f1e6f1e-6f1e-4f1e-8f1e-6f1e6f1e6f1e';
const HEX = UUID.replaceAll('-', '');

/** Source values the plugin's own code reads differently from their raw text, with what it writes. */
async function fillHostileValues(db: TestLms['db']): Promise<void> {
  await insertUsers(db, 1, 4, { users: 4 });
  await db.query("UPDATE auth_userprofile SET name = 'null byte \\0 inside' WHERE id = 1");
  await db.query('ALTER TABLE external_user_ids_externalid MODIFY external_user_id varchar(64) NOT NULL');
  await db.query("INSERT INTO external_user_ids_externalidtype (id, created, modified, name, description) VALUES (4, NOW(), NOW(), 'xapi', '')");
  await db.query('INSERT INTO external_user_ids_externalid (created, modified, external_user_id, external_id_type_id, user_id) VALUES ?',
    [[[new Date(), new Date(), `urn:uuid:${UUID}`, 4, 1], [new Date(), new Date(), `{${HEX.toUpperCase()}}`, 4, 2],
      // No UUID at all: uuid.UUID() fails on it in the plugin too, so that row alone is left out.
      [new Date(), new Date(), 'no-uuid-here', 4, 3]]]);
  const course = 'course-v1:OrgX+C1+R1';
  await db.query('INSERT INTO student_courseenrollment (id, course_id, created, is_active, mode, user_id) VALUES ?', [[
    [1, `${course}\n`, new Date(), 1, 'audit', 1], [2, `${course}\r\n`, new Date(), 1, 'audit', 2],
    [3, '', new Date(), 1, 'audit', 3], [4, `${course} `, new Date(), 1, 'audit', 4]]]);
  await fillCourses(db, 1);
  await db.query("UPDATE course_overviews_courseoverview SET id = CONCAT(id, '\\n')");
  // Legacy values an old MySQL (no strict mode) let in: dates Python cannot build, and tinyints other than 0/1 in BooleanFields.
  await db.query("UPDATE auth_userprofile SET country = ELT(id, 'us', 'Fr', '04', '40'), goals = ELT(id, '\\n\\n', 'a\\n\\nb', '\\r\\n\\r\\n', '\\n')");
  await db.query("SET SESSION sql_mode = ''");
  await db.query("UPDATE auth_userprofile SET profile_image_uploaded_at = IF(id = 2, '2020-00-10 10:00:00', '0000-00-00 00:00:00') WHERE id IN (2, 3)");
  await db.query(`UPDATE course_overviews_courseoverview SET start = '0000-00-00 00:00:00', modified = '0000-00-00 00:00:00', enrollment_end = '2021-02-29 00:00:00',
    announcement = '2020-04-31 09:00:00', invitation_only = 2, enable_proctored_exams = -1, entrance_exam_enabled = 127`);
}

/** What the plugin writes for those values (hand-written from its code: CourseKeyField, uuid.UUID, str()). */
const EXPECTED = {
  name: 'null byte \0 inside',
  externalIds: [UUID, UUID],
  courseKeys: ['course-v1:OrgX+C1+R1', 'course-v1:OrgX+C1+R1', 'None', 'course-v1:OrgX+C1+R1 '],
  overviewKey: courseKey(1),
  /** MySQLdb's None for a date Python cannot build, written as the plugin writes None. */
  profileImageDates: ['', ''],
  /** django-countries' Country: upper-cased, ISO numeric codes turned into alpha-2. */
  countries: ['US', 'FR', 'AF', 'AT'],
  /** Text that is only newlines, or holds an empty line (the embedded engine's raw insert once cut its data there). */
  goals: ['\n\n', 'a\n\nb', '\r\n\r\n', '\n'],
  courseDates: { course_start: '', enrollment_end: '' },
  /** Django's MySQL backend turns only 0 and 1 into booleans; json.dumps prints the other ints. */
  courseData: /"announcement": null, .*"invitation_only": 2, .*"enable_proctored_exams": -1, "entrance_exam_enabled": 127, /,
};

const OBJECTS = ['user_profile', 'external_id', 'course_enrollment', 'course_overviews'];
type Read = (sql: string) => Promise<Record<string, unknown>[]>;

async function assertPluginValues(read: Read, database: string): Promise<void> {
  const [profile] = await read(`SELECT name FROM ${database}.user_profile WHERE id = 1`);
  assert.equal(profile?.name, EXPECTED.name);
  const ids = await read(`SELECT toString(external_user_id) AS id FROM ${database}.external_id ORDER BY user_id`);
  assert.deepEqual(ids.map((row) => row.id), EXPECTED.externalIds);
  const keys = await read(`SELECT course_key FROM ${database}.course_enrollment ORDER BY id`);
  assert.deepEqual(keys.map((row) => row.course_key), EXPECTED.courseKeys);
  const overviews = await read(`SELECT course_key, course_start, enrollment_end, course_data_json FROM ${database}.course_overviews`);
  assert.deepEqual(overviews.map((row) => row.course_key), [EXPECTED.overviewKey]);
  assert.deepEqual({ course_start: overviews[0]?.course_start, enrollment_end: overviews[0]?.enrollment_end }, EXPECTED.courseDates);
  assert.match(String(overviews[0]?.course_data_json), EXPECTED.courseData);
  const images = await read(`SELECT profile_image_uploaded_at AS at FROM ${database}.user_profile WHERE id IN (2, 3) ORDER BY id`);
  assert.deepEqual(images.map((row) => row.at), EXPECTED.profileImageDates);
  const profiles = await read(`SELECT country, goals FROM ${database}.user_profile ORDER BY id`);
  assert.deepEqual(profiles.map((row) => row.country), EXPECTED.countries);
  assert.deepEqual(profiles.map((row) => row.goals), EXPECTED.goals);
}

/** A course whose modified date is the zero date is None to the plugin: "No last modified date", not a failure (nor a second row). */
async function rerunSkipsZeroModified(env: Record<string, string>): Promise<void> {
  const again = await runAspects(['dump', '--object', 'course_overviews', '--sleep-time', '0', '--verbose'], env);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout + again.stderr, /No last modified date in Course/);
}

/** The run wrote everything but the external id that is no UUID, which it names (exit 65). */
function assertOnlyUnwritableLeftOut(result: CliResult): void {
  assert.equal(result.code, 65, result.stderr);
  assert.match(result.stderr, /external_id: pk 3 left out, column external_user_id: not a valid UUID/);
  assert.equal((result.stderr.match(/ left out, column /g) ?? []).length, 1, result.stderr);
}

// Found by running the plugin's serializers on hostile data: keys with a trailing newline,
// UUIDs as urn:uuid:… or {…}, a NUL byte in a name, country codes in lower case or ISO numeric, zero and impossible dates, BooleanFields
// holding 2, -1 or 127. Both engines must take them as the plugin writes them.
describe('values the plugin normalises, on both engines', () => {
  let lms: TestLms;
  before(async () => { lms = await lmsWith(fillHostileValues); });
  after(async () => { await lms.drop(); });

  it('the ClickHouse server stores them as the plugin writes them', async () => {
    const sink = await createTestEventSink();
    try {
      const result = await runAspects(['dump', '--object', ...OBJECTS, '--sleep-time', '0'], cliEnv(lms, sink));
      assertOnlyUnwritableLeftOut(result);
      await rerunSkipsZeroModified(cliEnv(lms, sink));
      await assertPluginValues(sink.rows, sink.database);
    } finally {
      await sink.drop();
    }
  });

  it('the embedded engine stores them too, NUL byte included', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'aspects-values-'));
    try {
      const env = { ASPECTS_MYSQL_URL: lms.url, ASPECTS_CLICKHOUSE_URL: `chdb:${folder}`, ASPECTS_ENABLE_PII: 'true' };
      assert.equal((await runAspects(['schema', 'init'], env)).code, 0);
      const result = await runAspects(['dump', '--object', ...OBJECTS, '--sleep-time', '0'], env);
      assertOnlyUnwritableLeftOut(result);
      await rerunSkipsZeroModified(env);
      await onChdb(folder, (query) => assertPluginValues(async (sql) => query(sql), 'event_sink'));
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
