import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pythonSetOrder } from '../../src/format/python-set.js';

// Expected lists are CPython 3.11's own `list(set(values))`, printed and pasted here.
describe('list(set(ids)) in CPython iteration order', () => {
  it('follows hash slots, collisions and insertion order as CPython does', () => {
    const cases: readonly [number[], number[]][] = [
      [[1, 8], [8, 1]],
      [[8, 1], [8, 1]],
      [[1, 8, 16], [8, 1, 16]],
      [[16, 8, 1], [16, 8, 1]],
      [[17, 9, 1], [17, 9, 1]],
      [[1, 9, 17], [1, 9, 17]],
      [[3, 11, 19, 27, 35], [3, 35, 11, 19, 27]],
      [[0, 8, 16, 24, 32, 40, 48], [0, 32, 8, 40, 16, 48, 24]],
      [[123456, 7, 99, 1024, 65536, 5], [123456, 1024, 65536, 99, 5, 7]],
    ];
    for (const [values, expected] of cases) assert.deepEqual(pythonSetOrder(values), expected, JSON.stringify(values));
  });

  it('drops repeats and survives the table growing several times', () => {
    const ids = Array.from({ length: 20 }, (_, index) => 100 + index);
    assert.deepEqual(pythonSetOrder([...ids, ...ids]), ids);
    assert.deepEqual(pythonSetOrder([]), []);
  });
});
