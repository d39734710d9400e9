import { encodeFields } from '../format/cell.js';
import type { References } from '../lms/references.js';
import type { ChildSink } from '../sinks/types.js';
import type { CourseStructure } from '../structure/types.js';
import type { HeldRow, PageRow } from './shape.js';
import { childIdentity, identityOfDumpId, rowStamp, type InsertStamp } from './stamp.js';

/** Parent rows and the child rows that share their stamps, written together. */
export interface WriteGroup {
  /** The stamp of the group's inserts. */
  readonly stamp: InsertStamp;
  readonly parents: HeldRow[];
  /** Child rows per child sink, in the order of `children`. */
  readonly children: HeldRow[][];
}

/** A parent's child rows of one child sink, with the parent's dump_id and time_last_dumped. */
function childRows(child: ChildSink, parent: PageRow, parentRow: HeldRow, structure: CourseStructure | undefined, references: References): HeldRow[] {
  if (!structure) return [];
  const keyColumn = child.columns.indexOf(child.rowKey);
  return child.rowsOf(parent.keyText, structure, references).map((cells) => {
    const keyText = cells[keyColumn]?.text ?? '';
    return { line: encodeFields(cells), keyText, stamp: parentRow.stamp, identity: childIdentity(parentRow.stamp.dumpId, keyText) };
  });
}

/**
 * Stamps each parent row and builds its child rows (from the structure of the parent's key, as
 * ClickHouse stores it) with the same dump_id and time_last_dumped, grouping parents (each
 * group inserted with a stamp of its own) so a group holds about `maxChildRows` child rows (at
 * least one parent): blocks of many courses go out in shared inserts, and memory stays bounded
 * by the batch size.
 */
export function* groupWithChildren(
  rows: readonly PageRow[], children: readonly ChildSink[], structures: ReadonlyMap<string, CourseStructure>,
  references: References, newStamp: () => InsertStamp, maxChildRows: number,
): Generator<WriteGroup> {
  const emptyGroup = (): WriteGroup => ({ stamp: newStamp(), parents: [], children: children.map(() => []) });
  let group = emptyGroup();
  let childCount = 0;
  for (const row of rows) {
    const stamp = rowStamp(row.key, row.fingerprint, group.stamp);
    const parent: HeldRow = { line: row.chunk.toString('utf8', row.start, row.end), keyText: row.keyText, stamp, identity: identityOfDumpId(stamp.dumpId) };
    children.forEach((child, index) => {
      const made = childRows(child, row, parent, structures.get(row.keyText), references);
      (group.children[index] as HeldRow[]).push(...made);
      childCount += made.length;
    });
    group.parents.push(parent);
    if (childCount >= maxChildRows) {
      yield group;
      group = emptyGroup();
      childCount = 0;
    }
  }
  if (group.parents.length > 0) yield group;
}
