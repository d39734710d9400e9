import type { Connection } from 'mysql2/promise';
import { HOSTILE_TEXT, seededRandom } from './lms-fixture.js';

const ORGS = ['OpenedX', 'edX', 'MITx', 'Org_é'];

/** The course key of fixture course `index` (1-based); every seventh is an old-style key. */
export function courseKey(index: number): string {
  const org = ORGS[index % ORGS.length] as string;
  return index % 7 === 0 ? `${org}/Old${index}/2013_Spring` : `course-v1:${org}+C${index}+2024_T${index % 3}`;
}

function datetime(random: () => number, wholeSeconds: boolean): string {
  const ms = Date.UTC(2015, 0, 1) + Math.floor(random() * 9 * 365 * 86400) * 1000;
  const base = new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
  return wholeSeconds ? `${base}.000000` : `${base}.${String(1 + Math.floor(random() * 999_998)).padStart(6, '0')}`;
}

function maybe<T>(random: () => number, value: T, nullShare = 0.25): T | null {
  return random() < nullShare ? null : value;
}

const COLUMNS = [
  'created', 'modified', 'version', 'id', '_location', 'org', 'display_name', 'display_number_with_default',
  'display_org_with_default', 'start', '`end`', 'advertised_start', 'announcement', 'banner_image_url', 'course_image_url',
  'certificates_show_before_end', 'cert_html_view_enabled', 'has_any_active_web_certificate', 'cert_name_short',
  'cert_name_long', 'lowest_passing_grade', 'mobile_available', 'visible_to_staff_only', '_pre_requisite_courses_json',
  'enrollment_start', 'enrollment_end', 'invitation_only', 'max_student_enrollments_allowed', 'effort', 'self_paced',
  'eligible_for_financial_aid', 'enable_proctored_exams', 'allow_proctoring_opt_out', 'entrance_exam_enabled',
  'entrance_exam_id', 'entrance_exam_minimum_score_pct', 'force_on_flexible_peer_openassessments', 'external_id', 'language',
];

function courseRow(random: () => number, index: number): unknown[] {
  const key = courseKey(index);
  const org = ORGS[index % ORGS.length] as string;
  const bit = (): number => (random() < 0.3 ? 1 : 0);
  return [
    datetime(random, false), datetime(random, index % 5 === 0), 19, key, `block-v1:${key}+type@course+block@course`, org,
    maybe(random, `Course ${index}: ${HOSTILE_TEXT[index % HOSTILE_TEXT.length]}`, 0.1), `C${index}`, org,
    maybe(random, datetime(random, random() < 0.5)), maybe(random, datetime(random, random() < 0.5), 0.5),
    maybe(random, 'Spring "2025"', 0.7), maybe(random, datetime(random, random() < 0.5), 0.5), '', '/static/img.png',
    0, 1, 0, '', '', maybe(random, ['0.50', '0.75', '1.00', '0.00', '0.33'][index % 5]), 1, 0, '[]',
    maybe(random, datetime(random, random() < 0.5)), maybe(random, datetime(random, false), 0.6), bit(),
    maybe(random, 100 + index, 0.7), maybe(random, `${index % 9}:00 hours/week ✓`), bit(), 1, bit(), 0, bit(), '', 0.65, 0,
    maybe(random, `ext-${index}`, 0.6), maybe(random, ['en', 'fr', 'es-419', 'zh_HANS'][index % 4], 0.2),
  ];
}

/** Inserts `count` course overviews (1-based, deterministic) with hostile names and NULLs. */
export async function fillCourses(db: Connection, count: number, seed = 11): Promise<string[]> {
  const random = seededRandom(seed);
  const rows = Array.from({ length: count }, (_, i) => courseRow(random, i + 1));
  for (let start = 0; start < rows.length; start += 500) {
    await db.query(`INSERT INTO course_overviews_courseoverview (${COLUMNS.join(', ')}) VALUES ?`, [rows.slice(start, start + 500)]);
  }
  return rows.map((row) => String(row[3]));
}

/** One fixture outline: chapters with their sequentials, as [usage id, title]. */
export interface OutlineSpec {
  readonly courseKey: string;
  readonly title: string;
  readonly chapters: readonly { readonly id: string; readonly title: string; readonly sequentials: readonly { readonly id: string; readonly title: string }[] }[];
}

/** A deterministic outline for course `index`: 1–3 chapters of 1–3 sequentials each. */
export function outlineSpec(index: number): OutlineSpec {
  const chapters = Array.from({ length: 1 + (index % 3) }, (_, c) => ({
    id: `chapter_${c + 1}`,
    title: `Week ${c + 1}: ${HOSTILE_TEXT[(index + c) % HOSTILE_TEXT.length]}`,
    sequentials: Array.from({ length: 1 + ((index + c) % 3) }, (_, s) => ({ id: `seq_${c + 1}_${s + 1}`, title: `Lesson ${c + 1}.${s + 1} "quoted"` })),
  }));
  return { courseKey: courseKey(index), title: `Outline of course ${index}`, chapters };
}

/** Writes outlines to the learning_sequences tables, as the CMS publish task does. */
export async function fillOutlines(db: Connection, specs: readonly OutlineSpec[]): Promise<void> {
  const now = '2024-04-30 17:05:09.000000';
  for (const spec of specs) {
    const usageKey = (type: string, id: string) => `block-v1:${spec.courseKey.slice('course-v1:'.length)}+type@${type}+block@${id}`;
    const [context] = await db.query('INSERT INTO learning_sequences_learningcontext (created, modified, context_key, title, published_at, published_version) VALUES (?, ?, ?, ?, ?, ?)',
      [now, now, spec.courseKey, spec.title, now, '65f1a2b3c4d5e6f708192a3b']) as unknown as [{ insertId: number }];
    const contextId = context.insertId;
    await db.query("INSERT INTO learning_sequences_coursecontext (learning_context_id, created, modified, course_visibility, self_paced) VALUES (?, ?, ?, 'private', 0)", [contextId, now, now]);
    let sequenceOrdering = 0;
    for (const [chapterIndex, chapter] of spec.chapters.entries()) {
      const [section] = await db.query('INSERT INTO learning_sequences_coursesection (created, modified, hide_from_toc, visible_to_staff_only, course_context_id, usage_key, title, ordering) VALUES (?, ?, 0, 0, ?, ?, ?, ?)',
        [now, now, contextId, usageKey('chapter', chapter.id), chapter.title, chapterIndex]) as unknown as [{ insertId: number }];
      for (const sequential of chapter.sequentials) {
        const [sequence] = await db.query('INSERT INTO learning_sequences_learningsequence (created, modified, learning_context_id, usage_key, title) VALUES (?, ?, ?, ?, ?)',
          [now, now, contextId, usageKey('sequential', sequential.id), sequential.title]) as unknown as [{ insertId: number }];
        await db.query('INSERT INTO learning_sequences_coursesectionsequence (created, modified, hide_from_toc, visible_to_staff_only, course_context_id, section_id, sequence_id, inaccessible_after_due, ordering) VALUES (?, ?, 0, 0, ?, ?, ?, 0, ?)',
          [now, now, contextId, section.insertId, sequence.insertId, sequenceOrdering++]);
      }
    }
  }
}
