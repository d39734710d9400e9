/** A block of a course structure, as a structure source reads it. */
export interface StructureBlock {
  readonly type: string;
  readonly id: string;
  /**
   * The field values the block itself sets, as stored (split: `fields`): a key that is present
   * counts as set, even with a null value.
   */
  readonly fields: Readonly<Record<string, unknown>>;
  /** Values that stand below `fields` (split: `defaults`, what a block copied from a library keeps). */
  readonly defaults: Readonly<Record<string, unknown>>;
  /** Children in order, as [type, id] (from fields.children). */
  readonly children: readonly (readonly [string, string])[];
  /**
   * Python str() of edit_info.edited_on; null when it is None or absent ("None" is written);
   * undefined when the source has no edit information at all (learning_sequences: "" is written).
   */
  readonly editedOn?: string | null;
}

/** The published structure of one course. */
export interface CourseStructure {
  /** [type, id] of the root block, usually ["course", "course"]. */
  readonly root: readonly [string, string];
  /** Every block of the structure, reachable or not, in document order. */
  readonly blocks: readonly StructureBlock[];
}

/** Where course structures come from (the split modulestore, or MySQL's learning_sequences). */
export interface StructureSource {
  /** A short name for messages and summaries. */
  readonly name: string;
  /** The structures of these courses; a course without one is absent from the map. */
  structuresFor(courseKeys: readonly string[]): Promise<Map<string, CourseStructure>>;
  /**
   * When the source last stored each of these courses' structure (a MySQL datetime), where that
   * can come after the course overview's `modified`: learning_sequences' outline is built by a
   * Celery task after the publish. Absent where the structure is current once the overview is.
   */
  storedAt?(courseKeys: readonly string[]): Promise<Map<string, string>>;
  close(): Promise<void>;
}
