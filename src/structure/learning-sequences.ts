import type { LmsDatabase, SourceRow } from '../lms/database.js';
import type { CourseStructure, StructureBlock, StructureSource } from './types.js';
import { typeAndId } from './usage-key.js';

type Pair = readonly [string, string];

const SECTIONS = `SELECT lc.context_key, s.usage_key, s.title
  FROM learning_sequences_coursesection s JOIN learning_sequences_learningcontext lc ON lc.id = s.course_context_id
  WHERE lc.context_key IN (?) ORDER BY lc.context_key, s.ordering`;
const SEQUENCES = `SELECT lc.context_key, sec.usage_key AS section_key, ls.usage_key, ls.title
  FROM learning_sequences_coursesectionsequence css
  JOIN learning_sequences_coursesection sec ON sec.id = css.section_id
  JOIN learning_sequences_learningsequence ls ON ls.id = css.sequence_id
  JOIN learning_sequences_learningcontext lc ON lc.id = css.course_context_id
  WHERE lc.context_key IN (?) ORDER BY lc.context_key, css.ordering`;

/** The tables and columns the outlines are read from, for the check before a run (lms/source-tables.ts). */
export const LEARNING_SEQUENCES_TABLES: Readonly<Record<string, readonly string[]>> = {
  learning_sequences_learningcontext: ['id', 'context_key', 'title', 'modified'],
  learning_sequences_coursesection: ['id', 'course_context_id', 'usage_key', 'title', 'ordering'],
  learning_sequences_coursesectionsequence: ['section_id', 'sequence_id', 'course_context_id', 'ordering'],
  learning_sequences_learningsequence: ['id', 'usage_key', 'title'],
};

/** One block of an outline: a title for its display name, children as they are added. */
function outlineBlock(type: string, id: string, title: string | null): StructureBlock & { children: Pair[] } {
  return { type, id, fields: { display_name: title }, defaults: {}, children: [] };
}

/** A course's outline being assembled: course block, then chapters, then sequentials. */
class Outline {
  readonly blocks = new Map<string, StructureBlock & { children: Pair[] }>();
  constructor(title: string | null) {
    this.blocks.set('course', outlineBlock('course', 'course', title));
  }

  add(usageKey: string, title: string, parentKey: string): void {
    const pair = typeAndId(usageKey);
    const parent = this.blocks.get(parentKey);
    if (!pair || !parent) return;
    parent.children.push(pair);
    this.blocks.set(usageKey, outlineBlock(pair[0], pair[1], title));
  }

  structure(): CourseStructure {
    return { root: ['course', 'course'], blocks: [...this.blocks.values()] };
  }
}

/**
 * Course outlines from MySQL's learning_sequences tables: the course, its chapters and
 * sequentials with titles and order. No units, components, graded flags or edit times.
 */
export function learningSequencesSource(db: LmsDatabase): StructureSource {
  return {
    name: 'learning-sequences',
    async structuresFor(courseKeys) {
      if (courseKeys.length === 0) return new Map();
      const contexts = await db.select('SELECT context_key, title FROM learning_sequences_learningcontext WHERE context_key IN (?)', [courseKeys]);
      const outlines = new Map(contexts.map((row) => [String(row.context_key), new Outline(row.title == null ? null : String(row.title))]));
      const add = (row: SourceRow, parentKey: string): void =>
        outlines.get(String(row.context_key))?.add(String(row.usage_key), String(row.title), parentKey);
      for (const row of await db.select(SECTIONS, [courseKeys])) add(row, 'course');
      for (const row of await db.select(SEQUENCES, [courseKeys])) add(row, String(row.section_key));
      return new Map([...outlines].map(([key, outline]) => [key, outline.structure()]));
    },
    // modified, not published_at: published_at is the course's last edit, older than the Celery task that stores the outline.
    async storedAt(courseKeys) {
      if (courseKeys.length === 0) return new Map();
      const rows = await db.select('SELECT context_key, modified FROM learning_sequences_learningcontext WHERE context_key IN (?) AND modified IS NOT NULL', [courseKeys]);
      return new Map(rows.map((row) => [String(row.context_key), String(row.modified)]));
    },
    close: async () => undefined,
  };
}
