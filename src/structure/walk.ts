import type { CourseStructure, StructureBlock } from './types.js';

/** XBlock types tagged "detached" in edx-platform: dumped after the tree with 0/0/0. */
export const DETACHED_TYPES: ReadonlySet<string> = new Set(['about', 'course_info', 'static_tab']);

/** One block in dump order with the numbering the contract describes (§3.2). */
export interface NumberedBlock {
  readonly block: StructureBlock;
  /** 1-based position: the course block is 1, detached blocks come last. */
  readonly order: number;
  readonly detached: boolean;
  /** Own `graded`, else the nearest ancestor's, else false. */
  readonly graded: boolean;
  readonly section: number;
  readonly subsection: number;
  readonly unit: number;
}

const keyOf = (type: string, id: string): string => `${type}\u0000${id}`;

/** Depth-first pre-order from the root, each visit with its inherited graded flag. */
function preOrder(structure: CourseStructure, byKey: ReadonlyMap<string, StructureBlock>) {
  const visits: { block: StructureBlock; graded: boolean }[] = [];
  const stack: { key: string; inherited: boolean; path: ReadonlySet<string> }[] = [
    { key: keyOf(...structure.root), inherited: false, path: new Set() },
  ];
  while (stack.length > 0) {
    const { key, inherited, path } = stack.pop() as (typeof stack)[number];
    const block = byKey.get(key);
    if (!block || path.has(key)) continue;
    const graded = block.graded ?? inherited;
    visits.push({ block, graded });
    const childPath = new Set(path).add(key);
    for (const [type, id] of [...block.children].reverse()) stack.push({ key: keyOf(type, id), inherited: graded, path: childPath });
  }
  return visits;
}

/**
 * The plugin's block list: the course tree in pre-order, then the detached blocks (sorted by id
 * for a stable order), numbered from 1. Counters are global along the list: a chapter bumps
 * section and resets subsection and unit, a sequential bumps subsection and resets unit, a
 * vertical bumps unit. A block reached twice keeps its first position and its last values
 * (Python dict semantics).
 */
export function numberBlocks(structure: CourseStructure): NumberedBlock[] {
  const byKey = new Map(structure.blocks.map((block) => [keyOf(block.type, block.id), block]));
  const detached = structure.blocks
    .filter((block) => DETACHED_TYPES.has(block.type))
    .sort((a, b) => a.id.localeCompare(b.id))
    .map((block) => ({ block, graded: block.graded ?? false }));
  let [section, subsection, unit] = [0, 0, 0];
  const unique = new Map<string, NumberedBlock>();
  [...preOrder(structure, byKey), ...detached].forEach(({ block, graded }, index) => {
    const isDetached = DETACHED_TYPES.has(block.type);
    if (!isDetached && block.type === 'chapter') [section, subsection, unit] = [section + 1, 0, 0];
    if (!isDetached && block.type === 'sequential') [subsection, unit] = [subsection + 1, 0];
    if (!isDetached && block.type === 'vertical') unit += 1;
    const counters = isDetached ? { section: 0, subsection: 0, unit: 0 } : { section, subsection, unit };
    unique.set(keyOf(block.type, block.id), { block, order: index + 1, detached: isDetached, graded, ...counters });
  });
  return [...unique.values()];
}
