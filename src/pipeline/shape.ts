import { randomUUID } from 'node:crypto';
import { DataError, messageOf } from '../errors.js';
import { bare, encodeRow, quoted, type Cell } from '../format/cell.js';
import { nowPythonDatetime } from '../format/datetime.js';
import { KEY_FIELD, type Key } from '../lms/keyset.js';
import type { SourceRow } from '../lms/database.js';
import { NO_REFERENCES, type References } from '../lms/references.js';
import { STAMP_COLUMNS, type Sink } from '../sinks/types.js';

/** A source row turned into the sink's data cells (stamp not yet added). */
export interface ShapedRow {
  /** The MySQL primary key. */
  readonly key: Key;
  /** One cell per sink column, in contract order. */
  readonly cells: readonly Cell[];
  /** The incremental cursor (modified-since-dump rules): a MySQL datetime, or null. */
  readonly cursor: string | null;
}

/** Formats one source row; a value that cannot be formatted names its object, key and column. */
export function shapeRow(sink: Sink, row: SourceRow, references: References = NO_REFERENCES): ShapedRow {
  const raw = row[KEY_FIELD];
  const key = sink.source.keyType === 'integer' ? Number(raw) : String(raw);
  const cells = sink.columns.map((column) => {
    try {
      const value = typeof column.source === 'string' ? row[column.source] : column.source(row, references);
      return column.format(value);
    } catch (error) {
      throw new DataError(`${sink.name} pk ${key}, column ${column.name}: ${messageOf(error)}`);
    }
  });
  const rule = sink.incremental;
  const cursorValue = rule.kind === 'modified-since-dump' ? row[rule.cursorField] : null;
  return { key, cells, cursor: cursorValue == null ? null : String(cursorValue) };
}

/** Where a sink's ClickHouse key column (course_key, id, external_user_id) sits among its cells. */
export function targetKeyIndex(sink: Sink): number {
  return sink.columns.findIndex((column) => column.name === sink.incremental.targetKey);
}

/** The row's value of the sink's ClickHouse key column, as ClickHouse stores it. */
export function targetKeyOf(sink: Sink, row: ShapedRow): string {
  return (row.cells[targetKeyIndex(sink)] as Cell).text;
}

/** Every column an insert names: the data columns, then dump_id and time_last_dumped. */
export function withStampColumns(names: readonly string[]): string[] {
  return [...names, ...STAMP_COLUMNS];
}

/** Every column a sink's insert names. */
export function insertColumns(sink: Sink): string[] {
  return withStampColumns(sink.columns.map((column) => column.name));
}

/** The dump stamp of one row: its dump_id and the batch's time_last_dumped. */
export interface Stamp {
  readonly dumpId: string;
  readonly timeLastDumped: string;
}

/** Data cells with the stamp they are written with. */
export interface StampedRow {
  readonly cells: readonly Cell[];
  readonly stamp: Stamp;
}

/** A fresh stamp: a new dump_id, and the given time_last_dumped. */
export function newStamp(timeLastDumped: string): Stamp {
  return { dumpId: randomUUID(), timeLastDumped };
}

/** Characters per piece of an encoded batch: big enough for few writes, small enough to spare memory. */
const CHUNK_CHARS = 1 << 20;

/**
 * The CSV body of stamped rows, as UTF-8 pieces. Built once before the first attempt, so a retry
 * sends identical rows. Pieces rather than one string keep the peak memory of large batches down.
 */
export function encodeStamped(rows: readonly StampedRow[]): Buffer[] {
  const chunks: Buffer[] = [];
  let pending = '';
  for (const { cells, stamp } of rows) {
    pending += encodeRow([...cells, bare(stamp.dumpId), quoted(stamp.timeLastDumped)]);
    if (pending.length >= CHUNK_CHARS) {
      chunks.push(Buffer.from(pending, 'utf8'));
      pending = '';
    }
  }
  if (pending) chunks.push(Buffer.from(pending, 'utf8'));
  return chunks;
}

/** The CSV body of one batch: each row its own dump_id (as upstream), one time_last_dumped. */
export function encodeBatch(rows: readonly ShapedRow[], timeLastDumped: string = nowPythonDatetime()): Buffer[] {
  return encodeStamped(rows.map((row) => ({ cells: row.cells, stamp: newStamp(timeLastDumped) })));
}
