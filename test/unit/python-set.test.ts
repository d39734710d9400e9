import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pythonSetOrder } from '../../src/format/python-set.js';
import { cpythonSetOrders } from '../support/python.js';

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

  it('places negative ints as CPython does (hash(-1) == hash(-2) == -2, the hash taken as an unsigned word)', () => {
    const sequences = [
      [5, 16, -1, 24, -2], [5, 16, -2, 24, -1], [-1, -2], [-2, -1], [-3, -1, -9, 7, -17, 0],
      Array.from({ length: 40 }, (_, index) => (index % 3 === 0 ? -index : index * 7) - 1),
      [-(2 ** 40), 2 ** 40, -(2 ** 52), 3, -8, -16, -24],
    ];
    const expected = cpythonSetOrders(sequences);
    sequences.forEach((values, index) => assert.deepEqual(pythonSetOrder(values), expected[index], JSON.stringify(values)));
  });

  it('drops repeats and survives the table growing several times', () => {
    const ids = Array.from({ length: 20 }, (_, index) => 100 + index);
    assert.deepEqual(pythonSetOrder([...ids, ...ids]), ids);
    assert.deepEqual(pythonSetOrder([]), []);
  });
});
