import { EVENT_SINK_TABLES } from '../clickhouse/ddl.js';
import { literal, qualifiedTable, quoteIdentifier } from '../clickhouse/sql.js';
import { ClickHouseFailure, type ClickHouseTarget, type TableName } from '../clickhouse/target.js';
import type { Cell } from '../format/cell.js';
import type { StampedRow } from './shape.js';

/**
 * Proof that a table still holds what a run wrote into it first, to notice a table dropped (and
 * perhaps created again) during the run: its UUID where the server gives tables one (Atomic
 * databases), else the first row the run wrote, found again by its whole sorting key (an index
 * lookup, whatever the table's size).
 */
export interface TableWitness {
  stillThere(target: ClickHouseTarget): Promise<boolean>;
}

/** The sorting-key columns of an event_sink table, from its description. */
function sortingKey(table: string): string[] {
  const definition = EVENT_SINK_TABLES.find((each) => each.name === table);
  return definition ? definition.orderBy.replace(/[()`]/g, '').split(',').map((name) => name.trim()) : [];
}

function cellLiteral(cell: Cell): string {
  return cell.quoted ? literal(cell.text) : literal(Number(cell.text === '' ? 0 : cell.text));
}

/** WHERE conditions that find exactly this row: its dump_id, time_last_dumped and sorting key. */
function rowCondition(table: string, columns: readonly string[], row: StampedRow): string {
  const conditions = [`toString(dump_id) = ${literal(row.stamp.dumpId)}`, `time_last_dumped = ${literal(row.stamp.timeLastDumped)}`];
  for (const name of sortingKey(table)) {
    const index = columns.indexOf(name);
    const cell = row.cells[index];
    if (index >= 0 && cell && name !== 'time_last_dumped') conditions.push(`${quoteIdentifier(name)} = ${cellLiteral(cell)}`);
  }
  return conditions.join(' AND ');
}

/** The table's UUID, or '' where the server has none. */
async function tableUuid(target: ClickHouseTarget, { database, table }: TableName): Promise<string> {
  const [row] = await target.query(`SELECT * FROM system.tables WHERE database = ${literal(database)} AND name = ${literal(table)}`);
  const uuid = String(row?.uuid ?? '');
  return /[1-9a-f]/.test(uuid) ? uuid : '';
}

/** Takes the witness of a table right after the run's first insert into it landed (`first` is that insert's first row). */
export async function witness(target: ClickHouseTarget, into: TableName, columns: readonly string[], first: StampedRow): Promise<TableWitness> {
  const uuid = await tableUuid(target, into);
  if (uuid) return { stillThere: async (now) => (await tableUuid(now, into)) === uuid };
  const condition = rowCondition(into.table, columns, first);
  return {
    stillThere: async (now) => {
      const sql = `SELECT count() AS n FROM ${qualifiedTable(into.database, into.table)} WHERE ${condition}`;
      // A missing table holds nothing; a transient failure is for the caller to retry.
      const [row] = await now.query(sql).catch((error: unknown) => {
        if (error instanceof ClickHouseFailure && error.transient) throw error;
        return [undefined];
      });
      return Number(row?.n ?? 0) > 0;
    },
  };
}
