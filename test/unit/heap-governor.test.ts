import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getHeapStatistics } from 'node:v8';
import { governHeap } from '../../src/runtime/heap-governor.js';

const until = async (done: () => boolean, what: string, deadlineMs = 20_000): Promise<void> => {
  const end = Date.now() + deadlineMs;
  while (!done()) {
    if (Date.now() > end) throw new Error(`no ${what} within ${deadlineMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

describe('the heap governor', () => {
  it('collects once the heap in use passes its floor, then raises its ceiling with what survived (no collection over and over)', async () => {
    const governor = governHeap(getHeapStatistics().used_heap_size + 8 * 1024 * 1024);
    try {
      const kept = Array.from({ length: 200 }, (_, i) => new Array(10_000).fill(i));
      await until(() => governor.collections() >= 1, 'collection');
      const after = governor.collections();
      await new Promise((resolve) => setTimeout(resolve, 600));
      assert.equal(governor.collections(), after, 'the kept arrays survive each collection: the ceiling must rise above them');
      assert.equal(kept.length, 200);
    } finally {
      governor.stop();
    }
  });
});
