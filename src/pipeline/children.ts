import type { References } from '../lms/references.js';
import type { ChildSink } from '../sinks/types.js';
import type { CourseStructure } from '../structure/types.js';
import { newStamp, type ShapedRow, type StampedRow } from './shape.js';

/** Parent rows and the child rows that share their stamps, written together. */
export interface WriteGroup {
  readonly parents: StampedRow[];
  /** Child rows per child sink, in the order of `children`. */
  readonly children: StampedRow[][];
}

/**
 * Stamps each parent row and builds its child rows (from the structure of the parent's key, as
 * ClickHouse stores it) with the same stamp, grouping parents so a
 * group holds about `maxChildRows` child rows (at least one parent): blocks of many courses go
 * out in shared inserts, and memory stays bounded by the batch size.
 */
export function* groupWithChildren(
  rows: readonly ShapedRow[], parentKey: (row: ShapedRow) => string, children: readonly ChildSink[],
  structures: ReadonlyMap<string, CourseStructure>, references: References, timeLastDumped: string, maxChildRows: number,
): Generator<WriteGroup> {
  let group: WriteGroup = { parents: [], children: children.map(() => []) };
  let childRows = 0;
  for (const row of rows) {
    const stamp = newStamp(timeLastDumped);
    const key = parentKey(row);
    const structure = structures.get(key);
    children.forEach((child, index) => {
      const cells = structure ? child.rowsOf(key, structure, references) : [];
      (group.children[index] as StampedRow[]).push(...cells.map((childCells) => ({ cells: childCells, stamp })));
      childRows += cells.length;
    });
    group.parents.push({ cells: row.cells, stamp });
    if (childRows >= maxChildRows) {
      yield group;
      group = { parents: [], children: children.map(() => []) };
      childRows = 0;
    }
  }
  if (group.parents.length > 0) yield group;
}
