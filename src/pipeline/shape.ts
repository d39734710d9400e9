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

function shapeCells(sink: Sink, row: SourceRow, references: References, key: Key): Cell[] {
  return sink.columns.map((column) => {
    try {
      const value = typeof column.source === 'string' ? row[column.source] : column.source(row, references);
      return column.format(value);
    } catch (error) {
      throw new DataError(`${sink.name} pk ${key}, column ${column.name}: ${messageOf(error)}`);
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

/** Data cells with the stamp they are written with. */
export interface StampedRow {
  readonly cells: readonly Cell[];
  readonly stamp: Stamp;
}

/** The stamped form of a shaped row in an insert. */
export function stamped(row: ShapedRow, stamp: InsertStamp): StampedRow {
  return { cells: row.cells, stamp: rowStamp(row.key, row.fingerprint, stamp) };
}

/** Bytes per piece of an encoded body: big enough for few writes, small enough to spare memory. */
const PIECE_BYTES = 1 << 18;
/** UTF-16 code units take at most 3 bytes in UTF-8. */
const MAX_BYTES_PER_UNIT = 3;

/** A CSV body built line by line straight into buffers of about PIECE_BYTES. */
export class CsvPieces {
  private readonly pieces: Buffer[] = [];
  private buffer = Buffer.allocUnsafe(PIECE_BYTES);
  private used = 0;

  /** Appends one line (with its terminator). */
  add(line: string): void {
    const room = line.length * MAX_BYTES_PER_UNIT;
    if (this.buffer.length - this.used < room) this.cut(room);
    this.used += this.buffer.write(line, this.used);
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

/** One CSV line of data cells and a stamp (dump_id bare, time_last_dumped quoted), as the plugin writes it. */
function stampedLine(cells: readonly Cell[], dumpId: string, timeLastDumped: string): string {
  return `${encodeFields(cells)},${dumpId},"${timeLastDumped}"\r\n`;
}

/** The CSV body of stamped rows, as UTF-8 pieces. */
export function encodeStamped(rows: readonly StampedRow[]): Buffer[] {
  const csv = new CsvPieces();
  for (const { cells, stamp } of rows) csv.add(stampedLine(cells, stamp.dumpId, stamp.timeLastDumped));
  return csv.take();
}

/** The CSV body of shaped rows written by one insert. */
export function encodeShaped(rows: readonly ShapedRow[], stamp: InsertStamp): Buffer[] {
  const csv = new CsvPieces();
  for (const row of rows) csv.add(stampedLine(row.cells, rowStamp(row.key, row.fingerprint, stamp).dumpId, stamp.timeLastDumped));
  return csv.take();
}

/** The CSV body of one batch in an insert of its own (stamped `timeLastDumped`, default now). */
export function encodeBatch(rows: readonly ShapedRow[], timeLastDumped?: string): Buffer[] {
  return encodeShaped(rows, newInsertStamp(timeLastDumped));
}
