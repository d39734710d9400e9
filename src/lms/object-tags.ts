import { hasColumn, type LmsDatabase } from './database.js';

/** Tag ids applied to each object (course or block key), in the order the plugin reads them, loaded once per run. */
export class ObjectTags {
  constructor(private readonly byObject: ReadonlyMap<string, readonly number[]>) {}

  /** The tag ids on `objectId` (exact, case-sensitive match, as object_id is utf8mb4_bin), in get_object_tags order. */
  of(objectId: string): readonly number[] {
    return this.byObject.get(objectId) ?? [];
  }
}

/**
 * Per object, openedx-learning's get_object_tags order: taxonomy name (or export id), then the
 * lower-cased values of up to three ancestors and the tag, each followed by a tab ("tree
 * order"), sorted by MySQL as the Django query has it sorted; the row id breaks ties.
 */
const PLUGIN_ORDER = `COALESCE(tx.name, o._export_id), LOWER(CONCAT_WS('', CONCAT(p3.value, '\t'), CONCAT(p2.value, '\t'),
  CONCAT(p1.value, '\t'), COALESCE(t.value, o._value), '\t')), o.id`;

/**
 * Object tags the plugin counts: a tag id set, in an enabled taxonomy (free text and tags of
 * deleted or disabled taxonomies add no ids).
 */
export async function loadObjectTags(db: LmsDatabase): Promise<ObjectTags> {
  if (!(await hasColumn(db, 'oel_tagging_objecttag'))) return new ObjectTags(new Map());
  const rows = await db.select(
    'SELECT o.object_id, o.tag_id FROM oel_tagging_objecttag o JOIN oel_tagging_taxonomy tx ON tx.id = o.taxonomy_id'
    + ' JOIN oel_tagging_tag t ON t.id = o.tag_id LEFT JOIN oel_tagging_tag p1 ON p1.id = t.parent_id'
    + ' LEFT JOIN oel_tagging_tag p2 ON p2.id = p1.parent_id LEFT JOIN oel_tagging_tag p3 ON p3.id = p2.parent_id'
    + ` WHERE tx.enabled = 1 ORDER BY o.object_id, ${PLUGIN_ORDER}`, []);
  const byObject = new Map<string, number[]>();
  for (const row of rows) {
    const objectId = String(row.object_id);
    const tags = byObject.get(objectId);
    if (tags) tags.push(Number(row.tag_id));
    else byObject.set(objectId, [Number(row.tag_id)]);
  }
  return new ObjectTags(byObject);
}
