import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ObjectTags } from '../../src/lms/object-tags.js';
import { TagTree } from '../../src/lms/tag-tree.js';
import { courseBlocks } from '../../src/sinks/course_blocks.js';
import { structureFromDocument } from '../../src/structure/modulestore.js';
import type { CourseStructure } from '../../src/structure/types.js';
import { rulesStructureDocument } from '../support/structures.js';

const COURSE = 'course-v1:OrgX+Rules+2026';
const D = '2024-04-30 17:04:55.123000+00:00';

/**
 * Written out by hand from the plugin's rules (platform-plugin-aspects XBlockSink on the split
 * runtime), for test/support/structures.ts' rules document:
 * [block id, order, section, subsection, unit, graded, detached, display_name, completion_mode, edited_on].
 * - `shared` is listed by seq_a and later by seq_b: first position (4), last visit's values
 *   (order 18, 1/2/1), and `graded` from its runtime parent seq_b (the last lister: false).
 * - p_adopted is reached under seq_c (graded) but the orphan vertical listing it later is its
 *   runtime parent (graded false).
 * - lc_p1's `defaults.graded` (false) wins over its ancestor under library_content; lc_p2 inherits.
 * - graded "true"/"True"/1 read true; null is a value (false), not "unset"; "false"/0/"yes" false.
 * - p_kids is a problem: its `children` are not walked, so hidden_html is not written.
 * - detached blocks come in document order: zeta_tab, alpha, _underscore.
 */
const EXPECTED: readonly (readonly [string, number, number, number, number, number, number, string, string, string])[] = [
  ['course', 1, 0, 0, 0, 0, 0, 'Rules course', 'aggregator', D],
  ['ch_unnamed', 2, 1, 0, 0, 0, 0, 'ch unnamed', 'aggregator', D],
  ['seq_a', 3, 1, 1, 0, 1, 0, 'A', 'aggregator', D],
  ['shared', 18, 1, 2, 1, 0, 0, 'Shared', 'aggregator', D],
  ['p_none', 19, 1, 2, 1, 0, 0, 'problem', '', D],
  ['v_names', 6, 1, 1, 2, 1, 0, 'Names', 'aggregator', 'None'],
  ['html_x', 7, 1, 1, 2, 1, 0, 'Text', '', D],
  ['disc_x', 8, 1, 1, 2, 1, 0, 'Discussion', 'excluded', D],
  ['vid_x', 9, 1, 1, 2, 1, 0, 'Video', 'completable', D],
  ['p_empty', 10, 1, 1, 2, 1, 0, 'problem', '', D],
  ['p_blank', 11, 1, 1, 2, 1, 0, 'problem', '', D],
  ['p_default', 12, 1, 1, 2, 1, 0, 'Blank Problem', '', D],
  ['lc', 13, 1, 1, 2, 1, 0, 'Randomized Content Block', 'aggregator', D],
  ['lc_p1', 14, 1, 1, 2, 0, 0, 'Library problem 1', '', D],
  ['lc_p2', 15, 1, 1, 2, 1, 0, 'Library problem 2', '', D],
  ['st', 16, 1, 1, 2, 1, 0, 'Content Experiment', 'aggregator', D],
  ['seq_b', 17, 1, 2, 0, 0, 0, 'B', 'aggregator', 'None'],
  ['v_empty', 20, 1, 2, 2, 0, 0, 'v empty', 'aggregator', D],
  ['ch_graded', 21, 2, 0, 0, 0, 0, 'Graded forms', 'aggregator', D],
  ['seq_c', 22, 2, 1, 0, 1, 0, 'C', 'aggregator', D],
  ['v_bools', 23, 2, 1, 1, 1, 0, 'Bell forms', 'aggregator', D],
  ['g_str_true', 24, 2, 1, 1, 1, 0, 'G "true"', '', D],
  ['g_str_True', 25, 2, 1, 1, 1, 0, 'G "True"', '', D],
  ['g_one', 26, 2, 1, 1, 1, 0, 'G 1', '', D],
  ['g_null', 27, 2, 1, 1, 0, 0, 'G null', '', D],
  ['g_str_false', 28, 2, 1, 1, 0, 0, 'G "false"', '', D],
  ['g_zero', 29, 2, 1, 1, 0, 0, 'G 0', '', D],
  ['g_yes', 30, 2, 1, 1, 0, 0, 'G "yes"', '', D],
  ['p_kids', 31, 2, 1, 1, 1, 0, 'Kids', '', D],
  ['p_adopted', 32, 2, 1, 1, 0, 0, 'Adopted', '', D],
  ['zeta_tab', 33, 0, 0, 0, 0, 1, 'Empty', '', D],
  ['alpha', 34, 0, 0, 0, 0, 1, 'overview', '', D],
  ['_underscore', 35, 0, 0, 0, 0, 1, 'Text', '', D],
];

