import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Connection } from 'mysql2/promise';
import { onChdb } from '../support/chdb.js';
import { createTestEventSink, type TestEventSink } from '../support/clickhouse.js';
import { oneErrorLine, runAspects } from '../support/cli.js';
import { courseKey, fillCourses, fillOutlines, outlineSpec } from '../support/course-fixture.js';
import type { TestLms } from '../support/env.js';
import { fillLms } from '../support/lms-fixture.js';
import { cliEnv, jsonSummary, lmsWith, scalar } from '../support/scenario.js';

const OBJECTS = ['course_overviews', 'user_profile', 'external_id', 'course_enrollment'];
/** The ClickHouse key of the objects whose keys are compared here, and the MySQL query of the LMS's keys as the dump writes them. */
const KEYS: Record<string, { column: string; table: string; lms: string }> = {
  course_overviews: { column: 'course_key', table: 'course_overviews', lms: 'SELECT id AS k FROM course_overviews_courseoverview' },
  user_profile: { column: 'id', table: 'user_profile', lms: 'SELECT id AS k FROM auth_userprofile' },
  course_enrollment: { column: 'id', table: 'course_enrollment', lms: 'SELECT id AS k FROM student_courseenrollment' },
};

async function fill(db: Connection): Promise<void> {
  await fillLms(db, { users: 60 });
  await fillCourses(db, 6);
  await fillOutlines(db, [1, 2, 3, 4, 5, 6].map(outlineSpec));
}

/** Rows deleted in the LMS after the first dump: 3 enrollments, 2 profiles, course 2 (its outline stays, as the CMS leaves it). */
async function deleteInLms(db: Connection): Promise<{ enrollments: number[]; profiles: number[] }> {
  const [rows] = await db.query('SELECT id FROM student_courseenrollment ORDER BY id LIMIT 3 OFFSET 10') as unknown as [{ id: number }[]];
  const enrollments = rows.map((row) => row.id);
  await db.query('DELETE FROM student_courseenrollment WHERE id IN (?)', [enrollments]);
  await db.query('DELETE FROM auth_userprofile WHERE id IN (7, 8)');
  await db.query('DELETE FROM course_overviews_courseoverview WHERE id = ?', [courseKey(2)]);
  return { enrollments, profiles: [7, 8] };
}

type Read = (sql: string) => Promise<Record<string, unknown>[]>;

/** Every key of the object in ClickHouse, as text, sorted. */
async function storedKeys(read: Read, database: string, object: string): Promise<string[]> {
  const { column, table } = KEYS[object] as { column: string; table: string };
  return (await read(`SELECT DISTINCT toString(${column}) AS k FROM ${database}.${table}`)).map((row) => String(row.k)).sort();
}

