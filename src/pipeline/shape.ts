import { DataError, messageOf } from '../errors.js';
import { encodeFields, type Cell } from '../format/cell.js';
import { KEY_FIELD, type Key } from '../lms/keyset.js';
import type { SourceRow } from '../lms/database.js';
import { NO_REFERENCES, type References } from '../lms/references.js';
import { STAMP_COLUMNS, type Sink } from '../sinks/types.js';
import { FINGERPRINT_FIELD, hasComputedColumns, withComputedCells } from './fingerprint.js';
import { newInsertStamp, randomFingerprint, rowStamp, type InsertStamp, type Stamp } from './stamp.js';

/** A source row turned into the sink's data cells (stamp not yet added). */
export interface ShapedRow {
  /** The MySQL primary key. */
  readonly key: Key;
  /** One cell per sink column, in contract order. */
  readonly cells: readonly Cell[];
  /** The incremental cursor (modified-since-dump rules): a MySQL datetime, or null. */
  readonly cursor: string | null;
  /** 15 hex digits that change when the row does (fingerprint.ts); random when the read had none. */
  readonly fingerprint: string;
}

/** A source row no rule can write (the plugin's own code would fail on it too): its object, key, column and why. */
export class UnwritableRow extends DataError {
  constructor(readonly object: string, readonly key: Key, readonly column: string, readonly reason: string) {
    super(`${object} pk ${key}, column ${column}: ${reason}`);
  }
}

function shapeCells(sink: Sink, row: SourceRow, references: References, key: Key): Cell[] {
  return sink.columns.map((column) => {
    try {
      const value = typeof column.source === 'string' ? row[column.source] : column.source(row, references);
      return column.format(value);
    } catch (error) {
      throw new UnwritableRow(sink.name, key, column.name, messageOf(error));
    }
  });
}

function fingerprintOf(sink: Sink, row: SourceRow, cells: readonly Cell[]): string {
  const read = row[FINGERPRINT_FIELD];
  if (read == null) return randomFingerprint();
  return hasComputedColumns(sink) ? withComputedCells(String(read), sink, cells) : String(read);
}

