import { serverDialect } from './ddl.js';
import { RuntimeFailure } from '../errors.js';
import { literal, qualifiedTable } from './sql.js';
import type { ClickHouseTarget, TableName } from './target.js';
import { pause } from '../pipeline/pacing.js';

/** How a server deletes rows: lightweight DELETE FROM (23.3+), or a mutation it must wait for. */
export type DeleteMethod = 'DELETE FROM' | 'ALTER TABLE … DELETE';

/** Lightweight deletes where the server has them, mutations otherwise. */
export async function deleteMethod(target: ClickHouseTarget): Promise<DeleteMethod> {
  const { dialect } = await serverDialect(target);
  return dialect.lightweightDelete ? 'DELETE FROM' : 'ALTER TABLE … DELETE';
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

/**
 * Deletes the rows matching `condition` (SQL built from validated values) and returns once the
 * deletion is complete: lightweight DELETE is immediate, a mutation is waited for.
 */
export async function deleteWhere(
  target: ClickHouseTarget, method: DeleteMethod, from: TableName, conditions: readonly string[], timeoutMs: number,
): Promise<void> {
  const qualified = qualifiedTable(from.database, from.table);
  for (const condition of conditions) {
    await target.command(method === 'DELETE FROM'
      ? `DELETE FROM ${qualified} WHERE ${condition}`
      : `ALTER TABLE ${qualified} DELETE WHERE ${condition}`);
  }
  if (method === 'ALTER TABLE … DELETE') await waitForMutations(target, from.database, from.table, timeoutMs);
}
