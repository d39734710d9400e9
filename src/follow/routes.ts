import type { LmsDatabase } from '../lms/database.js';
import { columnsRead, tablesByAlias } from '../lms/source-tables.js';
import type { Sink } from '../sinks/types.js';

/**
 * From a changed LMS row to the keys of the objects it shows in, read off each sink's own
 * source (its FROM clause and fields), so follow needs no declaration of its own: a change of a
 * row of the object's table names its key; a change of a joined table (auth_user) names the
 * keys of the rows joined to it, looked up through the same join (`u.id IN (…)`). An update
 * that changes none of the columns an object reads (a login's `last_login`) names nothing.
 */

/** One changed row: its values before (updates, deletes) and after (inserts, updates). */
export interface RowChange {
  readonly before?: Readonly<Record<string, unknown>>;
  readonly after?: Readonly<Record<string, unknown>>;
}

/** How changes of one table reach one object's keys. */
export interface Route {
  readonly sink: Sink;
  readonly table: string;
  /** The columns of `table` the object reads: a change of none of them is no change of the object. */
  readonly columns: readonly string[];
  /** The column of `table` whose values name the rows: the object's key, or the joined column. */
  readonly column: string;
  /** Set for a joined table: the alias the lookup's condition names. */
  readonly joinedAs?: string;
}

/** The alias and column of the source key (`ce.id` → ce, id). */
function keyParts(sink: Sink): readonly [string, string] {
  const [alias = '', column = ''] = sink.source.key.split('.');
  return [alias, column];
}

/** The column of a joined alias its ON clause compares (`LEFT JOIN auth_user u ON u.id = ce.user_id` → id). */
function joinColumn(from: string, alias: string): string | undefined {
  const on = new RegExp(`\\bON\\s+(\\w+)\\.(\\w+)\\s*=\\s*(\\w+)\\.(\\w+)`, 'gi');
  for (const [, left, leftColumn, right, rightColumn] of from.matchAll(on)) {
    if (left === alias) return leftColumn;
    if (right === alias) return rightColumn;
  }
  return undefined;
}

/** Every route of one sink: its own table, and each joined one. */
export function routesOf(sink: Sink): Route[] {
  const [keyAlias, keyColumn] = keyParts(sink);
  const read = columnsRead(sink);
  return [...tablesByAlias(sink.source.from)].flatMap(([alias, table]) => {
    const columns = [...(read.get(table) ?? [])];
    if (alias === keyAlias) return [{ sink, table, columns: [...new Set([...columns, keyColumn])], column: keyColumn }];
    const column = joinColumn(sink.source.from, alias);
    return column ? [{ sink, table, columns: [...new Set([...columns, column])], column, joinedAs: alias }] : [];
  });
}

/** Whether an update changed a column the route reads (inserts and deletes always do). */
function touches(route: Route, change: RowChange): boolean {
  if (!change.before || !change.after) return true;
  return route.columns.some((column) => !sameValue(change.before?.[column], change.after?.[column]));
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b);
  return a === b || String(a) === String(b);
}

/** The values of the route's column a change names (before and after, when they differ). */
export function namedValues(route: Route, change: RowChange): unknown[] {
  if (!touches(route, change)) return [];
  const values = [change.before?.[route.column], change.after?.[route.column]].filter((value) => value !== undefined && value !== null);
  return [...new Set(values.map((value) => (typeof value === 'bigint' ? Number(value) : value)))];
}

/** The object's keys the values of a route name: themselves for its own table, else looked up through the join. */
export async function keysNamed(db: LmsDatabase, route: Route, values: readonly unknown[]): Promise<number[]> {
  if (values.length === 0) return [];
  if (!route.joinedAs) return values.map(Number);
  const rows = await db.select(`SELECT DISTINCT ${route.sink.source.key} AS k FROM ${route.sink.source.from} WHERE ${route.joinedAs}.\`${route.column}\` IN (?)`, [values]);
  return rows.map((row) => Number(row.k));
}

/** Whether follow can keep an object current from row changes alone: integer keys, no references or nested objects. */
export function followable(sink: Sink): boolean {
  return sink.source.keyType === 'integer' && !sink.references?.length && !sink.children?.length && sink.incremental.kind === 'changed-rows';
}
