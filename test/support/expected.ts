import assert from 'node:assert/strict';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { cpythonSetOrders } from './python.js';

/**
 * The rows the contract expects, computed by MariaDB itself from the source tables
 * (an implementation independent of the tool's formatters).
 */
const drf = (column: string): string =>
  `IF(${column} IS NULL, '', CONCAT(REPLACE(DATE_FORMAT(${column}, '%Y-%m-%dT%H:%i:%s.%f'), '.000000', ''), 'Z'))`;
const dashedUuid = (column: string): string =>
  `LOWER(INSERT(INSERT(INSERT(INSERT(REPLACE(CAST(${column} AS CHAR), '-', ''), 21, 0, '-'), 17, 0, '-'), 13, 0, '-'), 9, 0, '-'))`;

/** Every tag's values from the root down, tab-joined (MariaDB's own walk of parent_id). */
const TAG_PATHS = `WITH RECURSIVE tag_path AS (
    SELECT id, CAST(value AS CHAR(4000)) COLLATE utf8mb4_unicode_ci AS path FROM oel_tagging_tag WHERE parent_id IS NULL
    UNION ALL SELECT t.id, CONCAT(p.path, '\t', t.value) FROM oel_tagging_tag t JOIN tag_path p ON t.parent_id = p.id)`;

const pyStr = (column: string): string =>
  `IF(${column} IS NULL, '', CONCAT(REPLACE(DATE_FORMAT(${column}, '%Y-%m-%d %H:%i:%s.%f'), '.000000', ''), '+00:00'))`;
const pyIso = (column: string): string =>
  `IF(${column} IS NULL, NULL, CONCAT(REPLACE(DATE_FORMAT(${column}, '%Y-%m-%dT%H:%i:%s.%f'), '.000000', ''), '+00:00'))`;

/**
 * Each object's tag ids in the order the plugin adds them to its set: object tags of enabled
 * taxonomies as openedx-learning's get_object_tags sorts them (taxonomy name, then the lowered
 * tree path of up to three ancestors and the value), each tag followed by its ancestors.
 */
const OBJECT_TAG_SEQUENCE = `WITH RECURSIVE ordered_tag AS (
    SELECT o.object_id, o.tag_id, ROW_NUMBER() OVER (PARTITION BY o.object_id ORDER BY COALESCE(tx.name, o._export_id),
      LOWER(CONCAT_WS('', CONCAT(g3.value, '\t'), CONCAT(g2.value, '\t'), CONCAT(g1.value, '\t'), t.value, '\t')), o.id) AS position
    FROM oel_tagging_objecttag o JOIN oel_tagging_taxonomy tx ON tx.id = o.taxonomy_id AND tx.enabled = 1
    JOIN oel_tagging_tag t ON t.id = o.tag_id LEFT JOIN oel_tagging_tag g1 ON g1.id = t.parent_id
    LEFT JOIN oel_tagging_tag g2 ON g2.id = g1.parent_id LEFT JOIN oel_tagging_tag g3 ON g3.id = g2.parent_id),
  tag_chain AS (
    SELECT object_id, position, 0 AS depth, tag_id AS id FROM ordered_tag
    UNION ALL SELECT c.object_id, c.position, c.depth + 1, t.parent_id FROM tag_chain c JOIN oel_tagging_tag t ON t.id = c.id
    WHERE t.parent_id IS NOT NULL)`;

