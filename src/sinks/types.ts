import type { Cell } from '../format/cell.js';
import type { Formatter, SourceValue } from '../format/values.js';
import type { SourceRow } from '../lms/database.js';
import type { ReferenceName, References } from '../lms/references.js';
import type { CourseStructure } from '../structure/types.js';

/** A value computed from the source row and the sink's declared references. Pure. */
export type ComputedSource = (row: SourceRow, references: References) => SourceValue;

/** One ClickHouse column of a sink, in the contract's order. */
export interface ColumnSpec {
  /** ClickHouse column name. */
  readonly name: string;
  /** Field name in the source query's result row, or a computation over the row. */
  readonly source: string | ComputedSource;
  /** Turns the MySQL value into the contract's cell. */
  readonly format: Formatter;
}

/** Where a sink's rows come from in the LMS database, read in primary-key order. */
export interface SourceSpec {
  /** FROM clause, joins included (static SQL, no values). */
  readonly from: string;
  /** Select list: result field name → SQL expression. */
  readonly fields: Readonly<Record<string, string>>;
  /** Primary key expression used for keyset pagination, --ids and --start-pk. */
  readonly key: string;
  /** Whether the key is an integer id or a text key (course key). */
  readonly keyType: 'integer' | 'text';
  /** Column holding the organisation, when the object can be filtered with --org. */
  readonly orgColumn?: string;
  /** Column holding the last publish time, when the object can be filtered with --published-since. */
  readonly publishedColumn?: string;
}

/**
 * How the pipeline decides which rows are out of date.
 * `changed-rows`: a row is written when ClickHouse has no row for its key, or when the
 * latest row there (by time_last_dumped) differs in any column.
 */
export interface ChangedRowsRule {
  readonly kind: 'changed-rows';
  /** The ClickHouse column that identifies the object (one of `columns`). */
  readonly targetKey: string;
}

/**
 * `modified-since-dump`: a row is written when ClickHouse holds no row for its key, or when its
 * cursor (a MySQL datetime) is later than the newest time_last_dumped there (courses).
 */
export interface ModifiedSinceDumpRule {
  readonly kind: 'modified-since-dump';
  /** The ClickHouse column that identifies the object (one of `columns`). */
  readonly targetKey: string;
  /** Source field with the last-modified datetime. */
  readonly cursorField: string;
  /** What the reasons call one object ("Course"). */
  readonly noun: string;
}

/** The incremental rule of a sink. */
export type IncrementalRule = ChangedRowsRule | ModifiedSinceDumpRule;

/**
 * Where the LMS itself records that a row changed, so an incremental run reads only the keys
 * changed since the last complete run (pipeline/change-plan.ts): a history table with one row
 * per change, or the object's own table with a column every save sets.
 */
export interface ChangeSignal {
  /** The table recording changes. */
  readonly table: string;
  /** Its column holding the changed row's MySQL key (the value of the source's key). */
  readonly key: string;
  /** Its column holding when the change was made (UTC, from the LMS's clock). */
  readonly changedAt: string;
  /** Writes it misses, for the operator (a periodic full compare catches them). */
  readonly misses: string;
}

/** A declarative description of one Aspects object. No I/O. */
export interface Sink {
  /** The `--object` name. */
  readonly name: string;
  /** ClickHouse table in the event_sink database. */
  readonly table: string;
  /** Holds personal data: dumped only when PII is enabled. */
  readonly pii: boolean;
  /** The column holding the user id: rows of retired users are never written. */
  readonly userColumn?: string;
  /** One line for `--help` and README. */
  readonly description: string;
  readonly source: SourceSpec;
  /** Data columns in contract order; dump_id and time_last_dumped follow them. */
  readonly columns: readonly ColumnSpec[];
  readonly incremental: IncrementalRule;
  /** Where the LMS records changes of the object's rows, when it does (read instead of comparing every row). */
  readonly changeSignal?: ChangeSignal;
  /**
   * Goes up (from 1) when what this sink writes for the same source fields changes, so that its
   * rows already written count as changed once (pipeline/fingerprint.ts); other sinks keep theirs.
   */
  readonly formatVersion?: number;
  /**
   * Dashboards show a row of this object only with a row of `table` holding the same `column`
   * (Aspects' user_pii dictionary joins user_profile to external_id on user_id): status counts the others.
   */
  readonly shownWith?: { readonly table: string; readonly column: string };
  /** Reference data the computed columns read (loaded once per run). */
  readonly references?: readonly ReferenceName[];
  /** Objects written with each row, sharing its dump_id and time_last_dumped (course_blocks). */
  readonly children?: readonly ChildSink[];
}

/**
 * An object nested under a parent sink, built from the parent's course structure: it has no
 * `--object` name of its own and is written right with its parent rows.
 */
export interface ChildSink {
  readonly name: string;
  /** ClickHouse table in the event_sink database. */
  readonly table: string;
  /** Data columns in contract order; dump_id and time_last_dumped follow them. */
  readonly columns: readonly string[];
  /** The column telling apart the child rows of one parent (they share its dump_id). */
  readonly rowKey: string;
  /** The data cells of every child row of the parent with key `parentKey`. Pure. */
  rowsOf(parentKey: string, structure: CourseStructure, references: References): Cell[][];
}

/** The two columns every sink's rows end with. */
export const STAMP_COLUMNS = Object.freeze(['dump_id', 'time_last_dumped'] as const);

/** Declares a sink; the object is frozen so no run can change it. */
export function defineSink(sink: Sink): Sink {
  return Object.freeze(sink);
}
