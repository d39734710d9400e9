import { isPythonSpace } from '../format/python-text.js';
import type { StructureBlock } from './types.js';

/**
 * What the XBlock classes of edx-platform say about each block type: facts no database stores,
 * read from the source (edx-platform master as indexed late 2026, XBlock 6.x, xblocks-contrib
 * 0.16, and the XBlock packages edx-platform installs). Types not listed are treated as below.
 */

/**
 * `getattr(block, 'completion_mode', '')`, as the plugin writes it. XBlock itself defines no
 * completion_mode (only CompletableXBlockMixin does), so most leaves have none and get ''.
 */
export const COMPLETION_MODES: Readonly<Record<string, string>> = Object.freeze({
  // SequenceFields.completion_mode = AGGREGATOR (xmodule/seq_block.py): CourseBlock, SectionBlock, SequenceBlock.
  course: 'aggregator', chapter: 'aggregator', sequential: 'aggregator',
  // VerticalBlock(SequenceFields, …) (xmodule/vertical_block.py); UnitBlock (xmodule/unit_block.py).
  vertical: 'aggregator', unit: 'aggregator',
  // Through SequenceMixin → SequenceFields: split_test, conditional, randomize (xmodule/*_block.py).
  split_test: 'aggregator', conditional: 'aggregator', randomize: 'aggregator',
  // ItemBankMixin.completion_mode (xmodule/item_bank_block.py), aggregator unless MARK_LIBRARY_CONTENT_BLOCK_COMPLETE_ON_VIEW.
  library_content: 'aggregator', itembank: 'aggregator',
  // VideoBlock.completion_mode = COMPLETABLE (xmodule/video_block/video_block.py).
  video: 'completable',
  // DiscussionXBlock.completion_mode = EXCLUDED (xmodule/discussion_block.py).
  discussion: 'excluded',
});

/**
 * Types whose class sets `has_children = True` (XBlock's metaclass makes it False otherwise,
 * xblock/core.py): only their `children` are walked; a leaf's stray `children` list is not.
 */
export const HAS_CHILDREN: ReadonlySet<string> = new Set([
  'course', // CourseFields / SequenceFields (xmodule/course_block.py, seq_block.py)
  'chapter', 'sequential', // SequenceFields.has_children (xmodule/seq_block.py)
  'vertical', // VerticalBlock.has_children (xmodule/vertical_block.py)
  'unit', // UnitBlock.has_children (xmodule/unit_block.py)
  'split_test', // SplitTestFields (xmodule/split_test_block.py)
  'conditional', // ConditionalBlock.has_children (xmodule/conditional_block.py)
  'library_content', 'itembank', // ItemBankMixin.has_children (xmodule/item_bank_block.py)
  'randomize', 'wrapper', // inherited (xmodule/randomize_block.py, wrapper_block.py)
]);

/**
 * Leaf types whose class is known to have no children (problem, html, video, …): anything not
 * here or in HAS_CHILDREN is an XBlock this table does not know, and its children are walked.
 */
const LEAVES: ReadonlySet<string> = new Set([
  'problem', 'html', 'about', 'course_info', 'static_tab', 'video', 'discussion', 'word_cloud', 'poll_question',
  'annotatable', 'lti', 'lti_consumer', 'openassessment', 'drag-and-drop-v2', 'customtag', 'pdf',
]);

/** Whether the walk follows a block's children. */
export function hasChildren(type: string): boolean {
  return HAS_CHILDREN.has(type) || !LEAVES.has(type);
}

/** The `display_name` field's default= per class; types not listed default to None. */
export const DEFAULT_DISPLAY_NAMES: Readonly<Record<string, string>> = Object.freeze({
  course: 'Empty', // CourseFields.display_name (xmodule/course_block.py)
  unit: 'Unit', // xmodule/unit_block.py
  problem: 'Blank Problem', // ProblemBlock.display_name (xmodule/capa_block.py)
  html: 'Text', course_info: 'Text', // HtmlBlockMixin.display_name (xmodule/html_block.py)
  about: 'overview', // AboutFields (xmodule/html_block.py)
  static_tab: 'Empty', // StaticTabFields (xmodule/html_block.py)
  discussion: 'Discussion', // xmodule/discussion_block.py
  video: 'Video', // VideoFields (xmodule/video_block/video_xfields.py)
  library_content: 'Randomized Content Block', // xmodule/library_content_block.py
  itembank: 'Problem Bank', // xmodule/item_bank_block.py
  split_test: 'Content Experiment', // SplitTestFields (xmodule/split_test_block.py)
  conditional: 'Conditional', // xmodule/conditional_block.py
  word_cloud: 'Word cloud', // xmodule/word_cloud_block.py
  annotatable: 'Annotation', // xmodule/annotatable_block.py
  lti: 'LTI', // xmodule/lti_block.py
  lti_consumer: 'LTI Consumer', // xblock-lti-consumer lti_xblock.py
  openassessment: 'Open Response Assessment', // ora2 openassessment/xblock/lms_mixin.py
  'drag-and-drop-v2': 'Drag and Drop', // xblock-drag-and-drop-v2 drag_and_drop_v2.py
});

/** XBlock's `Boolean.from_json` (xblock/fields.py): a string is true when it is 'true' in any case, anything else by truthiness. */
export function booleanFromJson(value: unknown): boolean {
  if (typeof value === 'string') return value.toLowerCase() === 'true';
  if (Array.isArray(value)) return value.length > 0;
  if (value !== null && typeof value === 'object') return Object.keys(value).length > 0;
  return Boolean(value);
}

/** What XBlock's String field removes from every value it reads (String._sanitize, xblock/fields.py). */
const UNSAFE_CHARACTERS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ud800-\udfff\ufffe\uffff]/gu;

/** A display name as XBlock's String field returns it (non-strings pass as they are). */
export function sanitizedString(value: unknown): unknown {
  return typeof value === 'string' ? value.replace(UNSAFE_CHARACTERS, '') : value;
}

/** The display_name field's value: set on the block, else in its defaults, else the class default. */
function displayName(block: StructureBlock): unknown {
  const stored = 'display_name' in block.fields ? block.fields.display_name
    : 'display_name' in block.defaults ? block.defaults.display_name : DEFAULT_DISPLAY_NAMES[block.type] ?? null;
  return sanitizedString(stored);
}

/**
 * `block.display_name_with_default`, which the plugin writes: ProblemBlock's own (the block type
 * for a None or blank name), else XBlock's (the name, or the block id with spaces for `_` when
 * it is None or empty).
 */
export function displayNameWithDefault(block: StructureBlock): string {
  const name = displayName(block);
  const text = name == null ? '' : String(name);
  if (block.type === 'problem') return [...text].every(isPythonSpace) ? block.type : text;
  return text === '' ? block.id.replaceAll('_', ' ') : text;
}
