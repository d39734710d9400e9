import { pythonIsoDatetime } from '../format/datetime.js';
import { pyFloat, pythonJson } from '../format/python-json.js';
import { boolean, courseKey, datetimeText, drfTimestamp, lmsCourseKey, pythonTimestamp, text, type SourceValue } from '../format/values.js';
import type { SourceRow } from '../lms/database.js';
import type { References } from '../lms/references.js';
import { courseBlocks } from './course_blocks.js';
import { defineSink } from './types.js';

const nullableText = (value: SourceValue): string | null => (value == null ? null : String(value));
/**
 * A BooleanField as Django's MySQL backend returns it: only 0 and 1 become booleans; any other
 * tinyint stays the int it is (json.dumps then prints it), NULL stays None.
 */
const flag = (value: SourceValue): boolean | number | null => {
  if (value == null) return null;
  const number = Number(value);
  return number === 0 || number === 1 ? number === 1 : number;
};

/** The announcement date as isoformat(), None where the plugin's code gets None (NULL, or a date MySQLdb cannot build). */
function announcement(value: SourceValue): string | null {
  const text = datetimeText(value);
  return text == null ? null : pythonIsoDatetime(text);
}

/**
 * course_data_json (contract §3.1): keys in the plugin's order, Python json.dumps text. A NULL
 * lowest_passing_grade (broken grading policy) is written as null where the plugin would crash.
 */
function courseData(row: SourceRow, { tagTree, objectTags }: References): string {
  return pythonJson({
    advertised_start: nullableText(row.advertised_start),
    announcement: announcement(row.announcement),
    lowest_passing_grade: row.lowest_passing_grade == null ? null : pyFloat(Number(row.lowest_passing_grade)),
    invitation_only: flag(row.invitation_only),
    max_student_enrollments_allowed: row.max_student_enrollments_allowed == null ? null : Number(row.max_student_enrollments_allowed),
    effort: nullableText(row.effort),
    enable_proctored_exams: flag(row.enable_proctored_exams),
    entrance_exam_enabled: flag(row.entrance_exam_enabled),
    external_id: nullableText(row.external_id),
    language: nullableText(row.language),
    tags: tagTree.withAncestors(objectTags.of(lmsCourseKey(row.course_key))),
  });
}

const DATA_FIELDS = [
  'advertised_start', 'announcement', 'lowest_passing_grade', 'invitation_only', 'max_student_enrollments_allowed',
  'effort', 'enable_proctored_exams', 'entrance_exam_enabled', 'external_id', 'language',
] as const;

/** `course_overviews_courseoverview` → event_sink.course_overviews (§3.1). */
export const courseOverviews = defineSink({
  name: 'course_overviews',
  table: 'course_overviews',
  pii: false,
  description: 'courses published since their last dump (names, dates, tags)',
  source: {
    from: 'course_overviews_courseoverview c',
    key: 'c.id',
    keyType: 'text',
    orgColumn: 'c.org',
    publishedColumn: 'c.modified',
    fields: {
      org: 'c.org', course_key: 'c.id', display_name: 'c.display_name', start: 'c.start', end: 'c.`end`',
      enrollment_start: 'c.enrollment_start', enrollment_end: 'c.enrollment_end', self_paced: 'c.self_paced',
      created: 'c.created', modified: 'c.modified',
      ...Object.fromEntries(DATA_FIELDS.map((field) => [field, `c.${field}`])),
    },
  },
  columns: [
    { name: 'org', source: 'org', format: text },
    { name: 'course_key', source: 'course_key', format: courseKey },
    { name: 'display_name', source: 'display_name', format: text },
    { name: 'course_start', source: 'start', format: pythonTimestamp },
    { name: 'course_end', source: 'end', format: pythonTimestamp },
    { name: 'enrollment_start', source: 'enrollment_start', format: drfTimestamp },
    { name: 'enrollment_end', source: 'enrollment_end', format: drfTimestamp },
    { name: 'self_paced', source: 'self_paced', format: boolean },
    { name: 'course_data_json', source: courseData, format: text },
    { name: 'created', source: 'created', format: drfTimestamp },
    { name: 'modified', source: 'modified', format: drfTimestamp },
  ],
  incremental: { kind: 'modified-since-dump', targetKey: 'course_key', cursorField: 'modified', noun: 'Course' },
  references: ['tagTree', 'objectTags'],
  children: [courseBlocks],
});
