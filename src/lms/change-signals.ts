import type { ChangeSignal } from '../sinks/types.js';
import { tableColumns, type LmsDatabase } from './database.js';

/** The signal as the operator knows it: `table.column`. */
export function signalName(signal: ChangeSignal): string {
  return `${signal.table}.${signal.changedAt}`;
}

/** Why the LMS cannot give the signal (an older release, history switched off); undefined when it can. */
export async function signalMissing(db: LmsDatabase, signal: ChangeSignal): Promise<string | undefined> {
  const columns = (await tableColumns(db, [signal.table])).get(signal.table);
  if (!columns) return `the LMS has no table ${signal.table}`;
  const absent = [signal.key, signal.changedAt].filter((column) => !columns.has(column.toLowerCase()));
  return absent.length > 0 ? `the LMS table ${signal.table} has no column ${absent.join(', ')}` : undefined;
}

/**
 * The keys the signal says changed at or after `since` (a UTC MySQL datetime), in key order;
 * undefined when there are more than `atMost` (comparing every row is then the cheaper read).
 */
export async function changedKeys(db: LmsDatabase, signal: ChangeSignal, since: string, atMost: number): Promise<number[] | undefined> {
  const rows = await db.select(`SELECT DISTINCT \`${signal.key}\` AS k FROM \`${signal.table}\` WHERE \`${signal.changedAt}\` >= ? ORDER BY k LIMIT ?`, [since, atMost + 1]);
  return rows.length > atMost ? undefined : rows.map((row) => Number(row.k));
}