const EXPECTED_SQL: Readonly<Record<string, string>> = {
  course_overviews: `${OBJECT_TAG_SEQUENCE} SELECT c.org, c.id AS course_key, IFNULL(c.display_name, '') AS display_name,
    ${pyStr('c.start')} AS course_start, ${pyStr('c.`end`')} AS course_end, ${drf('c.enrollment_start')} AS enrollment_start,
    ${drf('c.enrollment_end')} AS enrollment_end, IF(c.self_paced, 'True', 'False') AS self_paced,
    ${drf('c.created')} AS created, ${drf('c.modified')} AS modified,
    c.advertised_start AS cd_advertised_start, ${pyIso('c.announcement')} AS cd_announcement,
    CAST(c.lowest_passing_grade AS CHAR) AS cd_lowest_passing_grade, c.invitation_only AS cd_invitation_only,
    c.max_student_enrollments_allowed AS cd_max_student_enrollments_allowed, c.effort AS cd_effort,
    c.enable_proctored_exams AS cd_enable_proctored_exams, c.entrance_exam_enabled AS cd_entrance_exam_enabled,
    c.external_id AS cd_external_id, c.language AS cd_language, tags.ids AS cd_tags
    FROM course_overviews_courseoverview c LEFT JOIN (SELECT object_id, GROUP_CONCAT(id ORDER BY position, depth) AS ids
      FROM tag_chain GROUP BY object_id) tags ON tags.object_id = c.id COLLATE utf8mb4_bin`,
  taxonomy: 'SELECT id, name FROM oel_tagging_taxonomy',
  tag: `${TAG_PATHS} SELECT t.id, IFNULL(t.taxonomy_id, 0) AS taxonomy, IFNULL(t.parent_id, 0) AS parent, t.value,
    IFNULL(t.external_id, '') AS external_id, tp.path AS lineage FROM oel_tagging_tag t JOIN tag_path tp ON tp.id = t.id`,
  object_tag: `${TAG_PATHS} SELECT o.id, o.object_id, IFNULL(o.taxonomy_id, 0) AS taxonomy, IFNULL(o.tag_id, 0) AS tag,
    o._value, o._export_id, IFNULL(tp.path, o._value) AS lineage
    FROM oel_tagging_objecttag o LEFT JOIN tag_path tp ON tp.id = o.tag_id`,
  user_profile: `SELECT p.id, p.user_id, p.name, IFNULL(u.username, '') AS username, IFNULL(u.email, '') AS email,
    p.meta, p.courseware, p.language, p.location, IFNULL(CAST(p.year_of_birth AS CHAR), '') AS year_of_birth,
    IFNULL(p.gender, '') AS gender, IFNULL(p.level_of_education, '') AS level_of_education,
    IFNULL(p.mailing_address, '') AS mailing_address, IFNULL(p.city, '') AS city, IFNULL(p.country, '') AS country,
    IFNULL(p.state, '') AS state, IFNULL(p.goals, '') AS goals, IFNULL(p.bio, '') AS bio,
    ${drf('p.profile_image_uploaded_at')} AS profile_image_uploaded_at, IFNULL(p.phone_number, '') AS phone_number
    FROM auth_userprofile p LEFT JOIN auth_user u ON u.id = p.user_id`,
  external_id: `SELECT ${dashedUuid('e.external_user_id')} AS external_user_id, t.name AS external_id_type,
    IFNULL(u.username, '') AS username, e.user_id
    FROM external_user_ids_externalid e JOIN external_user_ids_externalidtype t ON t.id = e.external_id_type_id
    LEFT JOIN auth_user u ON u.id = e.user_id`,
  course_enrollment: `SELECT ce.id, ce.course_id AS course_key, ${drf('ce.created')} AS created,
    IF(ce.is_active, 'True', 'False') AS is_active, ce.mode, IFNULL(u.username, '') AS username, ce.user_id
    FROM student_courseenrollment ce LEFT JOIN auth_user u ON u.id = ce.user_id`,
};

/** The MySQL primary key column of each object, as the expected query can filter on it. */
export const SOURCE_KEY: Readonly<Record<string, string>> = {
  user_profile: 'p.id', external_id: 'e.id', course_enrollment: 'ce.id', taxonomy: 'id', tag: 't.id', object_tag: 'o.id',
  course_overviews: 'c.id',
};
/** The ClickHouse column that identifies a row of each object. */
export const TARGET_KEY: Readonly<Record<string, string>> = {
  user_profile: 'id', external_id: 'external_user_id', course_enrollment: 'id', taxonomy: 'id', tag: 'id', object_tag: 'id',
  course_overviews: 'course_key',
};

