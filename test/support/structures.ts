import { ObjectId } from 'mongodb';

/** How a block document carries its edit time: a date, None, no edited_on key, or no edit_info at all. */
type EditedOn = Date | null | 'absent' | 'no-edit-info';

/** A split-modulestore block document as `modulestore.structures` stores it. */
function block(type: string, id: string, fields: Record<string, unknown>, editedOn: EditedOn = new Date(Date.UTC(2024, 3, 30, 17, 4, 55, 123)),
  defaults: Record<string, unknown> = {}): Record<string, unknown> {
  const document: Record<string, unknown> = { block_type: type, block_id: id, definition: new ObjectId(), fields, defaults, asides: [] };
  if (editedOn === 'absent') document.edit_info = { edited_by: 3 };
  else if (editedOn !== 'no-edit-info') document.edit_info = { edited_on: editedOn, edited_by: 3, previous_version: null, update_version: new ObjectId() };
  return document;
}

const child = (type: string, id: string): [string, string] => [type, id];

/**
 * A demo-course-like published structure: two chapters, graded and ungraded sequentials,
 * verticals with problems, videos and html, a discussion, detached about/static_tab/course_info
 * blocks, and an orphan problem that no walk reaches.
 */
export function demoStructureDocument(): Record<string, unknown> {
  return {
    _id: new ObjectId('65f1a2b3c4d5e6f708192a3b'),
    root: ['course', 'course'],
    previous_version: new ObjectId(), original_version: new ObjectId(), edited_by: 3, schema_version: 1,
    edited_on: new Date(Date.UTC(2024, 3, 30, 17, 5, 0)),
    blocks: [
      block('course', 'course', { display_name: 'Open edX Demo Course', children: [child('chapter', 'ch1'), child('chapter', 'ch2')] }),
      block('chapter', 'ch1', { display_name: 'Introduction', children: [child('sequential', 'seq1a'), child('sequential', 'seq1b')] }),
      block('sequential', 'seq1a', { display_name: 'Welcome', children: [child('vertical', 'v1'), child('vertical', 'v2_no_name'), child('vertical', 'v3')] }),
      block('vertical', 'v1', { display_name: 'Unit 1', children: [child('html', 'html1')] }),
      block('html', 'html1', { display_name: 'Hello "world"' }, new Date(Date.UTC(2024, 3, 30, 17, 4, 55, 0))),
      block('vertical', 'v2_no_name', { children: [] }, null),
      block('vertical', 'v3', { display_name: 'Unit 3', children: [] }, 'absent'),
      block('sequential', 'seq1b', { display_name: 'Overview', children: [child('vertical', 'v4')] }),
      block('vertical', 'v4', { display_name: 'Unit 4', children: [] }),
      block('chapter', 'ch2', { display_name: 'Example Week 1', children: [child('sequential', 'seq2a')] }),
      block('sequential', 'seq2a', { display_name: 'Homework', graded: true, format: 'Homework', children: [child('vertical', 'v5'), child('vertical', 'v6'), child('vertical', 'v7')] }),
      block('vertical', 'v5', { display_name: 'Unit 5', children: [child('video', 'vid1')] }),
      block('video', 'vid1', { display_name: 'Welcome video' }),
      block('vertical', 'v6', { display_name: 'Unit 6', children: [child('problem', 'ungraded_problem')] }),
      block('problem', 'ungraded_problem', { display_name: 'Practice', graded: false }),
      block('vertical', 'v7', { display_name: 'Unit 7', children: [child('problem', 'a0effb954cca4759994f1ac9e9434bf4'), child('discussion', 'disc1')] }),
      block('problem', 'a0effb954cca4759994f1ac9e9434bf4', { display_name: 'Checkboxes – “smart” quotes, ünïcode' }),
      block('discussion', 'disc1', { display_name: 'Discuss' }),
      block('static_tab', 'syllabus', { display_name: 'Syllabus' }),
      block('about', 'overview', {}),
      block('course_info', 'updates', { display_name: 'Course Updates' }),
      block('problem', 'orphan_problem', { display_name: 'Orphan' }),
    ],
  };
}

