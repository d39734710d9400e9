import type { References } from '../lms/references.js';
import type { ChildSink } from '../sinks/types.js';
import type { CourseStructure } from '../structure/types.js';
import { stamped, type ShapedRow, type StampedRow } from './shape.js';
import type { InsertStamp } from './stamp.js';

/** Parent rows and the child rows that share their stamps, written together. */
export interface WriteGroup {
  /** The stamp of the group's inserts. */
  readonly stamp: InsertStamp;
  readonly parents: StampedRow[];
  /** Child rows per child sink, in the order of `children`. */
  readonly children: StampedRow[][];
}

/**
 * Stamps each parent row and builds its child rows (from the structure of the parent's key, as
 * ClickHouse stores it) with the same dump_id and time_last_dumped, grouping parents (each
 * group inserted with a stamp of its own) so a group holds about `maxChildRows` child rows (at least one parent): blocks of many courses go
 * out in shared inserts, and memory stays bounded by the batch size.
 */
export function* groupWithChildren(
  rows: readonly ShapedRow[], parentKey: (row: ShapedRow) => string, children: readonly ChildSink[],
  structures: ReadonlyMap<string, CourseStructure>, references: References, newStamp: () => InsertStamp, maxChildRows: number,
): Generator<WriteGroup> {
  const emptyGroup = (): WriteGroup => ({ stamp: newStamp(), parents: [], children: children.map(() => []) });
  let group = emptyGroup();
  let childRows = 0;
  for (const row of rows) {
    const parent = stamped(row, group.stamp);
    const key = parentKey(row);
    const structure = structures.get(key);
    children.forEach((child, index) => {
      const cells = structure ? child.rowsOf(key, structure, references) : [];
      (group.children[index] as StampedRow[]).push(...cells.map((childCells) => ({ cells: childCells, stamp: parent.stamp })));
      childRows += cells.length;
    });
    group.parents.push(parent);
    if (childRows >= maxChildRows) {
      yield group;
      group = emptyGroup();
      childRows = 0;
    }
  }
  if (group.parents.length > 0) yield group;
}