describe('dump --prune removes what the LMS deleted, on the ClickHouse server', () => {
  let lms: TestLms;
  let sink: TestEventSink;
  let deleted: { enrollments: number[]; profiles: number[] };
  let initial: Record<string, number>;
  before(async () => {
    lms = await lmsWith(fill);
    sink = await createTestEventSink();
    const first = await runAspects(['dump', '--object', ...OBJECTS, '--sleep-time', '0'], cliEnv(lms, sink));
    assert.equal(first.code, 0, first.stderr);
    initial = Object.fromEntries(await Promise.all([...OBJECTS, 'course_blocks'].map(async (table) => [table, await sink.count(table)])));
    deleted = await deleteInLms(lms.db);
  });
  after(async () => {
    await sink.drop();
    await lms.drop();
  });

  const run = (...args: string[]) => runAspects([...args, '--json'], cliEnv(lms, sink));

  it('status counts the keys ClickHouse holds that the LMS deleted, and says how to remove them', async () => {
    const result = await run('status', '--object', ...OBJECTS);
    assert.equal(result.code, 0, result.stderr);
    const document = JSON.parse(result.stdout) as { stale: boolean; objects: { object: string; deleted_keys: number; missing_keys: number }[] };
    assert.deepEqual(Object.fromEntries(document.objects.map((each) => [each.object, each.deleted_keys])),
      { course_overviews: 1, user_profile: 2, external_id: 0, course_enrollment: 3 });
    assert.equal(document.stale, false);
    assert.match(result.stderr, /^course_enrollment: 3 keys in ClickHouse no longer in the LMS \(deleted there\): aspects dump --object course_enrollment --prune removes them$/m);
  });

  it('refuses --prune with a row selection, and --allow-mass-delete without --prune (exit 2, nothing removed)', async () => {
    for (const args of [['--object', 'course_enrollment', '--prune', '--ids', '1'], ['--object', 'course_enrollment', '--prune', '--limit', '5'], ['--object', 'course_enrollment', '--allow-mass-delete']]) {
      const result = await run('dump', ...args);
      assert.equal(result.code, 2, result.stderr);
      oneErrorLine(result);
    }
    assert.equal(await sink.count('course_enrollment'), initial.course_enrollment);
  });

  it('--dry-run --prune counts the keys it would remove and removes none', async () => {
    const result = await run('dump', '--object', ...OBJECTS, '--prune', '--dry-run', '--sleep-time', '0');
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(Object.fromEntries(jsonSummary(result).objects.map((each) => [each.object, each.keys_to_prune])),
      { course_overviews: 1, user_profile: 2, external_id: 0, course_enrollment: 3 });
    for (const [table, count] of Object.entries(initial)) assert.equal(await sink.count(table), count, table);
  });

  it('--prune removes exactly those keys\' rows (a deleted course\'s blocks too), verified, and keeps every other row', async () => {
    const result = await run('dump', '--object', ...OBJECTS, '--prune', '--sleep-time', '0');
    assert.equal(result.code, 0, result.stderr);
    const objects = Object.fromEntries(jsonSummary(result).objects.map((each) => [each.object, [each.keys_pruned, each.rows_pruned, each.rows_written]]));
    const blocksOf2 = outlineSpec(2).chapters.reduce((sum, chapter) => sum + 1 + chapter.sequentials.length, 1);
    assert.deepEqual(objects, { course_overviews: [1, 1 + blocksOf2, 0], user_profile: [2, 2, 0], external_id: [0, 0, 0], course_enrollment: [3, 3, 0] });
    assert.match(result.stderr, /course_enrollment: pruned 3 keys the LMS no longer has \(3 rows\)/);
    assert.equal(await sink.count('course_blocks'), (initial.course_blocks as number) - blocksOf2);
    assert.equal(Number((await sink.rows(`SELECT count() AS n FROM ${sink.database}.course_blocks WHERE course_key = '${courseKey(2)}'`))[0]?.n), 0);
    for (const object of ['course_overviews', 'user_profile', 'course_enrollment']) {
      const lmsKeys = (await lms.db.query((KEYS[object] as { lms: string }).lms) as unknown as [{ k: unknown }[]])[0].map((row) => String(row.k)).sort();
      assert.deepEqual(await storedKeys(sink.rows, sink.database, object), lmsKeys, object);
    }
    assert.equal(await sink.count('user_profile'), (initial.user_profile as number) - deleted.profiles.length);
    const status = await run('status', '--object', ...OBJECTS);
    assert.deepEqual(JSON.parse(status.stdout).objects.map((each: { deleted_keys: number }) => each.deleted_keys), [0, 0, 0, 0]);
  });

  it('refuses to remove most of an object (the wrong LMS database?) unless --allow-mass-delete', async () => {
    await lms.db.query('DELETE FROM student_courseenrollment WHERE id > 5');
    const left = await scalar(lms, 'SELECT COUNT(*) FROM student_courseenrollment');
    const stored = await sink.count('course_enrollment');
    const refused = await run('dump', '--object', 'course_enrollment', '--prune', '--sleep-time', '0');
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr.trim().split('\n').pop() as string, new RegExp(`^aspects: course_enrollment: the LMS lacks ${stored - left} of the ${stored} keys ClickHouse holds; is this the LMS database\\? If those rows were really deleted there, remove them with --prune --allow-mass-delete$`));
    assert.equal(await sink.count('course_enrollment'), stored);
    const allowed = await run('dump', '--object', 'course_enrollment', '--prune', '--allow-mass-delete', '--sleep-time', '0');
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.equal(await sink.count('course_enrollment'), left);
  });
});

describe('dump --prune on the embedded engine (lightweight DELETE)', () => {
  let lms: TestLms;
  before(async () => { lms = await lmsWith(fill); });
  after(async () => { await lms.drop(); });

  it('removes the deleted keys\' rows and nothing else', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'aspects-prune-'));
    try {
      const env = { ASPECTS_MYSQL_URL: lms.url, ASPECTS_CLICKHOUSE_URL: `chdb:${folder}`, ASPECTS_ENABLE_PII: 'true' };
      assert.equal((await runAspects(['schema', 'init'], env)).code, 0);
      assert.equal((await runAspects(['dump', '--object', ...OBJECTS, '--sleep-time', '0'], env)).code, 0);
      await deleteInLms(lms.db);
      const status = await runAspects(['status', '--object', ...OBJECTS, '--json'], env);
      assert.equal(status.code, 0, status.stderr);
      assert.deepEqual(JSON.parse(status.stdout).objects.map((each: { deleted_keys: number }) => each.deleted_keys), [1, 2, 0, 3]);
      const result = await runAspects(['dump', '--object', ...OBJECTS, '--prune', '--sleep-time', '0', '--json'], env);
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(jsonSummary(result).objects.map((each) => each.keys_pruned), [1, 2, 0, 3]);
      await onChdb(folder, async (query) => {
        const read: Read = async (sql) => query(sql);
        for (const object of ['course_overviews', 'user_profile', 'course_enrollment']) {
          const lmsKeys = (await lms.db.query((KEYS[object] as { lms: string }).lms) as unknown as [{ k: unknown }[]])[0].map((row) => String(row.k)).sort();
          assert.deepEqual(await storedKeys(read, 'event_sink', object), lmsKeys, object);
        }
        assert.equal(Number((await read(`SELECT count() AS n FROM event_sink.course_blocks WHERE course_key = '${courseKey(2)}'`))[0]?.n), 0);
      });
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
