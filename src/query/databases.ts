import { literal } from '../clickhouse/sql.js';
import type { QueryEngine } from './engine.js';

/** Whether `database` exists on the engine. */
export async function hasDatabase(engine: Pick<QueryEngine, 'output'>, database: string): Promise<boolean> {
  let text = '';
  for await (const piece of engine.output(`SELECT count() FROM system.databases WHERE name = ${literal(database)}`, 'TabSeparated')) text += piece;
  return text.trim() === '1';
}
