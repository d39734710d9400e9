/**
 * One field of a row as the plugin's Python csv writer (QUOTE_NONNUMERIC) emits it:
 * strings and datetimes quoted, ints, booleans and dump_id UUIDs bare.
 * `text` is the value ClickHouse ends up storing; `quoted` only decides the CSV spelling.
 */
export interface Cell {
  readonly text: string;
  readonly quoted: boolean;
}

/** A quoted CSV field (Python str, datetime, None → ""). */
export function quoted(text: string): Cell {
  return { text, quoted: true };
}

/** A bare CSV field (Python int, bool, uuid.UUID). */
export function bare(text: string): Cell {
  return { text, quoted: false };
}

/** The empty quoted field Python writes for None. */
export const EMPTY: Cell = Object.freeze(quoted(''));

/** CSV spelling of one cell: quotes doubled inside, newlines and tabs left raw. */
export function encodeCell(cell: Cell): string {
  if (!cell.quoted) return cell.text;
  return cell.text.includes('"') ? `"${cell.text.replaceAll('"', '""')}"` : `"${cell.text}"`;
}

/** The cells as CSV fields, comma-separated, without a row terminator. */
export function encodeFields(cells: readonly Cell[]): string {
  let line = cells.length > 0 ? encodeCell(cells[0] as Cell) : '';
  for (let index = 1; index < cells.length; index += 1) line += `,${encodeCell(cells[index] as Cell)}`;
  return line;
}

/** One CSV line with Python's excel dialect row terminator. */
export function encodeRow(cells: readonly Cell[]): string {
  return `${encodeFields(cells)}\r\n`;
}