/** Formats one source row; a value that cannot be formatted names its object, key and column. */
export function shapeRow(sink: Sink, row: SourceRow, references: References = NO_REFERENCES): ShapedRow {
  const raw = row[KEY_FIELD];
  const key = sink.source.keyType === 'integer' ? Number(raw) : String(raw);
  const cells = shapeCells(sink, row, references, key);
  const rule = sink.incremental;
  const cursorValue = rule.kind === 'modified-since-dump' ? row[rule.cursorField] : null;
  return { key, cells, cursor: cursorValue == null ? null : String(cursorValue), fingerprint: fingerprintOf(sink, row, cells) };
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

/**
 * A row as the pipeline carries it from its read to its insert: its data cells already encoded
 * as CSV bytes (in a chunk shared with other rows, so a page costs about its CSV size, not a
 * cell object per column), and what decisions need.
 */
export interface PageRow {
  readonly key: Key;
  /** The row's value of the sink's ClickHouse key column, as ClickHouse stores it. */
  readonly keyText: string;
  readonly fingerprint: string;
  /** The data cells as CSV fields (no stamp, no row terminator): bytes start..end of chunk. */
  readonly chunk: Buffer;
  readonly start: number;
  readonly end: number;
  /** The user id (objects with a userColumn). */
  readonly user?: number;
  readonly cursor: string | null;
}

/** Bytes per chunk of encoded rows, and per piece of an insert body. */
const PIECE_BYTES = 1 << 18;
/** UTF-16 code units take at most 3 bytes in UTF-8. */
const MAX_BYTES_PER_UNIT = 3;

/** Encoded rows written one after the other into chunks of about PIECE_BYTES (never moved once written). */
class RowBytes {
  private chunk = Buffer.allocUnsafe(PIECE_BYTES);
  private used = 0;

  add(text: string): { chunk: Buffer; start: number; end: number } {
    const room = text.length * MAX_BYTES_PER_UNIT;
    if (this.chunk.length - this.used < room) {
      this.chunk = Buffer.allocUnsafe(Math.max(PIECE_BYTES, room));
      this.used = 0;
    }
    const start = this.used;
    this.used += this.chunk.write(text, start);
    return { chunk: this.chunk, start, end: this.used };
  }
}

/** Shapes source rows of a sink straight into page rows. */
export function pageRowMaker(sink: Sink, references: References = NO_REFERENCES): (row: SourceRow) => PageRow {
  const keyIndex = targetKeyIndex(sink);
  const userIndex = sink.columns.findIndex((column) => column.name === sink.userColumn);
  const bytes = new RowBytes();
  return (source) => {
    const { key, cells, fingerprint, cursor } = shapeRow(sink, source, references);
    const user = userIndex < 0 ? undefined : Number(cells[userIndex]?.text);
    return { key, keyText: (cells[keyIndex] as Cell).text, fingerprint, cursor, user, ...bytes.add(encodeFields(cells)) };
  };
}

/** A row held in memory for an insert (small inserts: courses and their blocks). */
export interface HeldRow {
  readonly line: string;
  /** The value of its key column (the table witness finds it by that). */
  readonly keyText: string;
  readonly stamp: Stamp;
  /** What tells it apart among the insert's rows in ClickHouse (exactly-once.ts). */
  readonly identity: string;
}

/** A CSV body built line by line straight into buffers of about PIECE_BYTES. */
export class CsvPieces {
  private readonly pieces: Buffer[] = [];
  private buffer = Buffer.allocUnsafe(PIECE_BYTES);
  private used = 0;

  /** Appends data fields and a stamp (dump_id bare, time_last_dumped quoted), as the plugin writes them. */
  add(line: string, dumpId: string, timeLastDumped: string): void {
    const row = `${line},${dumpId},"${timeLastDumped}"\r\n`;
    const room = row.length * MAX_BYTES_PER_UNIT;
    if (this.buffer.length - this.used < room) this.cut(room);
    this.used += this.buffer.write(row, this.used);
  }

  /** Appends a page row's encoded data fields and a stamp. */
  addRow(row: PageRow, dumpId: string, timeLastDumped: string): void {
    const stamp = `,${dumpId},"${timeLastDumped}"\r\n`;
    const room = row.end - row.start + stamp.length;
    if (this.buffer.length - this.used < room) this.cut(room);
    this.used += row.chunk.copy(this.buffer, this.used, row.start, row.end);
    this.used += this.buffer.write(stamp, this.used, 'latin1');
  }

  private cut(room: number): void {
    if (this.used > 0) this.pieces.push(this.buffer.subarray(0, this.used));
    this.buffer = Buffer.allocUnsafe(Math.max(PIECE_BYTES, room));
    this.used = 0;
  }

  /** The pieces written so far; the builder is empty afterwards. */
  take(): Buffer[] {
    this.cut(0);
    return this.pieces.splice(0);
  }
}

/** The CSV body of held rows. */
export function encodeHeld(rows: readonly HeldRow[]): Buffer[] {
  const csv = new CsvPieces();
  for (const { line, stamp } of rows) csv.add(line, stamp.dumpId, stamp.timeLastDumped);
  return csv.take();
}

/** The CSV body of page rows written by one insert. */
export function encodeRows(rows: readonly PageRow[], stamp: InsertStamp): Buffer[] {
  const csv = new CsvPieces();
  for (const row of rows) csv.addRow(row, rowStamp(row.key, row.fingerprint, stamp).dumpId, stamp.timeLastDumped);
  return csv.take();
}

/** The CSV body of shaped rows in an insert of their own (stamped `timeLastDumped`, default now). */
export function encodeBatch(rows: readonly ShapedRow[], timeLastDumped?: string): Buffer[] {
  const stamp = newInsertStamp(timeLastDumped);
  const csv = new CsvPieces();
  for (const row of rows) csv.add(encodeFields(row.cells), rowStamp(row.key, row.fingerprint, stamp).dumpId, stamp.timeLastDumped);
  return csv.take();
}
