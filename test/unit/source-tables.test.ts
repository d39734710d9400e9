import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { columnsRead, tablesByAlias } from '../../src/lms/source-tables.js';
import { findSink } from '../../src/sinks/index.js';
import type { Sink } from '../../src/sinks/types.js';

const sink = (name: string): Sink => findSink(name) ?? assert.fail(`no sink ${name}`);
import { LEARNING_SEQUENCES_TABLES } from '../../src/structure/learning-sequences.js';

describe('the LMS tables and columns an object reads', () => {
  it('reads the aliases of a FROM clause', () => {
    assert.deepEqual([...tablesByAlias('auth_userprofile p LEFT JOIN auth_user u ON u.id = p.user_id')],
      [['p', 'auth_userprofile'], ['u', 'auth_user']]);
    assert.deepEqual([...tablesByAlias('oel_tagging_tag t')], [['t', 'oel_tagging_tag']]);
  });

  it('collects source fields, references and, for nested objects, the course structure tables', () => {
    const enrollment = columnsRead(sink('course_enrollment'));
    assert.deepEqual([...enrollment.keys()], ['student_courseenrollment', 'auth_user']);
    assert.deepEqual([...enrollment.get('student_courseenrollment') ?? []].sort(), ['course_id', 'created', 'id', 'is_active', 'mode', 'user_id']);
    const courses = columnsRead(sink('course_overviews'), LEARNING_SEQUENCES_TABLES);
    for (const table of ['course_overviews_courseoverview', 'oel_tagging_tag', 'oel_tagging_objecttag', 'oel_tagging_taxonomy', ...Object.keys(LEARNING_SEQUENCES_TABLES)]) {
      assert.ok(courses.has(table), table);
    }
    assert.ok(courses.get('course_overviews_courseoverview')?.has('end'), 'a backquoted column');
    assert.ok(!columnsRead(sink('course_overviews')).has('learning_sequences_learningcontext'), 'course structure from MongoDB');
  });
});
