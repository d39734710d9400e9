import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClickHouseFailure } from '../../src/clickhouse/target.js';
import { AspectsError, Interrupted, LockHeld, RowsLeftOut, RuntimeFailure, UsageError } from '../../src/errors.js';
import { combinedFailure, endsTheRun } from '../../src/pipeline/failures.js';

describe('which failure of one object stops the others', () => {
  it('a signal, a lock taken by another run, or a server unreachable past --retry-for ends the run', () => {
    assert.equal(endsTheRun(new Interrupted('interrupted')), true);
    assert.equal(endsTheRun(new LockHeld('held')), true);
    const unreachable = new ClickHouseFailure('connect ECONNREFUSED 127.0.0.1:8123', true);
    assert.equal(endsTheRun(new RuntimeFailure('user_profile failed', { cause: new Error('insert', { cause: unreachable }) })), true);
    const mysqlGone = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    assert.equal(endsTheRun(new RuntimeFailure('external_id failed', { cause: mysqlGone })), true);
  });

  it('anything of that object alone (rows that do not fit, a replaced table) leaves the others to run', () => {
    const refused = new ClickHouseFailure('Code: 27. Cannot parse input', false);
    assert.equal(endsTheRun(new RuntimeFailure('course_enrollment failed', { cause: refused })), false);
    assert.equal(endsTheRun(new RuntimeFailure('tag failed', { cause: new Error('a ClickHouse table of tag was dropped and created again') })), false);
  });
});

describe('one error for several', () => {
  it('keeps a single error as it is, joins several with the first one\'s exit code', () => {
    const failed = new RuntimeFailure('course_enrollment failed: x');
    assert.equal(combinedFailure([undefined, failed, undefined]), failed);
    assert.equal(combinedFailure([]), undefined);
    const both = combinedFailure([failed, new UsageError('tag not dumped: y'), new RowsLeftOut('1 left out')]) as AspectsError;
    assert.deepEqual([both.message, both.exitCode], ['course_enrollment failed: x; tag not dumped: y; 1 left out', 1]);
    const missingFirst = combinedFailure([new UsageError('tag not dumped: y'), new RowsLeftOut('1 left out')]) as AspectsError;
    assert.equal(missingFirst.exitCode, 2);
  });

  it('an interrupted run exits 130 whatever failed before', () => {
    const joined = combinedFailure([new RuntimeFailure('a failed'), new Interrupted('interrupted: resume with …')]);
    assert.ok(joined instanceof Interrupted);
    assert.equal(joined.message, 'a failed; interrupted: resume with …');
  });
});

describe('ClickHouse out of memory', () => {
  it('is told apart (its advice is smaller inserts, not the same command again), in both spellings of the server', async () => {
    const { memoryExceeded, rowsDoNotFit } = await import('../../src/clickhouse/classify.js');
    assert.equal(memoryExceeded('Code: 241. DB::Exception: Memory limit (for query) exceeded: would use 9.32 GiB (attempt to allocate chunk of 4194304 bytes), maximum: 9.31 GiB'), true);
    assert.equal(memoryExceeded('Code: 241, e.displayText() = DB::Exception: Memory limit (total) exceeded'), true);
    assert.equal(memoryExceeded('Code: 27. DB::Exception: Cannot parse input'), false);
    assert.equal(rowsDoNotFit('Code: 241. DB::Exception: Memory limit (for query) exceeded'), false);
  });
});
