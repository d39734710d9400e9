import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { asWritten, onChdb } from '../support/chdb.js';
import { clickHouseSql, createTestEventSink, type TestEventSink } from '../support/clickhouse.js';
import { runAspects, type CliResult } from '../support/cli.js';
import type { TestLms } from '../support/env.js';
import { assertSameRows, expectedRows } from '../support/expected.js';
import { fillLms, recordEnrollmentHistory } from '../support/lms-fixture.js';
import { cliEnv, jsonSummary, lmsWith, scalar } from '../support/scenario.js';

/**
 * Change signals (pipeline/change-plan.ts): after a first complete run, an incremental run reads
 * only the keys the LMS recorded as changed (enrollment history, external ids' `modified`); a full
 * compare catches what bypassed them. Everything here is real MariaDB and ClickHouse (18.16, chdb).
 */

const OBJECTS = ['course_enrollment', 'external_id'];
const ENROLLMENT_SIGNAL = 'changes in student_courseenrollment_history.history_date';

type Objects = Record<string, Record<string, unknown>>;

function byObject(result: CliResult): Objects {
  assert.equal(result.code, 0, result.stderr);
  return Object.fromEntries(jsonSummary(result).objects.map((each) => [String(each.object), each]));
}

/** Ids of external ids of type lti that can become caliper (their user has none): the only change an external id sees. */
async function ltiIds(lms: TestLms): Promise<number[]> {
  const [rows] = await lms.db.query('SELECT id FROM external_user_ids_externalid WHERE external_id_type_id = 2 ORDER BY id LIMIT 3') as unknown as [{ id: number }[]];
  return rows.map((row) => row.id);
}

/** Changes the LMS records: 3 enrollments changed and 2 made (history rows), 2 external ids changed (`modified` set). */
async function recordedChanges(lms: TestLms): Promise<void> {
  await lms.db.query('UPDATE student_courseenrollment SET is_active = 1 - is_active WHERE id IN (3, 9, 27)');
  await recordEnrollmentHistory(lms.db, '~', '3, 9, 27');
  await lms.db.query("INSERT INTO student_courseenrollment (course_id, created, is_active, mode, user_id) VALUES ('course-v1:New+N1+2026', UTC_TIMESTAMP(6), 1, 'audit', 5), ('course-v1:New+N1+2026', NULL, 0, 'honor', 6)");
  await recordEnrollmentHistory(lms.db, '+', "SELECT id FROM student_courseenrollment WHERE course_id = 'course-v1:New+N1+2026'");
  const [first, second] = await ltiIds(lms);
  await lms.db.query('UPDATE external_user_ids_externalid SET external_id_type_id = 3, modified = UTC_TIMESTAMP(6) WHERE id IN (?, ?)', [first, second]);
}

/** Changes that bypass the signals (QuerySet.update(), a username change): only a full compare finds them. */
async function silentChanges(lms: TestLms): Promise<void> {
  await lms.db.query("UPDATE student_courseenrollment SET mode = 'verified' WHERE id = 12");
  const [third] = await ltiIds(lms);
  await lms.db.query('UPDATE external_user_ids_externalid SET external_id_type_id = 3 WHERE id = ?', [third]);
}

