import { serverDialect } from '../clickhouse/ddl.js';
import { RuntimeFailure } from '../errors.js';
import { literal, qualifiedTable } from '../clickhouse/sql.js';
import type { ClickHouseTarget } from '../clickhouse/target.js';
import { pause } from '../pipeline/pacing.js';

/** User ids per DELETE statement. */
const IDS_PER_STATEMENT = 1000;

/** How a server deletes rows: lightweight DELETE FROM (23.3+), or a mutation it must wait for. */
export type DeleteMethod = 'DELETE FROM' | 'ALTER TABLE … DELETE';

/** Lightweight deletes where the server has them, mutations otherwise. */
export async function deleteMethod(target: ClickHouseTarget): Promise<DeleteMethod> {
  const { dialect } = await serverDialect(target);
  return dialect.lightweightDelete ? 'DELETE FROM' : 'ALTER TABLE … DELETE';
}

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

/** Whether system.mutations reports failures (latest_fail_reason; servers before 19.x do not). */
async function reportsFailures(target: ClickHouseTarget): Promise<boolean> {
  const rows = await target.query("SELECT count() AS n FROM system.columns WHERE database = 'system' AND table = 'mutations' AND name = 'latest_fail_reason'");
  return Number(rows[0]?.n ?? 0) > 0;
}

/** Waits until every mutation of the table has finished; fails on a mutation error or after `timeoutMs`. */
async function waitForMutations(target: ClickHouseTarget, database: string, table: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const reason = (await reportsFailures(target)) ? 'any(latest_fail_reason)' : "''";
  for (;;) {
    const rows = await target.query(`SELECT count() AS pending, ${reason} AS reason FROM system.mutations `
      + `WHERE database = ${literal(database)} AND table = ${literal(table)} AND is_done = 0`);
    if (Number(rows[0]?.pending ?? 0) === 0) return;
    if (rows[0]?.reason) throw new RuntimeFailure(`the delete on ${database}.${table} failed: ${String(rows[0].reason)}`);
    if (Date.now() > deadline) throw new RuntimeFailure(`the delete on ${database}.${table} has not finished after ${timeoutMs / 1000}s; run the same command later to verify`);
    await pause(200);
  }
}

/** Deletes the users' rows from one table and returns once the deletion is complete. */
export async function deleteUsers(
  target: ClickHouseTarget, method: DeleteMethod, database: string, table: string, ids: readonly number[], timeoutMs: number,
): Promise<void> {
  const qualified = qualifiedTable(database, table);
  for (const chunk of chunks(ids)) {
    const condition = userIdCondition(chunk);
    await target.command(method === 'DELETE FROM'
      ? `DELETE FROM ${qualified} WHERE ${condition}`
      : `ALTER TABLE ${qualified} DELETE WHERE ${condition}`);
  }
  if (method === 'ALTER TABLE … DELETE') await waitForMutations(target, database, table, timeoutMs);
}

/** How many rows of these users a table holds. */
export async function countUserRows(target: ClickHouseTarget, database: string, table: string, ids: readonly number[]): Promise<number> {
  let total = 0;
  for (const chunk of chunks(ids)) {
    const [row] = await target.query(`SELECT count() AS n FROM ${qualifiedTable(database, table)} WHERE ${userIdCondition(chunk)}`);
    total += Number(row?.n ?? 0);
  }
  return total;
}

/** Which of these users still have rows in a table. */
export async function usersWithRows(target: ClickHouseTarget, database: string, table: string, ids: readonly number[]): Promise<Set<number>> {
  const present = new Set<number>();
  for (const chunk of chunks(ids)) {
    const rows = await target.query(`SELECT DISTINCT user_id FROM ${qualifiedTable(database, table)} WHERE ${userIdCondition(chunk)}`);
    for (const row of rows) present.add(Number(row.user_id));
  }
  return present;
}
