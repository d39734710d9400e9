import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bare, encodeRow, quoted } from '../../src/format/cell.js';
import { ObjectTags } from '../../src/lms/object-tags.js';
import { TagTree } from '../../src/lms/tag-tree.js';
import { courseBlocks } from '../../src/sinks/course_blocks.js';
import { structureFromDocument } from '../../src/structure/modulestore.js';
import { numberBlocks } from '../../src/structure/walk.js';
import { demoStructureDocument } from '../support/structures.js';

const COURSE = 'course-v1:OpenedX+DemoX+DemoCourse';
const PROBLEM = 'block-v1:OpenedX+DemoX+DemoCourse+type@problem+block@a0effb954cca4759994f1ac9e9434bf4';

// Hand-computed from the tree in test/support/structures.ts: [id, order, section, subsection, unit, graded, detached].
const EXPECTED: readonly (readonly [string, number, number, number, number, boolean, boolean])[] = [
  ['course', 1, 0, 0, 0, false, false],
  ['ch1', 2, 1, 0, 0, false, false],
  ['seq1a', 3, 1, 1, 0, false, false],
  ['v1', 4, 1, 1, 1, false, false],
  ['html1', 5, 1, 1, 1, false, false],
  ['v2_no_name', 6, 1, 1, 2, false, false],
  ['v3', 7, 1, 1, 3, false, false],
  ['seq1b', 8, 1, 2, 0, false, false],
  ['v4', 9, 1, 2, 1, false, false],
  ['ch2', 10, 2, 0, 0, false, false],
  ['seq2a', 11, 2, 1, 0, true, false],
  ['v5', 12, 2, 1, 1, true, false],
  ['vid1', 13, 2, 1, 1, true, false],
  ['v6', 14, 2, 1, 2, true, false],
  ['ungraded_problem', 15, 2, 1, 2, false, false],
  ['v7', 16, 2, 1, 3, true, false],
  ['a0effb954cca4759994f1ac9e9434bf4', 17, 2, 1, 3, true, false],
  ['disc1', 18, 2, 1, 3, true, false],
  // Detached blocks in the structure's document order, as split's get_items returns them.
  ['syllabus', 19, 0, 0, 0, false, true],
  ['overview', 20, 0, 0, 0, false, true],
  ['updates', 21, 0, 0, 0, false, true],
];

describe('course structure walk (split modulestore documents)', () => {
  const structure = structureFromDocument(demoStructureDocument());

  it('numbers blocks depth-first from the course, detached last with 0/0/0, inherited graded, orphan left out', () => {
    const numbered = numberBlocks(structure).map((entry) =>
      [entry.block.id, entry.order, entry.section, entry.subsection, entry.unit, entry.graded, entry.detached]);
    assert.deepEqual(numbered, EXPECTED);
  });

  it('reads edited_on as Python str(): milliseconds, whole seconds; None, also when absent (edit_info.get)', () => {
    const byId = new Map(structure.blocks.map((block) => [block.id, block.editedOn]));
    assert.equal(byId.get('course'), '2024-04-30 17:04:55.123000+00:00');
    assert.equal(byId.get('html1'), '2024-04-30 17:04:55+00:00');
    assert.equal(byId.get('v2_no_name'), null);
    assert.equal(byId.get('v3'), null);
  });

  it('keeps a block reached twice at its first position with its last values', () => {
    const node = (type: string, id: string, children: (readonly [string, string])[]) => ({ type, id, fields: {}, defaults: {}, children });
    const twice = { root: ['course', 'course'] as const, blocks: [
      node('course', 'course', [['chapter', 'a'], ['chapter', 'b']]),
      node('chapter', 'a', [['vertical', 'shared']]),
      node('chapter', 'b', [['vertical', 'shared']]),
      node('vertical', 'shared', []),
    ] };
    assert.deepEqual(numberBlocks(twice).map((entry) => [entry.block.id, entry.order, entry.section, entry.unit]),
      [['course', 1, 0, 0], ['a', 2, 1, 0], ['shared', 5, 2, 1], ['b', 4, 2, 0]]);
  });

  // The contract's example row, but with the completion_mode edx-platform's source gives a
  // problem: ProblemBlock has none, so the plugin's getattr(item, 'completion_mode', '') is ''.
  it('writes the contract\'s example course_blocks row byte for byte, completion_mode as the source gives it', () => {
    const references = {
      tagTree: new TagTree(new Map([[1, { parent: null, value: 'Wind instruments', storedLineage: null }], [11, { parent: 1, value: 'Brass', storedLineage: null }]])),
      objectTags: new ObjectTags(new Map([[PROBLEM, [11]]])),
    };
    const rows = courseBlocks.rowsOf(COURSE, structure, references);
    const problem = rows.find((cells) => cells[2]?.text === PROBLEM) as ReturnType<typeof courseBlocks.rowsOf>[number];
    const line = encodeRow([...problem, bare('4f1c2a9e-8a53-4c2e-9d1b-2f7b6c1e0a11'), quoted('2024-05-01 12:34:56.789012+00:00')]);
    assert.equal(line, '"OpenedX","course-v1:OpenedX+DemoX+DemoCourse","block-v1:OpenedX+DemoX+DemoCourse+type@problem+block@a0effb954cca4759994f1ac9e9434bf4","Checkboxes – “smart” quotes, ünïcode","{""course"": ""DemoX"", ""run"": ""DemoCourse"", ""block_type"": ""problem"", ""detached"": 0, ""graded"": 1, ""completion_mode"": """", ""section"": 2, ""subsection"": 1, ""unit"": 3, ""tags"": [1, 11]}",17,"2024-04-30 17:04:55.123000+00:00",4f1c2a9e-8a53-4c2e-9d1b-2f7b6c1e0a11,"2024-05-01 12:34:56.789012+00:00"\r\n');
    const byLocation = new Map(rows.map((cells) => [cells[2]?.text, cells]));
    const at = (type: string, id: string) => byLocation.get(`block-v1:OpenedX+DemoX+DemoCourse+type@${type}+block@${id}`);
    assert.equal(at('vertical', 'v2_no_name')?.[3]?.text, 'v2 no name');
    assert.equal(at('vertical', 'v2_no_name')?.[6]?.text, 'None');
    assert.equal(at('vertical', 'v3')?.[6]?.text, 'None');
    assert.match(at('about', 'overview')?.[4]?.text ?? '', /"detached": 1, "graded": 0, "completion_mode": "", "section": 0, "subsection": 0, "unit": 0/);
    assert.match(at('chapter', 'ch2')?.[4]?.text ?? '', /"completion_mode": "aggregator", "section": 2, "subsection": 0, "unit": 0, "tags": \[\]/);
    assert.equal(rows.length, 21);
  });

  it('writes no blocks for keys that are not course-v1 (old mongo and CCX courses)', () => {
    assert.deepEqual(courseBlocks.rowsOf('edX/Old/2013', structure, { tagTree: new TagTree(new Map()), objectTags: new ObjectTags(new Map()) }), []);
  });
});
