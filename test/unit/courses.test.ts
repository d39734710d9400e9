import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bare, encodeRow, quoted } from '../../src/format/cell.js';
import { parseTimestampMicros } from '../../src/format/timestamps.js';
import { KEY_FIELD } from '../../src/lms/keyset.js';
import { ObjectTags } from '../../src/lms/object-tags.js';
import { TagTree } from '../../src/lms/tag-tree.js';
import { decideByModified } from '../../src/pipeline/decision.js';
import { laterCursor } from '../../src/pipeline/incremental.js';
import { shapeRow } from '../../src/pipeline/shape.js';
import { courseOverviews } from '../../src/sinks/course_overviews.js';

describe('course_overviews reproduces the contract example row byte for byte (§3.1)', () => {
  it('with tags 1 (root) and 11 (its child) from an object tag on 11', () => {
    const key = 'course-v1:OpenedX+DemoX+DemoCourse';
    const references = {
      tagTree: new TagTree(new Map([[1, { parent: null, value: 'Wind instruments', storedLineage: null }], [11, { parent: 1, value: 'Brass', storedLineage: null }]])),
      objectTags: new ObjectTags(new Map([[key, [11]]])),
    };
    const row = {
      [KEY_FIELD]: key, org: 'OpenedX', course_key: key, display_name: 'Open edX Demo Course',
      start: '2020-01-01 00:00:00.000000', end: null, enrollment_start: '2019-12-01 00:00:00.000000', enrollment_end: null,
      self_paced: 1, created: '2024-03-12 09:01:02.345678', modified: '2024-04-30 17:05:09.101112',
      advertised_start: null, announcement: '2019-11-01 12:00:00.000000', lowest_passing_grade: '0.50', invitation_only: 0,
      max_student_enrollments_allowed: null, effort: '5 hours/week', enable_proctored_exams: 0, entrance_exam_enabled: 0,
      external_id: null, language: 'en',
    };
    const shaped = shapeRow(courseOverviews, row, references);
    assert.equal(shaped.key, key);
    assert.equal(shaped.cursor, '2024-04-30 17:05:09.101112');
    assert.equal(encodeRow([...shaped.cells, bare('4f1c2a9e-8a53-4c2e-9d1b-2f7b6c1e0a11'), quoted('2024-05-01 12:34:56.789012+00:00')]),
      '"OpenedX","course-v1:OpenedX+DemoX+DemoCourse","Open edX Demo Course","2020-01-01 00:00:00+00:00","","2019-12-01T00:00:00Z","",True,"{""advertised_start"": null, ""announcement"": ""2019-11-01T12:00:00+00:00"", ""lowest_passing_grade"": 0.5, ""invitation_only"": false, ""max_student_enrollments_allowed"": null, ""effort"": ""5 hours/week"", ""enable_proctored_exams"": false, ""entrance_exam_enabled"": false, ""external_id"": null, ""language"": ""en"", ""tags"": [1, 11]}","2024-03-12T09:01:02.345678Z","2024-04-30T17:05:09.101112Z",4f1c2a9e-8a53-4c2e-9d1b-2f7b6c1e0a11,"2024-05-01 12:34:56.789012+00:00"\r\n');
  });
});

describe('stored dump times', () => {
  it('parse with and without fraction, with +00:00, Z, other offsets or none', () => {
    const base = Date.UTC(2024, 4, 1, 12, 34, 56) * 1000;
    assert.equal(parseTimestampMicros('2024-05-01 12:34:56.789012+00:00'), base + 789_012);
    assert.equal(parseTimestampMicros('2024-05-01 12:34:56+00:00'), base);
    assert.equal(parseTimestampMicros('2024-05-01T12:34:56Z'), base);
    assert.equal(parseTimestampMicros('2024-05-01 12:34:56.5'), base + 500_000);
    assert.equal(parseTimestampMicros('2024-05-01 14:34:56+02:00'), base);
    assert.equal(parseTimestampMicros('2024-05-01 12:34:56.094725'), base + 94_725);
    assert.equal(parseTimestampMicros('yesterday'), undefined);
  });
});

describe('the should-dump rule for courses', () => {
  it('dumps never-dumped and newly published courses, skips equal or older, with the plugin\'s reasons', () => {
    assert.equal(decideByModified('Course', '2024-05-01 12:00:00.000000', undefined).reason, 'Course is not present in ClickHouse');
    assert.equal(decideByModified('Course', '2024-05-01 12:00:00.000000', '').dump, true);
    const published = decideByModified('Course', '2024-05-01 12:00:00.000001', '2024-05-01 12:00:00+00:00');
    assert.deepEqual(published, {
      dump: true, reason: 'Course has been published since last dump time',
      detail: 'Course has been published since last dump time - last dumped 2024-05-01 12:00:00+00:00 < last published 2024-05-01 12:00:00.000001+00:00',
    });
    const equal = decideByModified('Course', '2024-05-01 12:00:00.000000', '2024-05-01 12:00:00+00:00');
    assert.equal(equal.dump, false);
    assert.equal(equal.reason, 'Course has NOT been published since last dump time');
    assert.equal(decideByModified('Course', null, '2024-05-01 12:00:00+00:00').reason, 'No last modified date in Course');
    // MySQLdb returns None for a date Python cannot build, so the plugin sees no modified date either.
    for (const zero of ['0000-00-00 00:00:00', '2020-00-10 10:00:00', '2021-02-29 00:00:00.000000']) {
      assert.deepEqual(decideByModified('Course', zero, '2024-05-01 12:00:00+00:00', Date.now() * 1000),
        { dump: false, reason: 'No last modified date in Course', detail: 'No last modified date in Course' });
    }
    assert.equal(decideByModified('Course', '2024-05-01 12:00:00.000000', 'garbage').dump, true);
  });
});

describe('a course\'s cursor is the later of its overview\'s modified and its structure\'s stored time', () => {
  it('takes the structure\'s time only when it is later and both are datetimes Python can build', () => {
    assert.equal(laterCursor('2024-04-30 17:05:09.101112', '2024-04-30 17:05:09.101113'), '2024-04-30 17:05:09.101113');
    assert.equal(laterCursor('2024-04-30 17:05:09.101112', '2024-04-30 17:05:09'), '2024-04-30 17:05:09.101112');
    assert.equal(laterCursor('2024-04-30 17:05:09', undefined), '2024-04-30 17:05:09');
    assert.equal(laterCursor(null, '2024-04-30 17:05:09'), null, 'no modified: the plugin\'s "No last modified date" stands');
    assert.equal(laterCursor('0000-00-00 00:00:00', '2024-04-30 17:05:09'), '0000-00-00 00:00:00');
    assert.equal(laterCursor('2024-04-30 17:05:09', '0000-00-00 00:00:00'), '2024-04-30 17:05:09');
  });
});