/**
 * A structure with one case of every rule the plugin applies (issue 12): unnamed blocks of many
 * types, names in `defaults` (copied from a library), problems named None, "" or blank, a
 * vertical listed by two sequentials, a problem also listed by an orphan, `graded` stored in
 * JSON's many spellings, a leaf with a `children` list, detached blocks out of id order, and
 * blocks without edited_on or without edit_info.
 */
export function rulesStructureDocument(): Record<string, unknown> {
  return {
    _id: new ObjectId('65f1a2b3c4d5e6f708192a3c'),
    root: ['course', 'course'],
    blocks: [
      block('course', 'course', { display_name: 'Rules course', children: [child('chapter', 'ch_unnamed'), child('chapter', 'ch_graded')] }),
      block('chapter', 'ch_unnamed', { children: [child('sequential', 'seq_a'), child('sequential', 'seq_b')] }),
      block('sequential', 'seq_a', { display_name: 'A', graded: true, children: [child('vertical', 'shared'), child('vertical', 'v_names')] }),
      block('vertical', 'shared', { display_name: 'Shared', children: [child('problem', 'p_none')] }),
      block('problem', 'p_none', { display_name: null }),
      block('vertical', 'v_names', { display_name: 'Names', children: ['html_x', 'disc_x', 'vid_x', 'p_empty', 'p_blank', 'p_default', 'lc', 'st']
        .map((id) => child({ html_x: 'html', disc_x: 'discussion', vid_x: 'video', lc: 'library_content', st: 'split_test' }[id] ?? 'problem', id)) }, 'no-edit-info'),
      block('html', 'html_x', {}),
      block('discussion', 'disc_x', {}),
      block('video', 'vid_x', {}),
      block('problem', 'p_empty', { display_name: '' }),
      block('problem', 'p_blank', { display_name: ' \t ' }),
      block('problem', 'p_default', {}),
      block('library_content', 'lc', { children: [child('problem', 'lc_p1'), child('problem', 'lc_p2')] }),
      block('problem', 'lc_p1', {}, undefined, { display_name: 'Library problem 1', graded: false }),
      block('problem', 'lc_p2', {}, undefined, { display_name: 'Library problem 2' }),
      block('split_test', 'st', {}),
      block('sequential', 'seq_b', { display_name: 'B', graded: false, children: [child('vertical', 'shared'), child('vertical', 'v_empty')] }, 'absent'),
      block('vertical', 'v_empty', { display_name: '' }),
      block('chapter', 'ch_graded', { display_name: 'Graded forms', children: [child('sequential', 'seq_c')] }),
      block('sequential', 'seq_c', { display_name: 'C', graded: true, children: [child('vertical', 'v_bools')] }),
      block('vertical', 'v_bools', { display_name: 'Bell\u0007 forms', children: ['g_str_true', 'g_str_True', 'g_one', 'g_null', 'g_str_false', 'g_zero', 'g_yes', 'p_kids', 'p_adopted']
        .map((id) => child('problem', id)) }),
      block('problem', 'g_str_true', { display_name: 'G "true"', graded: 'true' }),
      block('problem', 'g_str_True', { display_name: 'G "True"', graded: 'True' }),
      block('problem', 'g_one', { display_name: 'G 1', graded: 1 }),
      block('problem', 'g_null', { display_name: 'G null', graded: null }),
      block('problem', 'g_str_false', { display_name: 'G "false"', graded: 'false' }),
      block('problem', 'g_zero', { display_name: 'G 0', graded: 0 }),
      block('problem', 'g_yes', { display_name: 'G "yes"', graded: 'yes' }),
      block('problem', 'p_kids', { display_name: 'Kids', children: [child('html', 'hidden_html')] }),
      block('html', 'hidden_html', { display_name: 'Hidden' }),
      block('problem', 'p_adopted', { display_name: 'Adopted' }),
      block('static_tab', 'zeta_tab', {}),
      block('about', 'alpha', {}),
      block('course_info', '_underscore', {}),
      block('vertical', 'orphan_v', { display_name: 'Orphan', graded: false, children: [child('problem', 'p_adopted')] }),
    ],
  };
}
