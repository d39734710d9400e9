import { MongoClient, ObjectId, type Document } from 'mongodb';
import { pythonDatetime } from '../format/datetime.js';
import type { LmsDatabase } from '../lms/database.js';
import type { CourseStructure, StructureBlock, StructureSource } from './types.js';

/** Where the split modulestore lives in MongoDB. */
export interface ModulestoreLocation {
  /** mongodb:// URL; its path names the database (Tutor: openedx). */
  readonly url: string;
  /** Collection prefix (DOC_STORE_CONFIG "collection"; default modulestore). */
  readonly collectionPrefix: string;
}

/** Python str() of an aware datetime read from Mongo (millisecond precision). */
function pythonStrOfDate(date: Date): string {
  return pythonDatetime(date.toISOString().replace('T', ' ').replace('Z', '000'));
}

/** EditInfo.from_storable: `edit_info.get('edited_on', None)`, as str(). */
function editedOn(editInfo: Document | undefined): string | null {
  const value: unknown = editInfo?.edited_on;
  return value instanceof Date ? pythonStrOfDate(value) : value == null ? null : String(value);
}

/** fields.children as [type, id] pairs (split stores each as a two-element array). */
function childrenOf(fields: Document): (readonly [string, string])[] {
  if (!Array.isArray(fields.children)) return [];
  return fields.children.filter(Array.isArray).map((child: unknown[]) => [String(child[0]), String(child[1])] as const);
}

function blockFromDocument(block: Document): StructureBlock {
  const fields: Document = block.fields ?? {};
  return {
    type: String(block.block_type),
    id: String(block.block_id),
    fields,
    defaults: (block.defaults ?? {}) as Document,
    children: childrenOf(fields),
    editedOn: editedOn(block.edit_info as Document | undefined),
  };
}

/** A `modulestore.structures` document as the walk needs it (blocks as array, or old dict form). */
export function structureFromDocument(document: Document): CourseStructure {
  const blocks: Document[] = Array.isArray(document.blocks) ? document.blocks : Object.values(document.blocks ?? {});
  const root = Array.isArray(document.root) ? document.root : ['course', 'course'];
  return { root: [String(root[0]), String(root[1])], blocks: blocks.map(blockFromDocument) };
}

/**
 * Published course structures from the split modulestore: the structure ids from MySQL's course
 * index, then the structure documents from MongoDB (two lookups per batch of courses).
 */
export function modulestoreSource(db: LmsDatabase, location: ModulestoreLocation): StructureSource {
  const client = new MongoClient(location.url, { serverSelectionTimeoutMS: 5_000 });
  const structures = client.db().collection(`${location.collectionPrefix}.structures`);
  return {
    name: 'modulestore',
    async structuresFor(courseKeys) {
      if (courseKeys.length === 0) return new Map();
      const index = await db.select(
        "SELECT course_id, published_version FROM split_modulestore_django_splitmodulestorecourseindex WHERE course_id IN (?) AND published_version <> ''",
        [courseKeys]);
      const courseOf = new Map(index.map((row) => [String(row.published_version), String(row.course_id)]));
      const ids = [...courseOf.keys()].filter((hex) => ObjectId.isValid(hex)).map((hex) => new ObjectId(hex));
      const found = new Map<string, CourseStructure>();
      for await (const document of structures.find({ _id: { $in: ids } })) {
        const course = courseOf.get(String(document._id));
        if (course) found.set(course, structureFromDocument(document));
      }
      return found;
    },
    close: () => client.close(),
  };
}
