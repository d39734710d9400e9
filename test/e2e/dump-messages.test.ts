import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { TestEventSink } from '../support/clickhouse.js';
import { BIN, oneErrorLine, runAspects } from '../support/cli.js';
import type { TestLms } from '../support/env.js';
import { retireInLms } from '../support/retirement-fixture.js';
import { cliEnv, jsonSummary, onLmsAndSink } from '../support/scenario.js';

/** Runs the CLI with its stdout on /dev/full (a full disk): the exit code and stderr. */
function onFullDisk(args: string[], env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const full = openSync('/dev/full', 'w');
  const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', full, 'pipe'] });
  closeSync(full);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8'); });
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stderr })));
}

// What dump says must be true: found by an operator reading its lines at 3 a.m.
describe('aspects dump tells the truth in its lines', () => {
  let lms: TestLms;
  let sink: TestEventSink;
  onLmsAndSink({ users: 60 }, (made) => ({ lms, sink } = made));
  const dump = (...args: string[]) => runAspects(['dump', '--sleep-time', '0', ...args], cliEnv(lms, sink));

  it('a batch line counts the rows streaming into the open insert apart from those written', async () => {
    const result = await dump('--object', 'user_profile', '--batch-size', '20');
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /user_profile: batch 1, read 20\/60, written 0 \(\+20 in the open insert\), last pk 20$/m);
    assert.match(result.stderr, /user_profile: success, 60 rows written$/m);
  });

  it('JSON log lines carry a level; the JSON summary says when, where and which version', async () => {
    const result = await dump('--object', 'external_id', '--log-format', 'json', '--json');
    assert.equal(result.code, 0, result.stderr);
    const events = result.stderr.trim().split('\n').map((line) => JSON.parse(line) as { level: string; event: string });
    assert.ok(events.length > 2);
    for (const event of events) assert.equal(event.level, event.event === 'decision' ? 'debug' : 'info', JSON.stringify(event));
    const summary = jsonSummary(result) as unknown as Record<string, string>;
    assert.match(summary.version ?? '', /^\d+\.\d+\.\d+/);
    assert.ok((summary.host ?? '').length > 0);
    assert.ok(Date.parse(summary.started_at ?? '') <= Date.parse(summary.finished_at ?? ''), JSON.stringify(summary));
  });

  it('--dry-run lists the rows it would write, not every unchanged one (--verbose does)', async () => {
    await lms.db.query("UPDATE auth_userprofile SET city = 'Changed' WHERE id = 7");
    const dry = await dump('--object', 'user_profile', '--dry-run');
    assert.equal(dry.code, 0, dry.stderr);
    const decisions = dry.stderr.split('\n').filter((line) => / user_profile \d+: (dump|skip) - /.test(line));
    assert.deepEqual(decisions.map((line) => line.replace(/^\S+ /, '')), ['user_profile 7: dump - changed since the last dump']);
    const verbose = await dump('--object', 'user_profile', '--dry-run', '--verbose');
    assert.equal(verbose.stderr.split('\n').filter((line) => / user_profile \d+: (dump|skip) - /.test(line)).length, 60);
  });

  it('--ids with --start-pk counts only the keys after it as requested', async () => {
    const result = await dump('--object', 'course_enrollment', '--ids', '1', '2', '3', '--start-pk', '2', '--json');
    assert.equal(result.code, 0, result.stderr);
    const [object] = jsonSummary(result).objects;
    assert.deepEqual([object?.keys_requested, object?.keys_found], [1, 1]);
    assert.doesNotMatch(result.stderr, /requested keys found/);
  });

  it('rows of retired learners are counted as such in the text summary, not as unchanged', async () => {
    await retireInLms(lms.db, 3, 'requested');
    const result = await dump('--object', 'user_profile', '--force');
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^user_profile: success, read 60, wrote 59, 1 of retired learners left out in 1 batch/m);
    const json = await dump('--object', 'user_profile', '--json');
    const [object] = jsonSummary(json).objects;
    assert.equal(object?.rows_unchanged, 59);
  });

  it('--quiet with --verbose is refused (exit 2); PII switched off says so truly', async () => {
    const both = await dump('--object', 'user_profile', '--quiet', '--verbose');
    assert.equal(both.code, 2, both.stderr);
    assert.match(oneErrorLine(both), /^aspects: --quiet leaves out the lines --verbose asks for; choose one$/);
    const off = await runAspects(['dump', '--object', 'all', '--dry-run', '--sleep-time', '0'], { ...cliEnv(lms, sink), ASPECTS_ENABLE_PII: 'false' });
    assert.equal(off.code, 0, off.stderr);
    assert.match(off.stderr, /skipping user_profile: holds PII and ASPECTS_ENABLE_PII is not true$/m);
  });

  it('a summary that cannot be written (stdout on a full disk) is a failure said on stderr, not exit 0', async () => {
    const result = await onFullDisk(['dump', '--object', 'course_enrollment', '--sleep-time', '0', '--json'], cliEnv(lms, sink));
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /^aspects: cannot write to standard output \(ENOSPC\): what the command printed there is lost$/m);
    const version = await onFullDisk(['--version'], {});
    assert.equal(version.code, 1, version.stderr);
  });

  it('--version names the version, the build, Node.js and the embedded engine', async () => {
    const result = await runAspects(['--version']);
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.trim().split('\n');
    assert.match(lines[0] ?? '', /^aspects \d+\.\d+\.\d+( \(build [0-9a-f]{12}\))?$/);
    assert.equal(lines[1], `Node.js ${process.version}`);
    assert.match(lines[2] ?? '', /^embedded ClickHouse \(chdb\): (installed|not installed \(.*--omit=optional\))$/);
  });
});
