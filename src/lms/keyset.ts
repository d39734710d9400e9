import type { SourceSpec } from '../sinks/types.js';
import type { LmsDatabase, SourceRow } from './database.js';

/** A primary key value: an integer id, or a course key string. */
export type Key = number | string;

/** Which source rows a dump reads, with keys already of the sink's key type. */
export interface RowFilter {
  /** Only keys greater than this (--start-pk). */
  readonly afterKey?: Key;
  /** Only these keys (--ids). */
  readonly ids?: readonly Key[];
  /** Never these keys (--skip-ids). */
  readonly skipIds?: readonly Key[];
  /** Only these organisations (--org); needs the source's orgColumn. */
  readonly orgs?: readonly string[];
  /** Only rows published at or after this MySQL datetime (--published-since); needs publishedColumn. */
  readonly publishedSince?: string;
}

/** Result field that carries each row's primary key. */
export const KEY_FIELD = '__pk';

function selectList(source: SourceSpec): string {
  const fields = Object.entries(source.fields).map(([name, expression]) => `${expression} AS \`${name}\``);
  return [`${source.key} AS ${KEY_FIELD}`, ...fields].join(', ');
}

/** WHERE clause and its parameters; `after` is the keyset cursor. */
function whereClause(source: SourceSpec, filter: RowFilter, after: Key | undefined): [string, unknown[]] {
  const conditions: string[] = [];
  const params: unknown[] = [];
  if (after !== undefined) {
    conditions.push(`${source.key} > ?`);
    params.push(after);
  }
  if (filter.ids) {
    conditions.push(filter.ids.length ? `${source.key} IN (?)` : '1 = 0');
    if (filter.ids.length) params.push(filter.ids);
  }
  if (filter.skipIds?.length) {
    conditions.push(`${source.key} NOT IN (?)`);
    params.push(filter.skipIds);
  }
  if (filter.orgs?.length && source.orgColumn) {
    conditions.push(`${source.orgColumn} IN (?)`);
    params.push(filter.orgs);
  }
  if (filter.publishedSince !== undefined && source.publishedColumn) {
    conditions.push(`${source.publishedColumn} >= ?`);
    params.push(filter.publishedSince);
  }
  return [conditions.length ? ` WHERE ${conditions.join(' AND ')}` : '', params];
}

/** How many source rows the filter selects (for progress totals). */
export async function countRows(db: LmsDatabase, source: SourceSpec, filter: RowFilter): Promise<number> {
  const [where, params] = whereClause(source, filter, filter.afterKey);
  const rows = await db.select(`SELECT COUNT(*) AS n FROM ${source.from}${where}`, params);
  return Number(rows[0]?.n ?? 0);
}

/**
 * One page of rows after `after` in key order: WHERE key > ? ORDER BY key LIMIT ?.
 * Never OFFSET, so each page costs the same however deep the table is.
 */
export async function readPage(
  db: LmsDatabase, source: SourceSpec, filter: RowFilter, after: Key | undefined, size: number,
): Promise<SourceRow[]> {
  const [where, params] = whereClause(source, filter, after);
  const sql = `SELECT ${selectList(source)} FROM ${source.from}${where} ORDER BY ${source.key} LIMIT ?`;
  return db.select(sql, [...params, size]);
}
