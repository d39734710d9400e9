import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { failureFromError, failureFromResponse } from '../../src/clickhouse/classify.js';
import { literal, quoteIdentifier } from '../../src/clickhouse/sql.js';
import { normaliseAliases } from '../../src/cli.js';
import { UsageError } from '../../src/errors.js';
import { planObjects } from '../../src/pipeline/plan.js';
import { backoffDelay, withRetry } from '../../src/pipeline/retry.js';

const NO_PII = { enablePii: false, disabledObjects: new Set<string>() };
const PII = { enablePii: true, disabledObjects: new Set<string>() };

describe('object planning', () => {
  it('refuses a PII object unless PII is enabled, saying how to enable it', () => {
    assert.throws(() => planObjects(['user_profile'], NO_PII), (error: unknown) =>
      error instanceof UsageError && /ASPECTS_ENABLE_PII=true/.test(error.message) && !error.message.includes('\n'));
    assert.deepEqual(planObjects(['user_profile'], PII).sinks.map((sink) => sink.name), ['user_profile']);
  });

  it('lets `all` skip PII objects and switched-off objects with a reason', () => {
    const plan = planObjects(['all'], NO_PII);
    assert.deepEqual(plan.sinks.map((sink) => sink.name), ['course_overviews', 'course_enrollment', 'taxonomy', 'tag', 'object_tag']);
    assert.deepEqual(plan.skipped.map((skip) => skip.object), ['user_profile', 'external_id']);
    const switched = planObjects(['all'], { enablePii: true, disabledObjects: new Set(['external_id']) });
    assert.deepEqual(switched.sinks.map((sink) => sink.name), ['course_overviews', 'user_profile', 'course_enrollment', 'taxonomy', 'tag', 'object_tag']);
  });

  it('refuses unknown objects and an empty selection', () => {
    assert.throws(() => planObjects(['courses'], PII), /unknown object "courses"; choose from course_overviews, user_profile/);
    assert.throws(() => planObjects([], PII), UsageError);
  });

  it('dumps each named object once, in the order given', () => {
    assert.deepEqual(planObjects(['course_enrollment', 'external_id', 'course_enrollment'], PII).sinks.map((sink) => sink.name), ['course_enrollment', 'external_id']);
  });
});

describe('retries', () => {
  const policy = { budgetMs: 60_000, retries: 3, baseDelayMs: 1, maxDelayMs: 4 };

  it('backs off exponentially with jitter, bounded', () => {
    const big = { budgetMs: 120_000, baseDelayMs: 500, maxDelayMs: 15_000 };
    assert.equal(backoffDelay(big, 1, () => 0), 250);
    assert.equal(backoffDelay(big, 1, () => 1), 500);
    assert.equal(backoffDelay(big, 3, () => 1), 2000);
    assert.equal(backoffDelay(big, 9, () => 1), 15_000);
  });

  it('retries transient failures until one succeeds', async () => {
    let calls = 0;
    const seen: number[] = [];
    const result = await withRetry(async () => {
      calls += 1;
      if (calls < 3) throw new Error('reset');
      return 'ok';
    }, () => true, policy, (attempt) => seen.push(attempt));
    assert.equal(result, 'ok');
    assert.deepEqual(seen, [1, 2]);
  });

  it('gives up after the bound and never retries permanent failures', async () => {
    let calls = 0;
    await assert.rejects(withRetry(async () => { calls += 1; throw new Error('down'); }, () => true, policy), /down/);
    assert.equal(calls, 4);
    calls = 0;
    await assert.rejects(withRetry(async () => { calls += 1; throw new Error('bad row'); }, () => false, policy), /bad row/);
    assert.equal(calls, 1);
  });

  it('without --retries, retries for the time budget and then gives up', async () => {
    let calls = 0;
    const started = Date.now();
    const byTime = { budgetMs: 150, baseDelayMs: 1, maxDelayMs: 2 };
    await assert.rejects(withRetry(async () => { calls += 1; throw new Error('down'); }, () => true, byTime), /down/);
    assert.ok(calls >= 3, `only ${calls} attempts`);
    assert.ok(Date.now() - started >= 148, 'gave up before the budget was spent');
  });

  it('stops retrying once the run is aborted', async () => {
    const controller = new AbortController();
    let calls = 0;
    const failing = async () => { calls += 1; if (calls === 2) controller.abort(); throw new Error('down'); };
    await assert.rejects(withRetry(failing, () => true, { budgetMs: 60_000, baseDelayMs: 1, maxDelayMs: 1 }, undefined, controller.signal), /down/);
    assert.equal(calls, 2);
  });
});

