import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openChdbSession } from '../support/chdb.js';
import { createTestEventSink } from '../support/clickhouse.js';
import { runAspects } from '../support/cli.js';
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
    [[[new Date(), new Date(), `urn:uuid:${UUID}`, 4, 1], [new Date(), new Date(), `{${HEX.toUpperCase()}}`, 4, 2]]]);
  const course = 'course-v1:OrgX+C1+R1';
  await db.query('INSERT INTO student_courseenrollment (id, course_id, created, is_active, mode, user_id) VALUES ?', [[
    [1, `${course}\n`, new Date(), 1, 'audit', 1], [2, `${course}\r\n`, new Date(), 1, 'audit', 2],
    [3, '', new Date(), 1, 'audit', 3], [4, `${course} `, new Date(), 1, 'audit', 4]]]);
  await fillCourses(db, 1);
  await db.query("UPDATE course_overviews_courseoverview SET id = CONCAT(id, '\\n')");
}

/** What the plugin writes for those values (hand-written from its code: CourseKeyField, uuid.UUID, str()). */
const EXPECTED = {
  name: 'null byte \0 inside',
  externalIds: [UUID, UUID],
  courseKeys: ['course-v1:OrgX+C1+R1', 'course-v1:OrgX+C1+R1', 'None', 'course-v1:OrgX+C1+R1 '],
  overviewKey: courseKey(1),
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
  const overviews = await read(`SELECT course_key FROM ${database}.course_overviews`);
  assert.deepEqual(overviews.map((row) => row.course_key), [EXPECTED.overviewKey]);
}

// Found by running the plugin's serializers on hostile data: keys with a trailing newline,
// UUIDs as urn:uuid:… or {…}, a NUL byte in a name. Both engines must take them as the plugin writes them.
describe('values the plugin normalises, on both engines', () => {
  let lms: TestLms;
  before(async () => { lms = await lmsWith(fillHostileValues); });
  after(async () => { await lms.drop(); });

  it('the ClickHouse server stores them as the plugin writes them', async () => {
    const sink = await createTestEventSink();
    try {
      const result = await runAspects(['dump', '--object', ...OBJECTS, '--sleep-time', '0'], cliEnv(lms, sink));
      assert.equal(result.code, 0, result.stderr);
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
      assert.equal(result.code, 0, result.stderr);
      const session = await openChdbSession(folder);
      try {
        const read: Read = async (sql) => session.query(sql, 'JSONEachRow').split('\n').filter(Boolean)
          .map((line) => JSON.parse(line) as Record<string, unknown>);
        await assertPluginValues(read, 'event_sink');
      } finally {
        session.close();
      }
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
