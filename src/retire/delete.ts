import { deleteWhere, type DeleteMethod } from '../clickhouse/delete.js';
import { literal, qualifiedTable } from '../clickhouse/sql.js';
import type { ClickHouseTarget } from '../clickhouse/target.js';

export { deleteMethod, type DeleteMethod } from '../clickhouse/delete.js';

/** User ids per DELETE statement. */
const IDS_PER_STATEMENT = 1000;

/** `ids` in chunks small enough for one statement. */
export function chunks<T>(ids: readonly T[], size = IDS_PER_STATEMENT): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < ids.length; start += size) result.push(ids.slice(start, start + size));
  return result;
}

/** user_id IN (…) over integers already validated as user ids. */
export function userIdCondition(ids: readonly number[]): string {
  return `user_id IN (${ids.map((id) => literal(id)).join(', ')})`;
}

/** Deletes the users' rows from one table and returns once the deletion is complete. */
export function deleteUsers(
  target: ClickHouseTarget, method: DeleteMethod, database: string, table: string, ids: readonly number[], timeoutMs: number,
): Promise<void> {
  return deleteWhere(target, method, { database, table }, chunks(ids).map(userIdCondition), timeoutMs);
}

/** Every user with rows in a table. */
export async function usersInTable(target: ClickHouseTarget, database: string, table: string): Promise<number[]> {
  const rows = await target.queryFields(`SELECT DISTINCT user_id FROM ${qualifiedTable(database, table)}`);
  return rows.map(([id]) => Number(id));
}
