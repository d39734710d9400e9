import { ObjectId } from 'mongodb';

/** A split-modulestore block document as `modulestore.structures` stores it. */
function block(type: string, id: string, fields: Record<string, unknown>, editedOn: Date | null | 'absent' = new Date(Date.UTC(2024, 3, 30, 17, 4, 55, 123))): Record<string, unknown> {
  return {
    block_type: type, block_id: id, definition: new ObjectId(), fields, defaults: {}, asides: [],
    edit_info: editedOn === 'absent' ? { edited_by: 3 } : { edited_on: editedOn, edited_by: 3, previous_version: null, update_version: new ObjectId() },
  };
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
