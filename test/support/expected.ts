import assert from 'node:assert/strict';
import type { Connection, RowDataPacket } from 'mysql2/promise';

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

const EXPECTED_SQL: Readonly<Record<string, string>> = {
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
};
/** The ClickHouse column that identifies a row of each object. */
export const TARGET_KEY: Readonly<Record<string, string>> = {
  user_profile: 'id', external_id: 'external_user_id', course_enrollment: 'id', taxonomy: 'id', tag: 'id', object_tag: 'id',
};

/** A list of strings as Python's json.dumps writes it, built here from JSON.stringify. */
function pythonJsonList(values: readonly string[]): string {
  const escape = (text: string): string =>
    JSON.stringify(text).replace(/[\u007f-\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return `[${values.map(escape).join(', ')}]`;
}

/** Expected rows of `object`, optionally restricted by a WHERE on the source key. */
export async function expectedRows(db: Connection, object: string, where = ''): Promise<Record<string, string>[]> {
  const [rows] = await db.query<RowDataPacket[]>(`${EXPECTED_SQL[object]} ${where ? `WHERE ${where}` : ''}`);
  return rows.map((row) => Object.fromEntries(Object.entries(row).map(([key, value]) =>
    [key, key === 'lineage' ? pythonJsonList(String(value).split('\t')) : String(value)])));
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
