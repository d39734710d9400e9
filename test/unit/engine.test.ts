import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RETIRED_USER, FORCED, UNCHANGED_ROW } from '../../src/pipeline/decision.js';
import type { Destination } from '../../src/pipeline/destinations.js';
import { LaneStopped, runLanes } from '../../src/pipeline/lanes.js';
import type { DecidedPage } from '../../src/pipeline/pages.js';
import { PageWriter, type Retirements } from '../../src/pipeline/page-writer.js';
import { Progress } from '../../src/pipeline/progress.js';
import type { PageRow } from '../../src/pipeline/shape.js';
import { dumpIdOf, identityOfDumpId, newInsertStamp, rowIdentity, rowStamp, stampTime } from '../../src/pipeline/stamp.js';
import { emptyObjectSummary } from '../../src/pipeline/summary.js';
import { unitGrid, unitsOf, type Unit } from '../../src/pipeline/units.js';
import type { RowFilter, KeySpan } from '../../src/lms/keyset.js';
import { courseEnrollment } from '../../src/sinks/course_enrollment.js';
import type { Reporter } from '../../src/output/reporter.js';

const UUID4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('dump ids and stamps', () => {
  it('a dump_id is a version 4 UUID holding the fingerprint and the identity', () => {
    const id = dumpIdOf('0123456789abcde', 'fedcba987654321');
    assert.match(id, UUID4);
    assert.equal(id, '01234567-89ab-4cde-8fed-cba987654321');
    assert.equal(identityOfDumpId(id), 'fedcba987654321');
  });

  it('identities tell apart every key of an insert, negative and large ones too, and change with the insert', () => {
    const stamp = newInsertStamp('2024-05-01 00:00:00+00:00');
    const keys = [-3, -1, 0, 1, 2, 1023, 1024, 1_048_575, 1_048_576, 2 ** 31 - 1, 2 ** 40 + 7, 2 ** 52 - 1, -(2 ** 52)];
    const identities = keys.map((key) => rowIdentity(key, stamp));
    assert.equal(new Set(identities).size, keys.length);
    for (const identity of identities) assert.match(identity, /^[0-9a-f]{15}$/);
    for (let key = 0; key < 5000; key += 1) assert.equal(new Set([rowIdentity(key, stamp), rowIdentity(key + 1, stamp)]).size, 2);
    const other = newInsertStamp('2024-05-01 00:00:00+00:00');
    assert.notEqual(rowIdentity(7, stamp), rowIdentity(7, other));
    assert.equal(rowIdentity('course-v1:a+b+c', stamp), rowIdentity('course-v1:a+b+c', stamp));
    assert.notEqual(rowIdentity('course-v1:a+b+c', stamp), rowIdentity('course-v1:a+b+d', stamp));
    assert.match(rowStamp(5, 'aaaaaaaaaaaaaaa', stamp).dumpId, UUID4);
  });

  it('time_last_dumped is Python\'s str(datetime) and never repeats, even on the same clock reading', () => {
    const clock = Date.UTC(2024, 4, 1, 12, 0, 0) + 0.25;
    const first = stampTime(clock);
    const second = stampTime(clock);
    assert.match(first, /^2024-05-01 12:00:00\.\d{6}\+00:00$/);
    assert.ok(second > first, `${second} after ${first}`);
  });
});