describe('ClickHouse failure classification', () => {
  it('treats overload and network codes as transient, data errors as permanent', () => {
    assert.equal(failureFromResponse(500, 'Code: 27, e.displayText() = DB::Exception: Cannot parse input').transient, false);
    assert.equal(failureFromResponse(500, 'Code: 252. DB::Exception: Too many parts (300). (TOO_MANY_PARTS)').transient, true);
    assert.equal(failureFromResponse(516, 'Code: 516. DB::Exception: default: Authentication failed. (AUTHENTICATION_FAILED)').transient, false);
    assert.equal(failureFromResponse(503, '<html>Service Unavailable</html>').transient, true);
    assert.equal(failureFromResponse(404, 'Not found').transient, false);
    assert.equal(failureFromError(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })).transient, true);
    assert.equal(failureFromError(new Error('Timeout error.')).transient, true);
  });

  it('retries ZooKeeper trouble of replicated tables, whatever code it comes with', () => {
    assert.equal(failureFromResponse(500, 'Code: 225, e.displayText() = DB::Exception: ZooKeeper session has been expired., e.what() = DB::Exception').transient, true);
    assert.equal(failureFromResponse(500, 'Code: 999, e.displayText() = Coordination::Exception: Connection loss').transient, true);
    assert.equal(failureFromResponse(500, 'Code: 242, e.displayText() = DB::Exception: Table is in readonly mode').transient, true);
    assert.equal(failureFromResponse(500, 'Code: 49, e.displayText() = DB::Exception: Cannot do x: Session expired, e.what() = DB::Exception').transient, true);
  });

  it('shows a gateway\'s HTML page as its words, and keeps a server\'s whole message without its stack trace', () => {
    assert.equal(failureFromResponse(503, '<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this request.\n</body></html>\n').message,
      'HTTP 503: 503 Service Unavailable No server is available to handle this request.');
    const failure = failureFromResponse(500, 'Code: 42, e.displayText() = DB::Exception: Storage ReplicatedMergeTree requires 2 parameters: \npath in ZooKeeper,\nreplica name\n\nStack trace:\n0. clickhouse-server(StackTrace::StackTrace()+0x16)\n');
    assert.equal(failure.message, 'Code: 42, e.displayText() = DB::Exception: Storage ReplicatedMergeTree requires 2 parameters:');
    assert.equal(failure.detail, 'Code: 42, e.displayText() = DB::Exception: Storage ReplicatedMergeTree requires 2 parameters: path in ZooKeeper, replica name');
  });

  it('keeps the first line of a server message', () => {
    assert.equal(failureFromResponse(500, 'Code: 60, e.displayText() = DB::Exception: Table x.y doesn\'t exist., e.what() = DB::Exception\n').message,
      'Code: 60, e.displayText() = DB::Exception: Table x.y doesn\'t exist.');
  });
});

describe('SQL building blocks', () => {
  it('quotes only plain identifiers and escapes literals', () => {
    assert.equal(quoteIdentifier('order'), '`order`');
    assert.throws(() => quoteIdentifier('a`; DROP'), UsageError);
    assert.equal(literal(42), '42');
    assert.equal(literal('284104'), "'284104'");
    assert.equal(literal("o'brien\\"), "'o\\'brien\\\\'");
  });
});

describe('plugin flag spellings', () => {
  it('maps snake_case flags onto ours, with or without =', () => {
    assert.deepEqual(normaliseAliases(['dump', '--batch_size', '5', '--sleep_time=0', '--ids_to_skip', '3', '--start_pk', '9', '--dry_run', '--ids', '1']),
      ['dump', '--batch-size', '5', '--sleep-time=0', '--skip-ids', '3', '--start-pk', '9', '--dry-run', '--ids', '1']);
  });
});
