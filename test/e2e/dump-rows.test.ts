import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestEventSink } from '../support/clickhouse.js';
import type { TestLms } from '../support/env.js';
import { assertSameRows, expectedRows, SOURCE_KEY, TARGET_KEY } from '../support/expected.js';
import { dumpInto, filledLms, jsonSummary, scalar, storedRows } from '../support/scenario.js';

// Real MariaDB and ClickHouse server; the CLI is spawned as an operator runs it.
describe('aspects dump writes exactly the MySQL rows in the contract formats', () => {
  let lms: TestLms;
  const sinks: TestEventSink[] = [];
  before(async () => { lms = await filledLms({ users: 1600 }); });
  after(async () => {
    await Promise.all(sinks.map((sink) => sink.drop()));
    await lms.drop();
  });

  async function dump(args: string[], env?: Record<string, string>) {
    const run = await dumpInto(lms, args, env);
    sinks.push(run.sink);
    return run;
  }

  for (const object of ['user_profile', 'external_id', 'course_enrollment']) {
    it(`${object} --force: every field of every row`, async () => {
      const { result, sink } = await dump(['--object', object, '--force', '--batch-size', '700']);
      assert.equal(result.code, 0, result.stderr);
      assertSameRows(await storedRows(sink, object), await expectedRows(lms.db, object), TARGET_KEY[object] as string);
    });
  }

  it('--limit 1500 --batch-size 1000 writes exactly the first 1500 rows', async () => {
    const { result, sink } = await dump(['--object', 'user_profile', '--force', '--limit', '1500', '--batch-size', '1000', '--json']);
    assert.equal(result.code, 0, result.stderr);
    assertSameRows(await storedRows(sink, 'user_profile'), await expectedRows(lms.db, 'user_profile', 'p.id <= 1500'), 'id');
    const summary = jsonSummary(result).objects[0];
    assert.equal(summary?.rows_written, 1500);
    assert.equal(summary?.last_pk, 1500);
  });

  it('--limit smaller than one batch, and not a multiple of it', async () => {
    const { result, sink } = await dump(['--object', 'course_enrollment', '--limit', '7', '--batch-size', '3']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(await sink.count('course_enrollment'), 7);
  });

  it('--ids and --skip-ids select exactly those keys (plugin spellings accepted)', async () => {
    const { result, sink } = await dump(['--object', 'user_profile', '--ids', '5', '17,99', '1600', '--ids_to_skip', '17']);
    assert.equal(result.code, 0, result.stderr);
    assertSameRows(await storedRows(sink, 'user_profile'), await expectedRows(lms.db, 'user_profile', `${SOURCE_KEY.user_profile} IN (5, 99, 1600)`), 'id');
  });

  it('--ids naming keys the LMS does not have: says how many were found, in a line and in the summary', async () => {
    const { result, sink } = await dump(['--object', 'user_profile', '--ids', '5,999999,1000000', '--json']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /user_profile: 1 of 3 requested keys found in the LMS/);
    const summary = jsonSummary(result).objects[0];
    assert.deepEqual([summary?.keys_requested, summary?.keys_found, summary?.rows_written], [3, 1, 1]);
    assert.equal(await sink.count('user_profile'), 1);
  });

  it('--start-pk reads only greater keys', async () => {
    const { result, sink } = await dump(['--object', 'course_enrollment', '--start_pk', '1590', '--batch_size', '4']);
    assert.equal(result.code, 0, result.stderr);
    assertSameRows(await storedRows(sink, 'course_enrollment'), await expectedRows(lms.db, 'course_enrollment', 'ce.id > 1590'), 'id');
  });

  it('--dry-run reads everything, writes nothing and reports what it would write', async () => {
    const { result, sink } = await dump(['--object', 'all', '--dry-run', '--json']);
    assert.equal(result.code, 0, result.stderr);
    for (const object of ['user_profile', 'external_id', 'course_enrollment']) assert.equal(await sink.count(object), 0);
    const summary = jsonSummary(result);
    const profiles = summary.objects.find((entry) => entry.object === 'user_profile');
    assert.equal(profiles?.rows_read, 1600);
    assert.deepEqual([profiles?.rows_written, profiles?.rows_to_write], [0, 1600]);
    assert.match(result.stdout, /"dry_run":true/);
    assert.match(result.stderr, /user_profile: batch 1, read 1600\/1600, would write 1600, last pk 1600/);
    assert.match(result.stderr, /user_profile: success, would write 1600 rows$/m);
    assert.doesNotMatch(result.stderr, /written/);
  });

  it('--json prints one summary with rows, batches, seconds and last pk per object', async () => {
    const { result } = await dump(['--object', 'external_id', '--object', 'course_enrollment', '--batch-size', '500', '--json']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.trim().split('\n').length, 1);
    const summary = jsonSummary(result);
    assert.equal(summary.status, 'success');
    const [externalIds, enrollments] = summary.objects;
    const idCount = await scalar(lms, 'SELECT COUNT(*) FROM external_user_ids_externalid');
    const enrollmentCount = await scalar(lms, 'SELECT COUNT(*) FROM student_courseenrollment');
    const last = await scalar(lms, 'SELECT MAX(id) FROM student_courseenrollment');
    assert.deepEqual({ ...externalIds, seconds: 0 }, {
      object: 'external_id', table: 'external_id', status: 'success', rows_read: Number(idCount),
      rows_written: Number(idCount), rows_unchanged: 0, batches: Math.ceil(Number(idCount) / 500), seconds: 0,
      last_pk: Number(idCount), child_rows_written: {},
      decisions: { dumped: { 'not present in ClickHouse': Number(idCount) }, skipped: {} },
      compared: 'all rows', compare_reason: 'no complete run recorded yet',
    });
    assert.equal(enrollments?.rows_written, Number(enrollmentCount));
    assert.equal(enrollments?.last_pk, Number(last));
    assert.equal(typeof externalIds?.seconds, 'number');
  });
});