describe('units and lanes', () => {
  const source = courseEnrollment.source;
  const splitUnits = (filter: RowFilter, span: KeySpan, rows: number) => unitsOf(unitGrid(source, filter, span, rows));

  it('units cover the key span exactly once, in order, about a page each', () => {
    const units = splitUnits({}, { rows: 1000, first: 5, last: 1004 }, 100);
    assert.equal(units.length, 10);
    assert.deepEqual(units[0]?.bounds, { after: 4, upTo: 104 });
    assert.equal(units.at(-1)?.bounds.upTo, 1004);
    units.slice(1).forEach((unit, index) => assert.equal(unit.bounds.after, units[index]?.bounds.upTo));
  });

  it('sparse keys make wider units; text keys, --ids and empty spans are one unit', () => {
    const sparse = splitUnits({}, { rows: 10, first: 1, last: 1_000_000 }, 100);
    assert.equal(sparse.length, 1);
    assert.deepEqual(splitUnits({ ids: [1, 2] }, { rows: 2, first: 1, last: 2 }, 1), [{ index: 0, bounds: {} }]);
    assert.deepEqual(splitUnits({}, { rows: 0 }, 100), [{ index: 0, bounds: {} }]);
  });

  /** Units 0..n-1 whose work finishes in reverse order of start. */
  const units = (count: number): Unit[] => Array.from({ length: count }, (_, index) => ({ index, bounds: {} }));
  const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('units read side by side but write in key order, at most `concurrency` at a time', async () => {
    const written: number[] = [];
    let running = 0;
    let most = 0;
    await runLanes(units(8), 3, async (unit, order) => {
      running += 1;
      most = Math.max(most, running);
      await tick(8 - unit.index);
      await order.turn(unit.index);
      written.push(unit.index);
      running -= 1;
    });
    assert.deepEqual(written, [0, 1, 2, 3, 4, 5, 6, 7]);
    assert.equal(most, 3);
  });

  it('each running unit has a lane of its own; lanes are reused and remember that they have read', async () => {
    const seen: { unit: number; lane: number; paced: boolean }[] = [];
    const busy = new Set<number>();
    await runLanes(units(6), 2, async (unit, order, lane) => {
      assert.ok(!busy.has(lane.index), 'two units on one lane at once');
      busy.add(lane.index);
      seen.push({ unit: unit.index, lane: lane.index, paced: lane.paced });
      lane.paced = true;
      await tick(6 - unit.index);
      await order.turn(unit.index);
      busy.delete(lane.index);
    });
    assert.deepEqual(seen.slice(0, 2), [{ unit: 0, lane: 0, paced: false }, { unit: 1, lane: 1, paced: false }]);
    assert.ok(seen.slice(2).every((entry) => entry.paced), 'a lane\'s later units pause before reading');
  });

  it('a failure lets the units before it write and stops those after it; the earliest failure is thrown', async () => {
    const written: number[] = [];
    const failing = runLanes(units(6), 6, async (unit, order) => {
      if (unit.index === 4) throw new Error('unit 4 failed');
      await tick(5);
      if (unit.index === 2) throw new Error('unit 2 failed');
      await order.turn(unit.index);
      written.push(unit.index);
    });
    await assert.rejects(failing, /unit 2 failed/);
    assert.deepEqual(written, [0, 1]);
    const stopped = runLanes(units(3), 3, async (unit, order) => {
      if (unit.index === 0) order.stop(0);
      await order.turn(unit.index);
      written.push(10 + unit.index);
    });
    await stopped;
    assert.deepEqual(written.slice(2), [10]);
    assert.ok(new LaneStopped() instanceof Error);
  });
});

/** A page of enrollment rows `keys`, all to be written; user id = key. */
function page(keys: number[], dump = keys): DecidedPage {
  const chunk = Buffer.from('1,"x"');
  const rows: PageRow[] = dump.map((key) => ({ key, keyText: String(key), chunk, start: 0, end: chunk.length, user: key, cursor: null, fingerprint: 'f'.repeat(15) }));
  return { read: keys.length, decided: keys.map((key) => ({ key, decision: dump.includes(key) ? FORCED : UNCHANGED_ROW })), rows, lastKey: keys.at(-1) as number };
}

/** What a destination was given, page by page. */
class RecordedDestination implements Destination {
  readonly writes: { keys: number[]; mark: unknown }[] = [];
  holds = 0;
  async hold(): Promise<void> { this.holds += 1; }
  async write(rows: readonly PageRow[], mark: unknown): Promise<void> { this.writes.push({ keys: rows.map((row) => row.key as number), mark }); }
  async flush(): Promise<void> {}
  failedBatch(): never { throw new Error('not used'); }
}

const quietReporter = { decision: () => undefined, batchDone: () => undefined } as unknown as Reporter;

describe('pages written in their turn', () => {
  function writer(limit?: number, retiredUsers: number[] = []) {
    const summary = emptyObjectSummary('course_enrollment', 'course_enrollment');
    const destination = new RecordedDestination();
    const retirements = { refresh: async () => undefined, retired: (row: PageRow) => retiredUsers.includes(row.user as number) } as unknown as Retirements;
    const progress = new Progress(courseEnrollment, summary, quietReporter, 100, () => false);
    const pages = new PageWriter({ destination, progress, guard: { ensureRunLocks: async () => undefined, writeLock: () => undefined }, limit, retirements });
    return { pages, destination, summary };
  }

  it('--limit reads whole pages and writes exactly N rows; the cut row is where the object is complete up to', async () => {
    const { pages, destination, summary } = writer(5);
    assert.equal(await pages.write(page([1, 2, 3, 4], [1, 3])), true);
    assert.equal(await pages.write(page([5, 6, 7, 8, 9], [5, 6, 8, 9])), false);
    assert.deepEqual(destination.writes, [{ keys: [1, 3], mark: 4 }, { keys: [5, 6, 8], mark: 8 }]);
    assert.equal(summary.rows_read, 9);
    assert.deepEqual(summary.decisions, { dumped: { 'forced with --force': 5 }, skipped: { 'unchanged since the last dump': 3 } });
  });

  it('rows of retired users are dropped under the write lock and counted as such', async () => {
    const { pages, destination, summary } = writer(undefined, [2]);
    await pages.write(page([1, 2, 3]));
    assert.deepEqual(destination.writes, [{ keys: [1, 3], mark: 3 }]);
    assert.equal(destination.holds, 1);
    assert.equal(summary.decisions.skipped[RETIRED_USER.reason], 1);
  });
});
