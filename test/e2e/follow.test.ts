import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestEventSink, type TestEventSink } from '../support/clickhouse.js';
import { oneErrorLine, runAspects, startAspects } from '../support/cli.js';
import type { TestLms } from '../support/env.js';
import { FOLLOWED, binlogScenario, caughtUp, endBinlogScenario, startFollow, started, stopFollow, twiceWritten, type BinlogScenario } from '../support/follow.js';
import { cliEnv, filledLms, scalar } from '../support/scenario.js';
import { waitUntil } from '../support/servers.js';

/**
 * aspects follow against a real MariaDB writing a row binlog (a throwaway mariadbd with
 * --log-bin), into the ClickHouse 18.16 server: snapshot, then the stream; joins; a retired
 * learner; kill -9 and restart; a purged binlog.
 */

describe('aspects follow: snapshot, then the binlog, exactly once', () => {
  let made: BinlogScenario | undefined;
  let lms: TestLms;
  let sink: TestEventSink;
  before(async () => {
    made = await binlogScenario(60);
    ({ lms, sink } = made);
  });
  after(() => endBinlogScenario(made));

  it('takes a snapshot, then writes each committed change once, joins and deletes included', async () => {
    const running = await startFollow(lms, sink);
    assert.match(running.stderr(), /follow: snapshot first \(no common checkpoint\)/);
    await caughtUp(sink, lms, running);
    const before = await sink.count('course_enrollment');
    await lms.db.query("UPDATE student_courseenrollment SET mode = 'verified-1' WHERE id IN (2, 4)");
    await lms.db.query("INSERT INTO student_courseenrollment (course_id, created, is_active, mode, user_id) VALUES ('course-v1:F+F1+2026', NULL, 1, 'audit', 7)");
    await lms.db.query("UPDATE auth_user SET username = 'renamed_learner_9' WHERE id = 9");
    await lms.db.query('UPDATE auth_user SET last_login = UTC_TIMESTAMP(6) WHERE id BETWEEN 10 AND 20');
    await lms.db.query('DELETE FROM student_courseenrollment WHERE id = 6');
    await caughtUp(sink, lms, running);
    const enrollmentsOf9 = await scalar(lms, 'SELECT COUNT(*) FROM student_courseenrollment WHERE user_id = 9');
    const stderr = await stopFollow(running);
    assert.equal((await sink.rows(`SELECT count() AS n FROM ${sink.database}.course_enrollment WHERE id = 6`))[0]?.n, '1', 'a row deleted in the LMS is kept, as dump keeps it');
    assert.equal(await sink.count('course_enrollment'), before + 2 + 1 + enrollmentsOf9, 'two changed, one new, and the renamed learner\'s enrollments; a login changes nothing');
    for (const object of FOLLOWED) assert.equal(await twiceWritten(sink, object), 0, object);
    assert.match(stderr, /follow: \d+ transactions: course_enrollment \d+ written/);
    assert.match(stderr, /lag \d+\.\d s, \d+ transactions waiting; checkpoint 0-1-\d+/);
  });

  it('a restart goes on from the checkpoint: changes made while it was stopped land once', async () => {
    await lms.db.query("UPDATE student_courseenrollment SET mode = 'while-stopped' WHERE id = 3");
    const status = await runAspects(['status', '--object', 'course_enrollment', '--json'], cliEnv(lms, sink));
    const [enrollments] = JSON.parse(status.stdout).objects as Record<string, unknown>[];
    assert.match(String(enrollments?.follow_checkpoint), /^0-1-\d+$/);
    assert.equal(enrollments?.follow_transactions_behind, 1, 'one transaction committed since the checkpoint');
    const running = await startFollow(lms, sink);
    assert.match(running.stderr(), /follow: going on from checkpoint 0-1-\d+/);
    await caughtUp(sink, lms, running);
    await stopFollow(running);
    for (const object of FOLLOWED) assert.equal(await twiceWritten(sink, object), 0, object);
  });

  it('kill -9 mid-stream, then a restart: nothing lost, nothing twice', async () => {
    const first = await startFollow(lms, sink);
    for (let step = 1; step <= 40; step += 1) {
      await lms.db.query('UPDATE student_courseenrollment SET mode = ? WHERE id = ?', [`step-${step}`, 10 + (step % 7)]);
      if (step === 20) await waitUntil(async () => /follow: \d+ transactions/.test(first.stderr()), 'a batch written', 60_000);
    }
    first.kill('SIGKILL');
    await first.done;
    await lms.db.query("UPDATE student_courseenrollment SET mode = 'after-the-kill' WHERE id = 30");
    const second = await startFollow(lms, sink);
    await caughtUp(sink, lms, second);
    await stopFollow(second);
    for (const object of FOLLOWED) assert.equal(await twiceWritten(sink, object), 0, object);
  });

  it('a purged binlog says a new snapshot is needed; --snapshot takes one', async () => {
    await lms.db.query("UPDATE student_courseenrollment SET mode = 'before-purge' WHERE id = 31");
    await purgeBinlog(lms);
    const purged = startAspects(['follow', '--object', ...FOLLOWED, '--flush-ms', '200'], cliEnv(lms, sink));
    started.add(purged);
    const result = await Promise.race([purged.done, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`follow did not stop within 60 s: ${purged.stderr()}`)), 60_000))]);
    started.delete(purged);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /a new snapshot is needed; run aspects follow again with --snapshot/);
    const running = await startFollow(lms, sink, '--snapshot');
    await caughtUp(sink, lms, running);
    await stopFollow(running);
    for (const object of FOLLOWED) assert.equal(await twiceWritten(sink, object), 0, object);
  });
});

/** Removes every binlog file but a new one (the server refuses while the old one is needed for crash recovery: asked again until done). */
async function purgeBinlog(lms: TestLms): Promise<void> {
  const [[first]] = await lms.db.query('SHOW BINARY LOGS') as unknown as [{ Log_name: string }[]];
  await waitUntil(async () => {
    await lms.db.query('FLUSH BINARY LOGS');
    const [[newest]] = await lms.db.query('SHOW MASTER STATUS') as unknown as [{ File: string }[]];
    await lms.db.query(`PURGE BINARY LOGS TO '${newest?.File}'`);
    const [logs] = await lms.db.query('SHOW BINARY LOGS') as unknown as [{ Log_name: string }[]];
    return !logs.some((log) => log.Log_name === first?.Log_name);
  }, 'the binlog purged', 30_000);
}

describe('aspects follow refuses a server it cannot read', () => {
  let lms: TestLms;
  let sink: TestEventSink;
  before(async () => {
    lms = await filledLms({ users: 5 });
    sink = await createTestEventSink();
  });
  after(async () => {
    await sink?.drop();
    await lms?.drop();
  });

  it('names what to change in one line (exit 2) when the binlog is off', async () => {
    const result = await runAspects(['follow', '--object', 'course_enrollment'], cliEnv(lms, sink));
    assert.equal(result.code, 2, result.stderr);
    assert.match(oneErrorLine(result), /^aspects: aspects follow cannot read the LMS binlog: log_bin is OFF, not ON: start the server with --log-bin/);
  });

  it('refuses objects it cannot keep current, naming those it can', async () => {
    const result = await runAspects(['follow', '--object', 'course_overviews'], cliEnv(lms, sink));
    assert.equal(result.code, 2);
    assert.match(oneErrorLine(result), /follow keeps user_profile, external_id, course_enrollment, taxonomy current from the binlog; course_overviews is kept current by aspects dump \(cron\)/);
  });
});
