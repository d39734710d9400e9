import { DataError } from '../errors.js';
import { pythonSetOrder } from '../format/python-set.js';
import { hasColumn, type LmsDatabase } from './database.js';

/** One row of oel_tagging_tag as the tree needs it. */
interface TagNode {
  readonly parent: number | null;
  readonly value: string;
  /** The stored lineage column (newest openedx-core): values joined by tabs, trailing tab. */
  readonly storedLineage: string | null;
}

/**
 * Every tag of the LMS with its parent, loaded once per run: gives each tag's lineage
 * (values from the root down) and its ancestor ids, without one query per tag.
 */
export class TagTree {
  constructor(private readonly nodes: ReadonlyMap<number, TagNode>) {}

  has(id: number): boolean {
    return this.nodes.has(id);
  }

  /**
   * The plugin's tags of an object (get_tags_for_block): for each of its object tags in order,
   * the tag and then its ancestors added to a set, as `list(set(...))` iterates it in CPython.
   */
  withAncestors(ids: readonly number[]): number[] {
    return pythonSetOrder(ids.flatMap((id) => this.chain(id)));
  }

  /** The tag and its ancestors, nearest first. */
  chain(id: number): number[] {
    const chain: number[] = [];
    for (let current: number | null = id; current !== null; current = this.nodes.get(current)?.parent ?? null) {
      if (chain.includes(current)) throw new DataError(`tag ${id} has a parent cycle`);
      if (!this.nodes.has(current)) break;
      chain.push(current);
    }
    return chain;
  }

  /** Tag values from the root down to the tag (Tag.get_lineage()). */
  lineage(id: number): string[] {
    const stored = this.nodes.get(id)?.storedLineage;
    if (stored) return stored.replace(/\t$/, '').split('\t');
    return this.chain(id).reverse().map((tagId) => (this.nodes.get(tagId) as TagNode).value);
  }
}

/**
 * Loads the whole tag table; reads the stored lineage column where the schema has one.
 * An LMS without the tagging app (before Redwood) has an empty tree.
 */
export async function loadTagTree(db: LmsDatabase): Promise<TagTree> {
  if (!(await hasColumn(db, 'oel_tagging_tag'))) return new TagTree(new Map());
  const lineage = (await hasColumn(db, 'oel_tagging_tag', 'lineage')) ? 'lineage' : 'NULL';
  const rows = await db.select(`SELECT id, parent_id, value, ${lineage} AS lineage FROM oel_tagging_tag`, []);
  const nodes = new Map<number, TagNode>();
  for (const row of rows) {
    nodes.set(Number(row.id), {
      parent: row.parent_id == null ? null : Number(row.parent_id),
      value: String(row.value),
      storedLineage: row.lineage == null ? null : String(row.lineage),
    });
  }
  return new TagTree(nodes);
}
