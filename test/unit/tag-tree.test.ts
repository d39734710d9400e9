import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DataError } from '../../src/errors.js';
import { TagTree } from '../../src/lms/tag-tree.js';

const node = (parent: number | null, value: string, storedLineage: string | null = null) => ({ parent, value, storedLineage });

describe('tag tree', () => {
  const tree = new TagTree(new Map([
    [1, node(null, 'Wind instruments')],
    [11, node(1, 'Brass')],
    [111, node(11, 'Trumpet')],
    [5, node(null, 'Stored', 'Stored\t')],
    [51, node(5, 'Child', 'Stored\tChild\t')],
    [9, node(404, 'Parent deleted')],
  ]));

  it('walks parents for the lineage, root first', () => {
    assert.deepEqual(tree.lineage(111), ['Wind instruments', 'Brass', 'Trumpet']);
    assert.deepEqual(tree.lineage(1), ['Wind instruments']);
  });

  it('reads the stored lineage column when the schema has it', () => {
    assert.deepEqual(tree.lineage(51), ['Stored', 'Child']);
  });

  it('gives the chain of ancestor ids, nearest first, stopping at a missing parent', () => {
    assert.deepEqual(tree.chain(111), [111, 11, 1]);
    assert.deepEqual(tree.chain(9), [9]);
    assert.equal(tree.has(404), false);
  });

  it('refuses a parent cycle instead of looping', () => {
    const cyclic = new TagTree(new Map([[1, node(2, 'a')], [2, node(1, 'b')]]));
    assert.throws(() => cyclic.lineage(1), DataError);
  });
});
