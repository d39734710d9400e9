import { randomUUID } from 'node:crypto';
import type { Connection } from 'mysql2/promise';

/** A deterministic pseudo-random generator (mulberry32), so failures reproduce. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Text that breaks naive CSV, SQL or encoding handling. */
export const HOSTILE_TEXT: readonly string[] = Object.freeze([
  'Zoë Ångström 🚀🎓 "the quoted" O\'Brien',
  'back\\slash \\N \\t \\\\ literal',
  'tab\tseparated\tvalue',
  'new\nline and CRLF\r\nend',
  '\\N',
  '',
  '日本語のテキスト, with comma',
  "'; DROP TABLE auth_user; --",
  '  padded with spaces  ',
  "'starts with a single quote",
  '"starts and ends with double quotes"',
  'emoji family 👩‍👩‍👧‍👦 and RTL עברית',
]);

/** Options of one fixture. */
export interface FixtureOptions {
  readonly users: number;
  readonly seed?: number;
  /** Store external ids dashed (MariaDB native uuid) instead of char(32). */
  readonly dashedUuids?: boolean;
  /** Enrollments per user (some users get fewer). */
  readonly enrollmentsPerUser?: number;
  /** Make every Nth profile carry a 3,000-character bio and 60 KB goals (0 = never). */
  readonly bigTextEvery?: number;
}

const COURSES = ['course-v1:OpenedX+DemoX+DemoCourse', 'course-v1:edX+CS101+2024_T1', 'course-v1:Org_é+Ünï+run"1', 'ccx-v1:OpenedX+DemoX+DemoCourse+ccx@3', 'OldOrg/Old101/2013_Spring'];
const MODES = ['audit', 'honor', 'verified', 'professional', 'no-id-professional', 'masters'];
const GENDERS = ['m', 'f', 'o', '', null];
const EDUCATION = ['p', 'm', 'b', 'a', 'hs', 'jhs', 'el', 'none', 'other', 'p_se', '', null];

function pick<T>(random: () => number, values: readonly T[]): T {
  return values[Math.floor(random() * values.length)] as T;
}

/** A datetime(6) literal: sometimes whole seconds, sometimes with microseconds. */
function datetime(random: () => number, wholeSeconds: boolean): string {
  const ms = Date.UTC(2013, 0, 1) + Math.floor(random() * 12 * 365 * 86400) * 1000;
  const base = new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
  if (wholeSeconds) return `${base}.000000`;
  return `${base}.${String(1 + Math.floor(random() * 999_998)).padStart(6, '0')}`;
}

function maybe<T>(random: () => number, value: T, nullShare = 0.2): T | null {
  return random() < nullShare ? null : value;
}

function hostile(random: () => number, index: number): string {
  return random() < 0.5 ? pick(random, HOSTILE_TEXT) : `User ${index} ${pick(random, HOSTILE_TEXT)}`;
}

function bigText(length: number, random: () => number): string {
  const words = ['learning', 'Open edX', 'émigré', '数学', '"quote"', 'back\\slash', 'tab\t', 'line\n', '🚀'];
  let text = '';
  while (text.length < length) text += `${pick(random, words)} `;
  return text.slice(0, length);
}

function userRow(random: () => number, id: number): unknown[] {
  const username = `learner_${id}_${pick(random, ['zoë', 'o\'brien', 'x', '🚀'])}`.slice(0, 150);
  return [id, 'pbkdf2_sha256$fixture', maybe(random, datetime(random, random() < 0.3)), 0, username,
    '', '', `${username}@example.com`, 0, random() < 0.9 ? 1 : 0, datetime(random, random() < 0.5)];
}

function profileRow(random: () => number, id: number, big: boolean): unknown[] {
  return [id, hostile(random, id), random() < 0.3 ? '{"session_id": "abc"}' : '', 'course.xml',
    pick(random, ['', 'English', 'Français']), pick(random, ['', 'Paris', 'Zoë\'s "place"']),
    maybe(random, 1950 + Math.floor(random() * 60)), pick(random, GENDERS), pick(random, EDUCATION),
    maybe(random, hostile(random, id)), maybe(random, pick(random, ['Lyon', 'São Paulo', 'Kraków'])),
    maybe(random, pick(random, ['US', 'FR', 'BR', ''])),
    big ? bigText(60 * 1024, random) : maybe(random, hostile(random, id)),
    big ? bigText(3000, random) : maybe(random, hostile(random, id)),
    maybe(random, datetime(random, random() < 0.5), 0.6), id, maybe(random, '+15551234567'),
    maybe(random, pick(random, ['CA', 'NY', ''])),
  ];
}

