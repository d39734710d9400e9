/** A block of a course structure, as a structure source reads it. */
export interface StructureBlock {
  readonly type: string;
  readonly id: string;
  /** The explicitly set display name, or null. */
  readonly displayName: string | null;
  /** Children in order, as [type, id]. */
  readonly children: readonly (readonly [string, string])[];
  /** The explicitly set `graded` value (inherited by descendants), or undefined. */
  readonly graded?: boolean;
  /**
   * Python str() of edit_info.edited_on: a string, null when the attribute is None ("None" is
   * written), or undefined when the source has no such attribute ("" is written).
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
  close(): Promise<void>;
}
