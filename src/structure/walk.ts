import type { CourseStructure, StructureBlock } from './types.js';
import { booleanFromJson, hasChildren } from './xblock-classes.js';

/** XBlock types tagged "detached" in edx-platform: dumped after the tree with 0/0/0. */
export const DETACHED_TYPES: ReadonlySet<string> = new Set(['about', 'course_info', 'static_tab']);

/** One block in dump order with the numbering the contract describes (§3.2). */
export interface NumberedBlock {
  readonly block: StructureBlock;
  /** 1-based position: the course block is 1, detached blocks come last. */
  readonly order: number;
  readonly detached: boolean;
  /** `graded` as the block's XBlock field reads it (see gradedOf). */
  readonly graded: boolean;
  readonly section: number;
  readonly subsection: number;
  readonly unit: number;
}

const keyOf = (type: string, id: string): string => `${type}\u0000${id}`;

/** A structure's blocks by key, and each block's parent as the split runtime sees it. */
interface Lookup {
  readonly byKey: ReadonlyMap<string, StructureBlock>;
  /** The last block in document order that lists the key among its children, orphans included. */
  readonly parentOf: ReadonlyMap<string, StructureBlock>;
}

function lookup(structure: CourseStructure): Lookup {
  const byKey = new Map(structure.blocks.map((block) => [keyOf(block.type, block.id), block]));
  const parentOf = new Map<string, StructureBlock>();
  for (const block of structure.blocks) for (const [type, id] of block.children) parentOf.set(keyOf(type, id), block);
  return { byKey, parentOf };
}

/**
 * `graded` as XBlock's inherited Boolean field reads it in the split runtime: the block's own
 * value; under a library_content parent its `defaults` value; else the nearest ancestor (along
 * the runtime's parent map) that sets it; else its own `defaults`; else False.
 */
export function gradedOf(block: StructureBlock, { parentOf }: Lookup): boolean {
  if ('graded' in block.fields) return booleanFromJson(block.fields.graded);
  const parent = parentOf.get(keyOf(block.type, block.id));
  const own = 'graded' in block.defaults ? booleanFromJson(block.defaults.graded) : false;
  if (parent?.type === 'library_content' && 'graded' in block.defaults) return own;
  const seen = new Set<StructureBlock>([block]);
  for (let ancestor = parent; ancestor && !seen.has(ancestor); ancestor = parentOf.get(keyOf(ancestor.type, ancestor.id))) {
    if ('graded' in ancestor.fields) return booleanFromJson(ancestor.fields.graded);
    seen.add(ancestor);
  }
  return own;
}

/** Depth-first pre-order from the root through get_children(): only types that have children, missing ones skipped. */
function preOrder(structure: CourseStructure, { byKey }: Lookup): StructureBlock[] {
  const visits: StructureBlock[] = [];
  const stack: { key: string; path: ReadonlySet<string> }[] = [{ key: keyOf(...structure.root), path: new Set() }];
  while (stack.length > 0) {
    const { key, path } = stack.pop() as (typeof stack)[number];
    const block = byKey.get(key);
    // A cycle would make the plugin recurse until RecursionError; the walk stops at it instead.
    if (!block || path.has(key)) continue;
    visits.push(block);
    if (!hasChildren(block.type)) continue;
    const childPath = new Set(path).add(key);
    for (const [type, id] of [...block.children].reverse()) stack.push({ key: keyOf(type, id), path: childPath });
  }
  return visits;
}

/**
 * The plugin's block list: the course tree in pre-order, then the detached blocks in the
 * structure's document order (split's get_items), numbered from 1. Counters are global along
 * the list: a chapter bumps section and resets subsection and unit, a sequential bumps
 * subsection and resets unit, a vertical bumps unit. A block reached twice keeps its first
 * position and its last values (Python dict semantics).
 */
export function numberBlocks(structure: CourseStructure): NumberedBlock[] {
  const blocks = lookup(structure);
  const detached = structure.blocks.filter((block) => DETACHED_TYPES.has(block.type));
  let [section, subsection, unit] = [0, 0, 0];
  const unique = new Map<string, NumberedBlock>();
  [...preOrder(structure, blocks), ...detached].forEach((block, index) => {
    const isDetached = DETACHED_TYPES.has(block.type);
    if (!isDetached && block.type === 'chapter') [section, subsection, unit] = [section + 1, 0, 0];
    if (!isDetached && block.type === 'sequential') [subsection, unit] = [subsection + 1, 0];
    if (!isDetached && block.type === 'vertical') unit += 1;
    const counters = isDetached ? { section: 0, subsection: 0, unit: 0 } : { section, subsection, unit };
    unique.set(keyOf(block.type, block.id), { block, order: index + 1, detached: isDetached, graded: gradedOf(block, blocks), ...counters });
  });
  return [...unique.values()];
}
