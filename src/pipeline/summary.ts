import type { Key } from '../lms/keyset.js';
import type { Decision } from './decision.js';

/** How one object's dump ended. */
export type ObjectStatus = 'success' | 'failed' | 'interrupted' | 'not-run';

/** The result of dumping one object; the JSON summary prints these fields as they are. */
export interface ObjectSummary {
  object: string;
  table: string;
  status: ObjectStatus;
  /** Source rows read from MySQL. */
  rows_read: number;
  /** Rows inserted into ClickHouse (0 with --dry-run: see rows_to_write). */
  rows_written: number;
  /** Rows skipped because ClickHouse already holds them up to date. */
  rows_unchanged: number;
  /** Of those, rows found unchanged in bulk (both sides' summaries of a range agreed), without a row compared. */
  rows_unchanged_by_summary?: number;
  /** What was compared: `all rows`, or `changes in <table.column>` (a change signal, pipeline/change-plan.ts)... */
  compared?: string;
  /** ...why all rows, when the object has a change signal... */
  compare_reason?: string;
  /** ...or since when (UTC) changes were read, and how many keys changed. */
  changes_since?: string;
  changed_keys?: number;
  /** Rows written (or, with --dry-run, that would be) into each nested object (course_blocks). */
  child_rows_written: Record<string, number>;
  /** How many rows were dumped and skipped, per reason. */
  decisions: { dumped: Record<string, number>; skipped: Record<string, number> };
  /** Batches read. */
  batches: number;
  /** Wall-clock seconds spent on this object. */
  seconds: number;
  /** Primary key of the last row whose batch is complete; resume with --start-pk this. */
  last_pk: Key | null;
  /** With --dry-run (where rows_written and child_rows_written are 0): rows that would be written. */
  rows_to_write?: number;
  child_rows_to_write?: Record<string, number>;
  /** With --ids: keys asked for (less --skip-ids), and how many of them the LMS has. */
  keys_requested?: number;
  keys_found?: number;
  /** With --prune: keys ClickHouse held that the LMS no longer has, removed, and their rows (course_blocks' included); with --dry-run, keys_to_prune. */
  keys_pruned?: number;
  rows_pruned?: number;
  keys_to_prune?: number;
  /** Rows no rule can write, left out (pipeline/left-out.ts), and the first of them named. */
  rows_left_out?: number;
  left_out?: { key: Key; column: string; reason: string }[];
  /** One-line reason when status is failed or interrupted. */
  error?: string;
  /** The batch that could not be completed, and how much of it is in ClickHouse. */
  failed_batch?: FailedBatch;
}

/** A batch a failure or a second signal cut short. */
export interface FailedBatch {
  /** Rows of the batch to be written into the object's table. */
  rows: number;
  /** Of those, rows in ClickHouse after the failure; null when that could not be checked. */
  rows_in_clickhouse: number | null;
  /** The insert that failed: its table, its rows, and how many of them are in ClickHouse. */
  insert: FailedInsert;
}

/** The insert a failure cut short, and, when what landed could not be checked, where its last attempt was left. */
export interface FailedInsert {
  table: string;
  rows: number;
  rows_in_clickhouse: number | null;
  /** The staging table of its last attempt (dropped by the next run before it writes). */
  staging_table?: string;
  /** The query id of that attempt's publish, when it was sent: its rows may land until the next run starts. */
  publish_query_id?: string;
}

/** The result of one `aspects dump` run. */
export interface DumpSummary {
  command: 'dump';
  /** The tool's version and the host it ran on. */
  version: string;
  host: string;
  /** ISO 8601 UTC: when the run started and ended. */
  started_at: string;
  finished_at: string;
  dry_run: boolean;
  force: boolean;
  /** incomplete: everything was written but the rows no rule can write (objects' left_out). */
  status: 'success' | 'incomplete' | 'failed' | 'interrupted';
  objects: ObjectSummary[];
  /** Objects skipped before starting (PII disabled, switched off), with the reason. */
  skipped: { object: string; reason: string }[];
}

/** A fresh summary for an object about to be dumped. */
export function emptyObjectSummary(object: string, table: string): ObjectSummary {
  return {
    object, table, status: 'not-run', rows_read: 0, rows_written: 0, rows_unchanged: 0,
    child_rows_written: {}, decisions: { dumped: {}, skipped: {} }, batches: 0, seconds: 0, last_pk: null,
  };
}

/** Counts one row's decision under its reason. */
export function countDecision(summary: ObjectSummary, decision: Decision): void {
  const bucket = decision.dump ? summary.decisions.dumped : summary.decisions.skipped;
  bucket[decision.reason] = (bucket[decision.reason] ?? 0) + 1;
}

/** A dry run's object summary: nothing written, what would have been as rows_to_write. */
export function dryRunSummary(object: ObjectSummary): ObjectSummary {
  return {
    ...object, rows_written: 0, child_rows_written: {},
    rows_to_write: object.rows_written, child_rows_to_write: object.child_rows_written,
  };
}
