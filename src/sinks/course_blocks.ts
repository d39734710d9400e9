import { bare, quoted, type Cell } from '../format/cell.js';
import { pythonJson } from '../format/python-json.js';
import type { References } from '../lms/references.js';
import type { CourseStructure } from '../structure/types.js';
import { numberBlocks, type NumberedBlock } from '../structure/walk.js';
import { COMPLETION_MODES, displayNameWithDefault } from '../structure/xblock-classes.js';
import type { ChildSink } from './types.js';

const COURSE_KEY = /^course-v1:([^+]+)\+([^+]+)\+([^+]+)$/;

/** The usage key of a block: branch and version left out, as `location.for_branch(None)`. */
export function blockLocation(courseKey: string, type: string, id: string): string {
  return `block-v1:${courseKey.slice('course-v1:'.length)}+type@${type}+block@${id}`;
}

/** str(block.edited_on): None when the structure has no time; '' when the source has no edit information. */
function editedOn(value: string | null | undefined): string {
  if (value === undefined) return '';
  return value === null ? 'None' : value;
}

function blockCells(courseKey: string, numbered: NumberedBlock, references: References): Cell[] {
  const [, org = '', course = '', run = ''] = COURSE_KEY.exec(courseKey) ?? [];
  const { block } = numbered;
  const location = blockLocation(courseKey, block.type, block.id);
  const data = pythonJson({
    course, run, block_type: block.type, detached: numbered.detached ? 1 : 0, graded: numbered.graded ? 1 : 0,
    completion_mode: COMPLETION_MODES[block.type] ?? '', section: numbered.section, subsection: numbered.subsection,
    unit: numbered.unit, tags: references.tagTree.withAncestors(references.objectTags.of(location)),
  });
  return [quoted(org), quoted(courseKey), quoted(location), quoted(displayNameWithDefault(block)),
    quoted(data), bare(String(numbered.order)), quoted(editedOn(block.editedOn))];
}

/** course_blocks (contract §3.2): every published block of a course, numbered. */
export const courseBlocks: ChildSink = Object.freeze({
  name: 'course_blocks',
  table: 'course_blocks',
  columns: ['org', 'course_key', 'location', 'display_name', 'xblock_data_json', 'order', 'edited_on'],
  rowKey: 'location',
  rowsOf(courseKey: string, structure: CourseStructure, references: References): Cell[][] {
    if (!COURSE_KEY.test(courseKey)) return [];
    return numberBlocks(structure).map((numbered) => blockCells(courseKey, numbered, references));
  },
});
