import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestEventSink } from '../support/clickhouse.js';
import type { TestLms } from '../support/env.js';
import { dumpInto, filledLms, jsonSummary } from '../support/scenario.js';

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const lines = (text: string): string[] => text.split('\n').filter(Boolean);

// What a cron job or a log collector reads on stderr (not a terminal here), per --log-format and --quiet.
describe('aspects dump log lines for cron and log collectors', () => {
  let lms: TestLms;
  const sinks: TestEventSink[] = [];
  before(async () => { lms = await filledLms({ users: 120 }); });
  after(async () => {
    await Promise.all(sinks.map((sink) => sink.drop()));
    await lms.drop();
  });

  async function dump(args: string[]) {
    const run = await dumpInto(lms, ['--object', 'user_profile,course_enrollment', '--batch-size', '50', ...args]);
    sinks.push(run.sink);
    return run.result;
  }

  it('text lines start with an ISO 8601 UTC time', async () => {
    const result = await dump([]);
    assert.equal(result.code, 0, result.stderr);
    const stderr = lines(result.stderr);
    assert.ok(stderr.length >= 4, result.stderr);
    for (const line of stderr) assert.match(line.split(' ')[0] as string, ISO_UTC, line);
    assert.ok(stderr.some((line) => / user_profile: batch 1, read 50\/120, /.test(line)), result.stderr);
  });

  it('--log-format json: one JSON object per line with time and event; the summary still on stdout', async () => {
    const result = await dump(['--log-format', 'json', '--json']);
    assert.equal(result.code, 0, result.stderr);
    const events = lines(result.stderr).map((line) => JSON.parse(line) as Record<string, unknown>);
    for (const event of events) assert.match(String(event.time), ISO_UTC);
    const batches = events.filter((event) => event.event === 'batch' && event.object === 'user_profile');
    assert.deepEqual(batches.map((event) => event.rows_read), [50, 100, 120]);
    const finished = events.find((event) => event.event === 'object_finished' && event.object === 'course_enrollment');
    assert.equal(finished?.status, 'success');
    assert.equal(jsonSummary(result).status, 'success');
  });

  it('--quiet: nothing on stderr for a clean run, the summary on stdout', async () => {
    const result = await dump(['--quiet', '--json']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, '');
    assert.deepEqual(jsonSummary(result).objects.map((entry) => entry.rows_written), [120, Number(jsonSummary(result).objects[1]?.rows_read)]);
    const dry = await dump(['--quiet', '--dry-run']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.equal(dry.stderr, '', 'a quiet dry run lists no row');
    assert.match(dry.stdout, /^user_profile: success, read 120, would write 120 in 3 batches, \d+\.\ds, last pk 120$/m);
  });

  it('--limit: lines count toward the limit, and the run does not pause again once it is reached', async () => {
    const started = performance.now();
    // A 60 s pause between reads: a run that paused after its last page would take a minute.
    const result = await dump(['--limit', '30', '--sleep-time', '60']);
    assert.equal(result.code, 0, result.stderr);
    assert.ok(performance.now() - started < 45_000, 'the run paused after reaching --limit');
    assert.match(result.stderr, / user_profile: 120 rows to read, stopping after 30 rows written \(--limit\)$/m);
    assert.match(result.stderr, / user_profile: batch 1, read 50\/120, written 30 of --limit 30, last pk 30$/m);
    assert.match(result.stderr, / course_enrollment: success, 30 rows written$/m);
    assert.match(result.stderr, / user_profile: success, 30 rows written$/m);
  });

  it('a failure with --log-format json is a JSON line too, and --json still prints a document', async () => {
    const result = await dump(['--log-format', 'json', '--json', '--clickhouse-database', 'no_such_database']);
    assert.equal(result.code, 1);
    const last = JSON.parse(lines(result.stderr).pop() as string) as Record<string, unknown>;
    assert.deepEqual([last.event, last.exit_code], ['error', 1]);
    assert.match(String(last.message), /no_such_database\.user_profile does not exist/);
    assert.deepEqual(JSON.parse(result.stdout), { command: 'dump', status: 'error', exit_code: 1, error: last.message });
    const usage = await dump(['--log-format', 'json', '--limit', '0']);
    assert.equal(usage.code, 2);
    const [line, ...more] = lines(usage.stderr).map((text) => JSON.parse(text) as Record<string, unknown>);
    assert.deepEqual([line?.event, line?.exit_code, more.length], ['error', 2, 0]);
    assert.match(String(line?.message), /^option '--limit <rows>' argument '0' is invalid/);
  });
});
