import type { Cell } from '../format/cell.js';
import { literal, qualifiedTable, quoteIdentifier } from '../clickhouse/sql.js';
import type { ClickHouseRow, ClickHouseTarget } from '../clickhouse/target.js';
import type { Sink } from '../sinks/types.js';
import { CHANGED_ROW, NEW_ROW, UNCHANGED_ROW, type Decision } from './decision.js';
import { targetKeyIndex, type ShapedRow } from './shape.js';

/** Keys per lookup query: keeps each query far below ClickHouse's max_query_size. */
const KEYS_PER_LOOKUP = 1000;


/** A value from ClickHouse's JSON output in the text form our cells carry. */
function storedText(value: unknown): string {
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (value === null || value === undefined) return '';
  return String(value);
}

/** Whether ClickHouse holds `cell` as `value`; an empty field lands as 0 in a numeric column. */
function sameValue(cell: Cell, value: unknown): boolean {
  if (typeof value === 'number') return Number(cell.text === '' ? 0 : cell.text) === value;
  return cell.text === storedText(value);
}

function sameAsStored(cells: readonly Cell[], names: readonly string[], stored: ClickHouseRow): boolean {
  return cells.every((cell, index) => sameValue(cell, stored[names[index] as string]));
}

/** The newest stored row (by time_last_dumped, as dbt picks it) for each key (given as literals). */
async function latestRows(
  target: ClickHouseTarget, database: string, sink: Sink, keys: readonly string[],
): Promise<Map<string, ClickHouseRow>> {
  const table = qualifiedTable(database, sink.table);
  const key = quoteIdentifier(sink.incremental.targetKey);
  const columns = sink.columns.map((column) => quoteIdentifier(column.name)).join(', ');
  const latest = new Map<string, ClickHouseRow>();
  for (let start = 0; start < keys.length; start += KEYS_PER_LOOKUP) {
    const chunk = keys.slice(start, start + KEYS_PER_LOOKUP).join(', ');
    const rows = await target.query(
      `SELECT ${columns} FROM ${table} WHERE (${key}, time_last_dumped) IN `
      + `(SELECT ${key}, max(time_last_dumped) FROM ${table} WHERE ${key} IN (${chunk}) GROUP BY ${key})`,
    );
    for (const row of rows) latest.set(storedText(row[sink.incremental.targetKey]), row);
  }
  return latest;
}

/** Per row: written when ClickHouse lacks it or holds it with different values. */
export async function decideChangedRows(
  target: ClickHouseTarget, database: string, sink: Sink, rows: readonly ShapedRow[],
): Promise<Decision[]> {
  const keyIndex = targetKeyIndex(sink);
  const keyOf = (row: ShapedRow): string => (row.cells[keyIndex] as Cell).text;
  // A bare cell (an integer) is an integer literal; a quoted one (UUID, text) a string literal.
  const keyLiteral = (row: ShapedRow): string => {
    const cell = row.cells[keyIndex] as Cell;
    return cell.quoted ? literal(cell.text) : literal(Number(cell.text));
  };
  const latest = await latestRows(target, database, sink, [...new Set(rows.map(keyLiteral))]);
  const names = sink.columns.map((column) => column.name);
  return rows.map((row) => {
    const stored = latest.get(keyOf(row));
    if (stored === undefined) return NEW_ROW;
    return sameAsStored(row.cells, names, stored) ? UNCHANGED_ROW : CHANGED_ROW;
  });
}
