import { literal, qualifiedTable, quoteIdentifier } from '../clickhouse/sql.js';
import { ClickHouseFailure, type ClickHouseTarget, type TableName } from '../clickhouse/target.js';
import type { Stamp } from './stamp.js';

/**
 * Proof that a table still holds what a run wrote into it first, to notice a table dropped (and
 * perhaps created again) during the run: its UUID where the server gives tables one (Atomic
 * databases), else the first row the run wrote, found again by a key column, its
 * time_last_dumped and its dump_id.
 */
export interface TableWitness {
  stillThere(target: ClickHouseTarget): Promise<boolean>;
}

/** A row written into a table: the value of one of its key columns, and its stamp. */
export interface WrittenRow {
  readonly column: string;
  readonly value: string;
  readonly stamp: Stamp;
}

/** The table's UUID, or '' where the server has none. */
async function tableUuid(target: ClickHouseTarget, { database, table }: TableName): Promise<string> {
  const [row] = await target.query(`SELECT * FROM system.tables WHERE database = ${literal(database)} AND name = ${literal(table)}`);
  const uuid = String(row?.uuid ?? '');
  return /[1-9a-f]/.test(uuid) ? uuid : '';
}

/** WHERE conditions that find exactly this row. */
function rowCondition(row: WrittenRow): string {
  return `toString(${quoteIdentifier(row.column)}) = ${literal(row.value)} AND time_last_dumped = ${literal(row.stamp.timeLastDumped)} `
    + `AND toString(dump_id) = ${literal(row.stamp.dumpId)}`;
}

/** Takes the witness of a table right after the run's first insert into it landed (`first` is a row of that insert). */
export async function witness(target: ClickHouseTarget, into: TableName, first: WrittenRow): Promise<TableWitness> {
  const uuid = await tableUuid(target, into);
  if (uuid) return { stillThere: async (now) => (await tableUuid(now, into)) === uuid };
  const condition = rowCondition(first);
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