async function insertChunks(db: Connection, sql: string, rows: unknown[][]): Promise<void> {
  for (let start = 0; start < rows.length; start += 500) {
    await db.query(sql, [rows.slice(start, start + 500)]);
  }
}

const USER_COLUMNS = 'id, password, last_login, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined';
const PROFILE_COLUMNS = 'id, name, meta, courseware, language, location, year_of_birth, gender, level_of_education, mailing_address, city, country, goals, bio, profile_image_uploaded_at, user_id, phone_number, state';

/** Inserts users with profiles (profile id = user id) in chunks; returns nothing. */
export async function insertUsers(db: Connection, first: number, count: number, options: FixtureOptions): Promise<void> {
  const random = seededRandom((options.seed ?? 7) + first);
  for (let start = first; start < first + count; start += 2000) {
    const ids = Array.from({ length: Math.min(2000, first + count - start) }, (_, i) => start + i);
    await insertChunks(db, `INSERT INTO auth_user (${USER_COLUMNS}) VALUES ?`, ids.map((id) => userRow(random, id)));
    const big = (id: number): boolean => (options.bigTextEvery ?? 0) > 0 && id % (options.bigTextEvery as number) === 0;
    await insertChunks(db, `INSERT INTO auth_userprofile (${PROFILE_COLUMNS}) VALUES ?`, ids.map((id) => profileRow(random, id, big(id))));
  }
}

function uuidHex(): string {
  return randomUUID().replaceAll('-', '');
}

function dashed(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** External id types as migrations create them (mb_coaching deleted again), then ids per user. */
async function insertExternalIds(db: Connection, users: number, options: FixtureOptions, random: () => number): Promise<void> {
  const now = '2020-02-24 18:36:00.000000';
  await db.query('INSERT INTO external_user_ids_externalidtype (id, created, modified, name, description) VALUES ?', [[
    [2, now, now, 'lti', 'LTI Xblock launches'], [3, now, now, 'caliper', 'Caliper Specification event transformer'],
    [4, now, now, 'xapi', 'xAPI Specification event transformer']]]);
  const rows: unknown[][] = [];
  for (let user = 1; user <= users; user += 1) {
    for (const type of [4, 2]) {
      if (type === 2 && random() < 0.7) continue;
      const hex = uuidHex();
      const stored = options.dashedUuids ? (random() < 0.5 ? dashed(hex) : dashed(hex).toUpperCase()) : hex;
      rows.push([datetime(random, false), datetime(random, true), stored, type, user]);
    }
  }
  await insertChunks(db, 'INSERT INTO external_user_ids_externalid (created, modified, external_user_id, external_id_type_id, user_id) VALUES ?', rows);
}

async function insertEnrollments(db: Connection, users: number, options: FixtureOptions, random: () => number): Promise<void> {
  const rows: unknown[][] = [];
  for (let user = 1; user <= users; user += 1) {
    const courses = COURSES.slice(0, 1 + Math.floor(random() * (options.enrollmentsPerUser ?? 2)));
    for (const course of courses) {
      rows.push([course, maybe(random, datetime(random, random() < 0.4), 0.1), random() < 0.8 ? 1 : 0, pick(random, MODES), user]);
    }
  }
  // An enrollment whose user row is gone (no FK constraint since student 0047).
  rows.push([COURSES[0], datetime(random, false), 1, 'audit', users + 1000]);
  await insertChunks(db, 'INSERT INTO student_courseenrollment (course_id, created, is_active, mode, user_id) VALUES ?', rows);
  await recordEnrollmentHistory(db, '+', 'SELECT id FROM student_courseenrollment', "IFNULL(created, '2020-01-01 00:00:00')");
}

/**
 * What django-simple-history writes on a save (`+` created, `~` changed, `-` deleted) of the
 * enrollments a query selects: a copy of each row, now as history_date.
 */
export async function recordEnrollmentHistory(db: Connection, type: '+' | '~' | '-', ids: string, date = 'UTC_TIMESTAMP(6)'): Promise<void> {
  await db.query(`INSERT INTO student_courseenrollment_history (id, created, is_active, mode, course_id, user_id, history_id, history_date, history_type)
    SELECT id, created, is_active, mode, course_id, user_id, REPLACE(UUID(), '-', ''), ${date}, ? FROM student_courseenrollment WHERE id IN (${ids})`, [type]);
}

/** Fills an empty LMS schema with users, profiles, external ids and enrollments. */
export async function fillLms(db: Connection, options: FixtureOptions): Promise<void> {
  const random = seededRandom(options.seed ?? 7);
  await insertUsers(db, 1, options.users, { bigTextEvery: 25, ...options });
  await insertExternalIds(db, options.users, options, random);
  await insertEnrollments(db, options.users, options, random);
}
