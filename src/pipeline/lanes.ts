import pLimit from 'p-limit';
import type { Unit } from './units.js';

/** One of the `--concurrency` lanes: what it has read decides whether its next read waits (--sleep-time). */
export interface Lane {
  readonly index: number;
  /** Whether the lane has read a page: every later read of it pauses first. */
  paced: boolean;
}

/** Thrown to a unit waiting for its turn when an earlier unit stopped the run: it must not write. */
export class LaneStopped extends Error {
  constructor() {
    super('stopped before its turn');
    this.name = 'LaneStopped';
  }
}

/**
 * The order in which units write: each unit's writes wait until every earlier unit has written
 * all of its pages, so what ClickHouse holds is always a prefix of the key order (a stopped run
 * resumes from one key), whatever the lanes read side by side.
 */
export class TurnOrder {
  private readonly finished: Promise<void>[];
  private readonly finish: (() => void)[] = [];
  /** Units after this one never write. */
  private lastWriter = Number.POSITIVE_INFINITY;

  constructor(units: number) {
    this.finished = Array.from({ length: units }, () => new Promise<void>((resolve) => { this.finish.push(resolve); }));
  }

  /** Resolves when unit `index` may write; rejects with LaneStopped when the run stopped before. */
  async turn(index: number): Promise<void> {
    if (index > 0) await this.finished[index - 1];
    if (this.stopsBefore(index)) throw new LaneStopped();
  }

  /** Unit `index` is done writing (or will never write). */
  pass(index: number): void {
    this.finish[index]?.();
  }

  /** No unit after `index` may write. */
  stop(index: number): void {
    this.lastWriter = Math.min(this.lastWriter, index);
  }

  /** Whether unit `index` comes after a unit that stopped the run. */
  stopsBefore(index: number): boolean {
    return index > this.lastWriter;
  }
}

/**
 * Runs `work` for every unit, at most `concurrency` at a time, started in key order. A failure
 * stops the units after it at their turn; once all have settled, the failure of the earliest
 * unit is thrown (the one the key order met first).
 */
export async function runLanes(units: readonly Unit[], concurrency: number, work: (unit: Unit, order: TurnOrder, lane: Lane) => Promise<void>): Promise<void> {
  const order = new TurnOrder(units.length);
  const lanes = Math.max(1, concurrency);
  const limit = pLimit(lanes);
  // p-limit runs at most `lanes` units at once, so a free lane is always there for the next one.
  const free: Lane[] = Array.from({ length: lanes }, (_, index) => ({ index: lanes - 1 - index, paced: false }));
  const failures = new Map<number, unknown>();
  const runUnit = async (unit: Unit): Promise<void> => {
    const lane = free.pop() as Lane;
    try {
      if (!order.stopsBefore(unit.index)) await work(unit, order, lane);
    } catch (error) {
      order.stop(unit.index);
      if (!(error instanceof LaneStopped)) failures.set(unit.index, error);
    } finally {
      free.push(lane);
      order.pass(unit.index);
    }
  };
  await Promise.all(units.map((unit) => limit(runUnit, unit)));
  const first = Math.min(...failures.keys());
  if (failures.has(first)) throw failures.get(first);
}
