import type { Connection } from 'mysql2/promise';
import type { TaggingSchema } from './lms-schema.js';

/** A tag of the fixture: id, taxonomy, parent, value, external id. */
type TagSpec = readonly [id: number, taxonomy: number, parent: number | null, value: string, externalId: string | null];

const TAXONOMIES: readonly (readonly [number, string, string, number, number])[] = [
  // id, name, export_id, enabled, allow_free_text
  [-1, 'Languages', 'languages-v1', 1, 0],
  [1, 'Instruments', '1-instruments', 1, 0],
  [2, 'Skills & "Compétences" 🎯', '2-skills', 1, 0],
  [3, 'Free-text notes', '3-notes', 1, 1],
  [4, 'Disabled taxonomy', '4-disabled', 0, 0],
];

const TAGS: readonly TagSpec[] = [
  [1, 1, null, 'Wind instruments', 'WINDS'],
  [11, 1, 1, 'Brass', null],
  [12, 1, 1, 'Woodwinds', 'wood'],
  [111, 1, 11, 'Trumpet', 'trumpet'],
  [112, 1, 11, 'Horn "French"', null],
  [2, 1, null, 'Percussion \\ drums', 'perc'],
  [501, -1, null, 'English', 'en'],
  [502, -1, null, 'Français', 'fr'],
  [503, -1, null, '日本語', 'ja'],
  [601, 2, null, 'Level 0 ✓', 'l0'],
  [602, 2, 601, 'Level 1 «quoted»', 'l1'],
  [603, 2, 602, 'Level 2, with comma', 'l2'],
  [604, 2, 603, "Level 3 'single'", 'l3'],
  [605, 2, 604, 'Level 4 😀', 'l4'],
  [606, 2, 605, 'Level 5 deepest', 'l5'],
  [701, 4, null, 'In a disabled taxonomy', 'dis'],
];

function lineageOf(tag: TagSpec): string[] {
  const parent = TAGS.find(([id]) => id === tag[2]);
  return [...(parent ? lineageOf(parent) : []), tag[3]];
}

async function insertTaxonomies(db: Connection, schema: TaggingSchema): Promise<void> {
  const extra = schema === 'newest' ? ', read_only, archived' : '';
  const rows = TAXONOMIES.map(([id, name, exportId, enabled, freeText]) =>
    [id, name, '', enabled, 1, freeText, 1, exportId, ...(schema === 'newest' ? [0, 0] : [])]);
  await db.query(`INSERT INTO oel_tagging_taxonomy (id, name, description, enabled, allow_multiple, allow_free_text, visible_to_authors, export_id${extra}) VALUES ?`, [rows]);
}

async function insertTags(db: Connection, schema: TaggingSchema): Promise<void> {
  for (const tag of TAGS) {
    const [id, taxonomy, parent, value, externalId] = tag;
    if (schema === 'newest') {
      const lineage = lineageOf(tag);
      await db.query('INSERT INTO oel_tagging_tag (id, taxonomy_id, parent_id, value, external_id, depth, lineage, archived) VALUES (?, ?, ?, ?, ?, ?, ?, 0)',
        [id, taxonomy, parent, value, externalId ?? value, lineage.length - 1, `${lineage.join('\t')}\t`]);
    } else {
      await db.query('INSERT INTO oel_tagging_tag (id, taxonomy_id, parent_id, value, external_id) VALUES (?, ?, ?, ?, ?)',
        [id, taxonomy, parent, value, externalId]);
    }
  }
}

/** Object tags on `objects` (course and block keys): tags, free text, a taxonomy since deleted. */
async function insertObjectTags(db: Connection, schema: TaggingSchema, objects: readonly string[]): Promise<void> {
  const rows: unknown[][] = [];
  const add = (objectId: string, taxonomy: number | null, tagId: number | null, exportId: string, value: string): void => {
    rows.push([objectId, taxonomy, tagId, exportId, value, ...(schema === 'newest' ? [0, 0, 0] : [])]);
  };
  objects.forEach((objectId, index) => {
    const pick = TAGS[index % TAGS.length] as TagSpec;
    const exportId = (TAXONOMIES.find(([id]) => id === pick[1]) as readonly [number, string, string, number, number])[2];
    add(objectId, pick[1], pick[0], exportId, pick[3]);
    if (index % 3 === 0) add(objectId, 1, 111, '1-instruments', 'Trumpet');
    if (index % 4 === 0) add(objectId, 3, null, '3-notes', `note "${index}" ✎`);
    if (index % 5 === 0) add(objectId, null, null, 'deleted-taxonomy', 'orphan value');
  });
  const extra = schema === 'newest' ? ', is_copied, archived, deletion_locked' : '';
  await db.query(`INSERT IGNORE INTO oel_tagging_objecttag (object_id, taxonomy_id, tag_id, _export_id, _value${extra}) VALUES ?`, [rows]);
}

/** Fills the tagging tables: taxonomies (one with id -1), a six-level tag tree, object tags. */
export async function fillTags(db: Connection, schema: TaggingSchema, objects: readonly string[]): Promise<void> {
  await insertTaxonomies(db, schema);
  await insertTags(db, schema);
  await insertObjectTags(db, schema, objects);
}