const location = (type: string, id: string) => `block-v1:OrgX+Rules+2026+type@${type}+block@${id}`;

/** Tags 1 ← 8 ← 16, and 9 (parent 1) and 17 (a root): the examples of CPython set order. */
const TAG_TREE = new TagTree(new Map([
  [1, { parent: null, value: 'Root', storedLineage: null }], [8, { parent: 1, value: 'Eight', storedLineage: null }],
  [16, { parent: 8, value: 'Sixteen', storedLineage: null }], [9, { parent: 1, value: 'Nine', storedLineage: null }],
  [17, { parent: null, value: 'Seventeen', storedLineage: null }],
]));
const OBJECT_TAGS = new ObjectTags(new Map([
  [location('problem', 'p_default'), [8]], [location('problem', 'lc_p1'), [16]], [location('problem', 'g_one'), [9, 17]],
]));

function rows(structure: CourseStructure) {
  return courseBlocks.rowsOf(COURSE, structure, { tagTree: TAG_TREE, objectTags: OBJECT_TAGS });
}

describe('course_blocks as the plugin writes them from the split modulestore', () => {
  const written = rows(structureFromDocument(rulesStructureDocument()));
  const data = (cells: (typeof written)[number]) => JSON.parse(cells[4]?.text ?? '{}') as Record<string, unknown>;

  it('every block in the plugin\'s order, with its numbering, graded, name, completion_mode and edited_on', () => {
    const actual = written.map((cells) => {
      const json = data(cells);
      const id = (cells[2]?.text ?? '').replace(/^.*\+block@/, '');
      return [id, Number(cells[5]?.text), json.section, json.subsection, json.unit, json.graded, json.detached,
        cells[3]?.text, json.completion_mode, cells[6]?.text];
    });
    assert.deepEqual(actual, EXPECTED);
  });

  it('tags are list(set(...)) in CPython\'s order: [8, 1], [16, 8, 1], [9, 1, 17]', () => {
    const tagsOf = (id: string) => data(written.find((cells) => (cells[2]?.text ?? '').endsWith(`+block@${id}`)) as (typeof written)[number]).tags;
    assert.deepEqual(tagsOf('p_default'), [8, 1]);
    assert.deepEqual(tagsOf('lc_p1'), [16, 8, 1]);
    assert.deepEqual(tagsOf('g_one'), [9, 1, 17]);
    assert.match(written[0]?.[4]?.text ?? '', /"tags": \[\]\}$/);
  });

  it('stops at a child cycle where the plugin fails with RecursionError', () => {
    const cyclic = structureFromDocument({ root: ['course', 'course'], blocks: [
      { block_type: 'course', block_id: 'course', fields: { children: [['chapter', 'c1']] } },
      { block_type: 'chapter', block_id: 'c1', fields: { children: [['sequential', 's1']] } },
      { block_type: 'sequential', block_id: 's1', fields: { children: [['vertical', 'u1']] } },
      { block_type: 'vertical', block_id: 'u1', fields: { children: [['html', 'h1'], ['chapter', 'c1']] } },
      { block_type: 'html', block_id: 'h1', fields: {} },
    ] });
    assert.deepEqual(rows(cyclic).map((cells) => [(cells[2]?.text ?? '').replace(/^.*\+block@/, ''), cells[5]?.text]),
      [['course', '1'], ['c1', '2'], ['s1', '3'], ['u1', '4'], ['h1', '5']]);
  });
});
