import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { describe, it } from 'node:test';
import { createTestEventSink, type TestEventSink } from '../support/clickhouse.js';
import { oneErrorLine, runAspects, startAspects } from '../support/cli.js';
import type { TestLms } from '../support/env.js';
import { assertSameRows, expectedRows } from '../support/expected.js';
import { retireInLms } from '../support/retirement-fixture.js';
import { cliEnv, jsonSummary, onLmsAndSink, scalar } from '../support/scenario.js';
import { copies, logged } from './support.js';

// Overlap: a cron run meeting a manual one, and retire meeting a dump. Real MariaDB locks, real ClickHouse.
describe('one dump of an object at a time, shared through the LMS database', () => {
  let lms: TestLms;
  let sink: TestEventSink;
  onLmsAndSink({ users: 1500 }, (made) => ({ lms, sink } = made));
  const slow = ['dump', '--object', 'course_enrollment', 'user_profile', '--batch-size', '200', '--sleep-time', '0.2', '--json'];

  it('a second dump is refused with exit 75 naming the holder; the first lands every row once', async () => {
    const env = cliEnv(lms, sink);
    const first = startAspects(slow, env);
    await logged(first, /course_enrollment: batch 1,/);
    const second = await runAspects(['dump', '--object', 'user_profile', '--sleep-time', '0'], env);
    assert.equal(second.code, 75, second.stderr);
    const line = oneErrorLine(second);
    assert.match(line, new RegExp(`^aspects: user_profile is locked by aspects dump of course_enrollment,user_profile on host ${hostname()}, pid \\d+, since \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ \\(MySQL connection \\d+`));
    assert.match(line, /wait for it with --wait-lock/);
    const done = await first.done;
    assert.equal(done.code, 0, done.stderr);
    const enrollments = await scalar(lms, 'SELECT COUNT(*) FROM student_courseenrollment');
    assert.deepEqual(await copies(sink, 'course_enrollment'), { rows: enrollments, keys: enrollments });
    assert.deepEqual(await copies(sink, 'user_profile'), { rows: 1500, keys: 1500 });
  });

  it('--object all meeting a run that holds some objects dumps the others (exit 0, the held ones named); exit 75 only when all are held', async () => {
    const fresh = await createTestEventSink();
    const env = cliEnv(lms, fresh);
    const first = startAspects(['dump', '--object', 'course_enrollment', 'user_profile', '--batch-size', '200', '--sleep-time', '0.5'], env);
    await logged(first, /course_enrollment: batch 1,/);
    const allHeld = await runAspects(['dump', '--object', 'user_profile', 'course_enrollment', '--sleep-time', '0'], env);
    assert.equal(allHeld.code, 75, allHeld.stderr);
    assert.match(oneErrorLine(allHeld), /^aspects: course_enrollment is locked by aspects dump of course_enrollment,user_profile .*; user_profile is locked by aspects dump of course_enrollment,user_profile .*; wait for it with --wait-lock/);
    const others = await runAspects(['dump', '--object', 'user_profile', 'external_id', 'course_enrollment', '--sleep-time', '0', '--json'], env);
    assert.equal(others.code, 0, others.stderr);
    const summary = jsonSummary(others);
    assert.deepEqual(summary.objects.map((each) => [each.object, each.status]), [['external_id', 'success']]);
    assert.deepEqual(summary.skipped.map((each) => each.object).sort(), ['course_enrollment', 'user_profile']);
    for (const each of summary.skipped as unknown as { reason: string }[]) assert.match(each.reason, /^locked by aspects dump of course_enrollment,user_profile on host .*; the next run dumps it$/);
    assert.match(others.stderr, / skipping user_profile: locked by aspects dump of course_enrollment,user_profile /);
    assert.equal((await first.done).code, 0);
    const externalIds = await scalar(lms, 'SELECT COUNT(*) FROM external_user_ids_externalid');
    assert.deepEqual(await copies(fresh, 'external_id'), { rows: externalIds, keys: externalIds });
    assert.deepEqual(await copies(fresh, 'user_profile'), { rows: 1500, keys: 1500 });
    await fresh.drop();
  });

  it('with --wait-lock the second waits, then finds nothing left to write', async () => {
    const env = cliEnv(lms, sink);
    await lms.db.query("UPDATE auth_userprofile SET city = 'Lyon (moved)' WHERE id BETWEEN 1 AND 50");
    const first = startAspects(slow, env);
    await logged(first, /user_profile: batch 1,/);
    const second = await runAspects(['dump', '--object', 'user_profile', '--sleep-time', '0', '--wait-lock', '--json'], env);
    const done = await first.done;
    assert.equal(done.code, 0, done.stderr);
    assert.equal(second.code, 0, second.stderr);
    const [profiles] = jsonSummary(second).objects;
    assert.equal(profiles?.rows_written, 0);
    assert.equal(jsonSummary(done).objects.find((each) => each.object === 'user_profile')?.rows_written, 50);
    assert.deepEqual(await copies(sink, 'user_profile'), { rows: 1550, keys: 1500 });
    const latest = await sink.rows(`SELECT * FROM ${sink.database}.user_profile WHERE (id, time_last_dumped) IN `
      + `(SELECT id, max(time_last_dumped) FROM ${sink.database}.user_profile GROUP BY id)`);
    assertSameRows(latest, await expectedRows(lms.db, 'user_profile'), 'id');
  });

  it('--wait-lock=SECONDS gives up with exit 75 when the holder takes longer', async () => {
    const env = cliEnv(lms, sink);
    const first = startAspects([...slow, '--force'], env);
    await logged(first, /course_enrollment: batch 1,/);
    const second = await runAspects(['dump', '--object', 'course_enrollment', '--wait-lock=1'], env);
    assert.equal(second.code, 75, second.stderr);
    assert.match(oneErrorLine(second), /course_enrollment is locked by aspects dump/);
    assert.equal((await first.done).code, 0);
  });
});

describe('retire while a dump of the PII objects runs', () => {
  let lms: TestLms;
  let sink: TestEventSink;
  onLmsAndSink({ users: 1200 }, (made) => ({ lms, sink } = made));

  it('no row of a user retire verified lands afterwards, whatever the running dump had read', async () => {
    const env = cliEnv(lms, sink);
    const dump = startAspects(['dump', '--object', 'user_profile', 'external_id', '--batch-size', '100', '--sleep-time', '0.2'], env);
    await logged(dump, /user_profile: batch 2,/);
    // One user the dump has written already, two it has not reached yet.
    const users = [150, 700, 1100];
    for (const [index, id] of users.entries()) await retireInLms(lms.db, id, index === 1 ? 'cleaned-up' : 'requested');
    const retire = await runAspects(['retire', '--user-ids', ...users.map(String), '--json'], env);
    assert.equal(retire.code, 0, retire.stderr);
    assert.equal(JSON.parse(retire.stdout.trim()).status, 'success');
    const done = await dump.done;
    assert.equal(done.code, 0, done.stderr);
    for (const table of ['user_profile', 'external_id']) {
      const [row] = await sink.rows(`SELECT count() AS n FROM ${sink.database}.${table} WHERE user_id IN (${users.join(', ')})`);
      assert.equal(Number(row?.n), 0, `${table} holds rows of retired users`);
    }
    assert.deepEqual(await copies(sink, 'user_profile'), { rows: 1197, keys: 1197 });
  });
});