/** A string as Python's json.dumps writes it, built here from JSON.stringify. */
function pythonJsonText(text: string): string {
  return JSON.stringify(text).replace(/[\u007f-\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A list of strings as Python's json.dumps writes it. */
function pythonJsonList(values: readonly string[]): string {
  return `[${values.map(pythonJsonText).join(', ')}]`;
}

/** course_data_json from the cd_* columns of the expected query, in the plugin's key order. */
function courseDataJson(row: Record<string, unknown>): string {
  const text = (value: unknown): string => (value === null ? 'null' : pythonJsonText(String(value)));
  const bool = (value: unknown): string => (Number(value) ? 'true' : 'false');
  const grade = row.cd_lowest_passing_grade === null ? 'null' : String(Number(row.cd_lowest_passing_grade));
  const parts = [
    ['advertised_start', text(row.cd_advertised_start)], ['announcement', text(row.cd_announcement)],
    ['lowest_passing_grade', /^-?\d+$/.test(grade) ? `${grade}.0` : grade], ['invitation_only', bool(row.cd_invitation_only)],
    ['max_student_enrollments_allowed', row.cd_max_student_enrollments_allowed === null ? 'null' : String(row.cd_max_student_enrollments_allowed)],
    ['effort', text(row.cd_effort)], ['enable_proctored_exams', bool(row.cd_enable_proctored_exams)],
    ['entrance_exam_enabled', bool(row.cd_entrance_exam_enabled)], ['external_id', text(row.cd_external_id)],
    ['language', text(row.cd_language)], ['tags', `[${(row.cd_tags as number[]).join(', ')}]`],
  ];
  return `{${parts.map(([key, value]) => `"${key}": ${value}`).join(', ')}}`;
}

/** One expected row as strings, with the JSON columns built. */
function finishRow(row: Record<string, unknown>): Record<string, string> {
  const finished: Record<string, string> = {};
  for (const [key, value] of Object.entries(row)) {
    if (key.startsWith('cd_')) continue;
    finished[key] = key === 'lineage' ? pythonJsonList(String(value).split('\t')) : String(value);
  }
  if ('cd_tags' in row) finished.course_data_json = courseDataJson(row);
  return finished;
}

/** The tag sequences of the rows (cd_tags, comma-separated) turned into CPython's list(set(...)) of each. */
function withPluginTagOrder(rows: RowDataPacket[]): RowDataPacket[] {
  if (rows.length === 0 || !('cd_tags' in (rows[0] as RowDataPacket))) return rows;
  const sequences = rows.map((row) => (row.cd_tags === null ? [] : String(row.cd_tags).split(',').map(Number)));
  const orders = cpythonSetOrders(sequences);
  return rows.map((row, index) => ({ ...row, cd_tags: orders[index] }) as RowDataPacket);
}

/** Expected rows of `object`, optionally restricted by a WHERE on the source key. */
export async function expectedRows(db: Connection, object: string, where = ''): Promise<Record<string, string>[]> {
  const [rows] = await db.query<RowDataPacket[]>(`${EXPECTED_SQL[object]} ${where ? `WHERE ${where}` : ''}`);
  return withPluginTagOrder(rows).map(finishRow);
}

const STAMP = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?\+00:00$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Asserts ClickHouse holds exactly the expected rows, every field equal, stamps well-formed. */
export function assertSameRows(stored: Record<string, unknown>[], expected: Record<string, string>[], key: string): void {
  const byKey = (rows: Record<string, unknown>[]) => [...rows].sort((a, b) => String(a[key]).localeCompare(String(b[key])));
  const actual = byKey(stored);
  const wanted = byKey(expected);
  assert.equal(actual.length, wanted.length, `row count: ClickHouse ${actual.length}, MySQL ${wanted.length}`);
  actual.forEach((row, index) => {
    const want = wanted[index] as Record<string, string>;
    for (const [column, value] of Object.entries(want)) {
      assert.equal(String(row[column]), value, `${key}=${String(want[key])} column ${column}`);
    }
    assert.match(String(row.dump_id), UUID);
    assert.match(String(row.time_last_dumped), STAMP);
  });
}
