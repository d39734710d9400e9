import { hasColumn, type LmsDatabase } from './database.js';

/** Tag ids applied to each object (course or block key), loaded once per run. */
export class ObjectTags {
  constructor(private readonly byObject: ReadonlyMap<string, readonly number[]>) {}

  /** The tag ids on `objectId` (exact, case-sensitive match, as object_id is utf8mb4_bin). */
  of(objectId: string): readonly number[] {
    return this.byObject.get(objectId) ?? [];
  }
}

/**
 * Object tags the plugin counts: a tag id set, in an enabled taxonomy (free text and tags of
 * deleted or disabled taxonomies add no ids).
 */
export async function loadObjectTags(db: LmsDatabase): Promise<ObjectTags> {
  if (!(await hasColumn(db, 'oel_tagging_objecttag'))) return new ObjectTags(new Map());
  const rows = await db.select(
    'SELECT o.object_id, o.tag_id FROM oel_tagging_objecttag o JOIN oel_tagging_taxonomy tx ON tx.id = o.taxonomy_id'
    + ' WHERE o.tag_id IS NOT NULL AND tx.enabled = 1', []);
  const byObject = new Map<string, number[]>();
  for (const row of rows) {
    const objectId = String(row.object_id);
    const tags = byObject.get(objectId);
    if (tags) tags.push(Number(row.tag_id));
    else byObject.set(objectId, [Number(row.tag_id)]);
  }
  return new ObjectTags(byObject);
}
