import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * V8 sizes the old generation for throughput: it lets it grow to about four times what survived
 * the last full collection before it collects again. A dump streams rows in pages that are garbage
 * moments later, yet outlive the young generation's scavenges and are promoted; left to V8, its RSS
 * follows that garbage rather than what it holds (about 30 MB). The governor makes a full collection
 * once the heap in use passes 1.5 × what survived the last one (at least 48 MB): a full dump of
 * 2,000,000 enrollments peaked at 142–145 MB instead of 206–212 (Node 20; Node 26: 158–167
 * instead of 298–322), a few % slower at most; a large live set (status over millions of keys)
 * raises the ceiling with it, so it is not collected over and over.
 */

const FLOOR_BYTES = 48 * 1024 * 1024;
const GROWTH = 1.5;
const CHECK_MS = 100;

/** A running governor: how many collections it made; stop() ends it. */
export interface HeapGovernor {
  readonly collections: () => number;
  stop(): void;
}

/**
 * Keeps the young generation at its first size (V8 doubles it up to 32 MB while pages survive its
 * scavenges: memory that holds nothing for long here); returns the full collection V8 keeps for
 * tests (--expose-gc), taken from a new context so no global changes.
 */
function tunedHeapCollector(): () => void {
  setFlagsFromString('--expose-gc');
  setFlagsFromString('--semi-space-growth-factor=1');
  return runInNewContext('gc') as () => void;
}

/** Starts governing this process's heap; the check never keeps the process alive. */
export function governHeap(floorBytes = FLOOR_BYTES): HeapGovernor {
  const collect = tunedHeapCollector();
  let [ceiling, collections] = [floorBytes, 0];
  const timer = setInterval(() => {
    if (getHeapStatistics().used_heap_size < ceiling) return;
    collect();
    collections += 1;
    ceiling = Math.max(floorBytes, getHeapStatistics().used_heap_size * GROWTH);
  }, CHECK_MS).unref();
  return { collections: () => collections, stop: () => clearInterval(timer) };
}
