import type { LmsDatabase } from './database.js';
import { loadObjectTags, type ObjectTags } from './object-tags.js';
import { loadTagTree, type TagTree } from './tag-tree.js';

/** Reference data a sink may compute columns from, loaded once per run. */
export interface References {
  readonly tagTree: TagTree;
  readonly objectTags: ObjectTags;
}

/** A name of reference data a sink declares it needs. */
export type ReferenceName = keyof References;

const LOADERS: { readonly [Name in ReferenceName]: (db: LmsDatabase) => Promise<References[Name]> } = {
  tagTree: loadTagTree,
  objectTags: loadObjectTags,
};

/** The LMS tables (and columns) each reference reads, for the check before a run (source-tables.ts). */
export const REFERENCE_TABLES: { readonly [Name in ReferenceName]: Readonly<Record<string, readonly string[]>> } = {
  tagTree: { oel_tagging_tag: ['id', 'parent_id', 'value'] },
  objectTags: {
    oel_tagging_objecttag: ['id', 'object_id', 'tag_id', 'taxonomy_id', '_export_id', '_value'],
    oel_tagging_taxonomy: ['id', 'name', 'enabled'], oel_tagging_tag: ['id', 'parent_id', 'value'],
  },
};

/** References backed by `loaded`; reading one that was not loaded is a programming error. */
function referencesFrom(loaded: ReadonlyMap<ReferenceName, unknown>): References {
  return new Proxy({} as References, {
    get(_target, name) {
      // Anything that is not a reference name (e.g. `then`, probed by await) is simply absent.
      if (typeof name !== 'string' || !(name in LOADERS)) return undefined;
      if (!loaded.has(name as ReferenceName)) throw new Error(`reference ${name} was used but not declared by the sink`);
      return loaded.get(name as ReferenceName);
    },
  });
}

/** What a sink that declares no references gets. */
export const NO_REFERENCES: References = referencesFrom(new Map());

/** Loads the references a sink declares. */
export async function loadReferences(names: readonly ReferenceName[], db: LmsDatabase): Promise<References> {
  const loaded = new Map<ReferenceName, unknown>();
  for (const name of names) loaded.set(name, await LOADERS[name](db));
  return referencesFrom(loaded);
}