/** Until the ClickHouse server has applied every mutation of the sink's tables (bounded). */
async function waitForMutations(sink: TestEventSink): Promise<void> {
  for (let tries = 0; tries < 600; tries += 1) {
    const [row] = await sink.rows(`SELECT count() AS n FROM system.mutations WHERE database = '${sink.database}' AND is_done = 0`);
    if (Number(row?.n) === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('mutations not done within 60 s');
}

/** The newest row of every key of `object` in ClickHouse. */
function newestRows(sink: TestEventSink, object: string, key: string): Promise<Record<string, unknown>[]> {
  return sink.rows(`SELECT * FROM ${sink.database}.${object} ORDER BY time_last_dumped DESC LIMIT 1 BY ${key}`);
}

describe('dump reads only the changes the LMS records, on the ClickHouse server', () => {
  let lms: TestLms;
  let sink: TestEventSink;
  const dump = (...args: string[]) => runAspects(['dump', '--object', ...OBJECTS, '--sleep-time', '0', '--json', '--lookback', '0', ...args], cliEnv(lms, sink));
  before(async () => {
    lms = await lmsWith((db) => fillLms(db, { users: 120 }));
    sink = await createTestEventSink();
  });
  after(async () => {
    await sink?.drop();
    await lms?.drop();
  });

  it('compares every row on the first run and records where the next one starts', async () => {
    const objects = byObject(await dump());
    const enrollments = await scalar(lms, 'SELECT COUNT(*) FROM student_courseenrollment');
    assert.equal(objects.course_enrollment?.compared, 'all rows');
    assert.equal(objects.course_enrollment?.compare_reason, 'no complete run recorded yet');
    assert.equal(objects.course_enrollment?.rows_written, enrollments);
    const marks = await sink.rows(`SELECT object, kind, stored_keys FROM ${sink.database}.aspects_run_marks ORDER BY object, kind`);
    assert.deepEqual(marks.map((row) => [row.object, row.kind, Number(row.stored_keys)]), [
      ['course_enrollment', 'changes', enrollments], ['course_enrollment', 'full-compare', enrollments],
      ['external_id', 'changes', await scalar(lms, 'SELECT COUNT(*) FROM external_user_ids_externalid')],
      ['external_id', 'full-compare', await scalar(lms, 'SELECT COUNT(*) FROM external_user_ids_externalid')],
    ]);
  });

  it('reads no row when nothing changed', async () => {
    const objects = byObject(await dump());
    assert.equal(objects.course_enrollment?.compared, ENROLLMENT_SIGNAL);
    assert.equal(objects.external_id?.compared, 'changes in external_user_ids_externalid.modified');
    for (const object of OBJECTS) {
      assert.equal(objects[object]?.changed_keys, 0, object);
      assert.equal(objects[object]?.rows_read, 0, object);
      assert.equal(objects[object]?.rows_written, 0, object);
    }
  });

  it('writes the recorded changes, reading only their keys; a full compare then finds what bypassed the signals', async () => {
    await recordedChanges(lms);
    await silentChanges(lms);
    const objects = byObject(await dump());
    assert.deepEqual([objects.course_enrollment?.changed_keys, objects.course_enrollment?.rows_read, objects.course_enrollment?.rows_written], [5, 5, 5]);
    assert.deepEqual([objects.external_id?.changed_keys, objects.external_id?.rows_read, objects.external_id?.rows_written], [2, 2, 2]);
    const [silent] = await sink.rows(`SELECT mode FROM ${sink.database}.course_enrollment WHERE id = 12 ORDER BY time_last_dumped DESC LIMIT 1`);
    assert.notEqual(silent?.mode, 'verified', 'a change without a history row is not seen by the signal');
    const full = byObject(await dump('--full-compare'));
    assert.equal(full.course_enrollment?.compare_reason, 'with --full-compare');
    assert.equal(full.course_enrollment?.rows_written, 1);
    assert.equal(full.external_id?.rows_written, 1);
    assertSameRows(await newestRows(sink, 'course_enrollment', 'id'), await expectedRows(lms.db, 'course_enrollment'), 'id');
    assertSameRows(await newestRows(sink, 'external_id', 'external_user_id'), await expectedRows(lms.db, 'external_id'), 'external_user_id');
  });

  it('reads again the changes recorded within --lookback before the last run began', async () => {
    await lms.db.query("UPDATE student_courseenrollment SET mode = 'honor' WHERE id = 30");
    await recordEnrollmentHistory(lms.db, '~', '30', 'UTC_TIMESTAMP(6) - INTERVAL 30 MINUTE');
    const missed = byObject(await dump());
    assert.equal(missed.course_enrollment?.rows_written, 0, 'a change dated before the last run, without lookback');
    const caught = byObject(await dump('--lookback', '45'));
    // The 5 keys changed in the test before are within the lookback too: read again, unchanged, not written.
    assert.deepEqual([caught.course_enrollment?.changed_keys, caught.course_enrollment?.rows_read, caught.course_enrollment?.rows_written], [6, 6, 1]);
  });

  it('compares every row when the last full compare is older than --full-compare-every', async () => {
    const objects = byObject(await dump('--full-compare-every', '0.00000001'));
    assert.match(String(objects.course_enrollment?.compare_reason), /^the last full compare was 0\.0 days ago \(--full-compare-every 1e-8\)$/);
    assert.equal(objects.course_enrollment?.rows_written, 0);
    assert.equal(objects.external_id?.rows_unchanged_by_summary, await scalar(lms, 'SELECT COUNT(*) FROM external_user_ids_externalid'),
      'external_id found unchanged from one summary on each side, no row compared');
  });

  it('leaves no mark after a run with --limit or a selection of rows', async () => {
    const marks = () => sink.rows(`SELECT object, kind, max(at) AS at FROM ${sink.database}.aspects_run_marks GROUP BY object, kind ORDER BY object, kind`);
    const before = await marks();
    byObject(await dump('--limit', '1'));
    assert.equal(byObject(await runAspects(['dump', '--object', 'course_enrollment', '--ids', '1', '2', '--json', '--sleep-time', '0'], cliEnv(lms, sink))).course_enrollment?.compared, undefined);
    assert.deepEqual(await marks(), before);
  });

  it('compares every row, and says so, when ClickHouse lost keys since the last run', async () => {
    await clickHouseSql(sink.url, `TRUNCATE TABLE ${sink.database}.course_enrollment`);
    const result = await dump();
    const objects = byObject(result);
    const enrollments = await scalar(lms, 'SELECT COUNT(*) FROM student_courseenrollment');
    assert.match(result.stderr, new RegExp(`course_enrollment: ClickHouse holds 0 keys, ${enrollments} after the last complete run; comparing every row`));
    assert.equal(objects.course_enrollment?.rows_written, enrollments);
    assert.equal(await scalar(lms, 'SELECT COUNT(*) FROM student_courseenrollment'), Number((await sink.rows(`SELECT uniqExact(id) AS n FROM ${sink.database}.course_enrollment`))[0]?.n));
  });

  it('status shows each signal and when every row was last compared', async () => {
    const result = await runAspects(['status', '--object', ...OBJECTS, '--json'], cliEnv(lms, sink));
    assert.equal(result.code, 0, result.stderr);
    const objects = JSON.parse(result.stdout).objects as Record<string, unknown>[];
    assert.deepEqual(objects.map((each) => each.change_signal), ['student_courseenrollment_history.history_date', 'external_user_ids_externalid.modified']);
    for (const each of objects) {
      const ago = Date.now() - Date.parse(String(each.last_full_compare));
      assert.ok(ago >= 0 && ago < 120_000, `${String(each.object)} last full compare ${String(each.last_full_compare)}`);
      assert.ok(Date.parse(String(each.last_complete_run)) >= Date.parse(String(each.last_full_compare)));
    }
    assert.doesNotMatch(result.stderr, /full compare/);
  });

  it('a full compare ten days old: status names it, and the next dump makes one by itself', async () => {
    const old = await createTestEventSink();
    try {
      const env = cliEnv(lms, old);
      assert.equal(byObject(await runAspects(['dump', '--object', 'course_enrollment', '--json', '--sleep-time', '0'], env)).course_enrollment?.compared, 'all rows');
      await clickHouseSql(old.url, `ALTER TABLE ${old.database}.aspects_run_marks DELETE WHERE kind = 'full-compare'`);
      const tenDaysAgo = (Date.now() - 10 * 86_400_000) * 1000;
      await clickHouseSql(old.url, `INSERT INTO ${old.database}.aspects_run_marks (object, kind, at, stored_keys) VALUES ('course_enrollment', 'full-compare', ${tenDaysAgo}, 0)`);
      await waitForMutations(old);
      const status = await runAspects(['status', '--object', 'course_enrollment'], env);
      assert.match(status.stderr, /^course_enrollment: the last full compare was 10 days ago; changes that bypass student_courseenrollment_history\.history_date are found only by one: aspects dump --object course_enrollment --full-compare$/m);
      const objects = byObject(await runAspects(['dump', '--object', 'course_enrollment', '--json', '--sleep-time', '0'], env));
      assert.equal(objects.course_enrollment?.compare_reason, 'the last full compare was 10.0 days ago (--full-compare-every 7)');
    } finally {
      await old.drop();
    }
  });

  it('falls back to comparing every row, with one line, on an LMS without the history table', async () => {
    await lms.db.query('DROP TABLE student_courseenrollment_history');
    const result = await dump();
    const objects = byObject(result);
    assert.match(result.stderr, /course_enrollment: the LMS has no table student_courseenrollment_history, so changes cannot be read from it; comparing every row/);
    assert.equal(objects.course_enrollment?.compared, 'all rows');
    assert.equal(objects.course_enrollment?.rows_written, 0);
    assert.equal(objects.external_id?.compared, 'changes in external_user_ids_externalid.modified');
  });
});

describe('dump reads only the changes the LMS records, on chdb', () => {
  let lms: TestLms;
  let folder: string;
  before(async () => {
    lms = await lmsWith((db) => fillLms(db, { users: 60 }));
    folder = mkdtempSync(join(tmpdir(), 'aspects-changes-chdb-'));
  });
  after(async () => {
    await lms?.drop();
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  it('compares all, then reads the recorded changes only, and the stored rows equal the LMS', async () => {
    const env = { ASPECTS_MYSQL_URL: lms.url, ASPECTS_CLICKHOUSE_URL: `chdb:${folder}`, ASPECTS_ENABLE_PII: 'true' };
    const dump = () => runAspects(['dump', '--object', ...OBJECTS, '--sleep-time', '0', '--json', '--lookback', '0'], env);
    assert.equal((await runAspects(['schema', 'init'], env)).code, 0);
    assert.equal(byObject(await dump()).course_enrollment?.compared, 'all rows');
    await recordedChanges(lms);
    const objects = byObject(await dump());
    assert.deepEqual([objects.course_enrollment?.compared, objects.course_enrollment?.rows_read, objects.course_enrollment?.rows_written], [ENROLLMENT_SIGNAL, 5, 5]);
    assert.equal(objects.external_id?.rows_written, 2);
    await onChdb(folder, (query) => {
      const latest = query('SELECT * FROM event_sink.course_enrollment ORDER BY time_last_dumped DESC LIMIT 1 BY id');
      const counts = query('SELECT count() AS n, uniqExact(id) AS keys FROM event_sink.course_enrollment')[0];
      assert.equal(Number(counts?.n), Number(counts?.keys) + 3, 'one new row for each of the 3 changed enrollments, nothing else twice');
      return latest.map(asWritten);
    }).then(async (latest) => assertSameRows(latest, await expectedRows(lms.db, 'course_enrollment'), 'id'));
  });
});
