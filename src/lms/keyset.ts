import type { SourceSpec } from '../sinks/types.js';
import type { LmsDatabase, SourceRow } from './database.js';

/** A primary key value: an integer id, or a course key string. */
export type Key = number | string;

/** Which source rows a dump reads, with keys already of the sink's key type. */
export interface RowFilter {
  /** Only keys greater than this (--start-pk). */
  readonly afterKey?: Key;
  /** Only these keys (--ids); integer keys in ascending order, each once. */
  readonly ids?: readonly Key[];
  /** Never these keys (--skip-ids). */
  readonly skipIds?: readonly Key[];
  /** Only these organisations (--org); needs the source's orgColumn. */
  readonly orgs?: readonly string[];
  /** Only rows published at or after this MySQL datetime (--published-since); needs publishedColumn. */
  readonly publishedSince?: string;
}

/** Whether the filter selects every row (no selection of the operator's). */
export function selectsAll(filter: RowFilter): boolean {
  return filter.afterKey === undefined && !filter.ids && !filter.skipIds?.length && !filter.orgs?.length && filter.publishedSince === undefined;
}

/** Result field that carries each row's primary key. */
export const KEY_FIELD = '__pk';

/** Where a page starts and ends: keys greater than `after`, up to and including `upTo`. */
export interface PageBounds {
  readonly after?: Key;
  readonly upTo?: Key;
}

/** Result field name → SQL expression: what a read selects besides the key. */
export type SelectFields = Readonly<Record<string, string>>;

function selectList(source: SourceSpec, fields: SelectFields): string {
  const selected = Object.entries(fields).map(([name, expression]) => `${expression} AS \`${name}\``);
  return [`${source.key} AS ${KEY_FIELD}`, ...selected].join(', ');
}

/** SQL conditions and their parameters. */
type Conditions = [string[], unknown[]];

function filterConditions(source: SourceSpec, filter: RowFilter): Conditions {
  const conditions: string[] = [];
  const params: unknown[] = [];
  const add = (condition: string, ...values: unknown[]) => { conditions.push(condition); params.push(...values); };
  if (filter.afterKey !== undefined) add(`${source.key} > ?`, filter.afterKey);
  if (filter.ids) {
    if (filter.ids.length) add(`${source.key} IN (?)`, filter.ids);
    else add('1 = 0');
  }
  if (filter.skipIds?.length) add(`${source.key} NOT IN (?)`, filter.skipIds);
  if (filter.orgs?.length && source.orgColumn) add(`${source.orgColumn} IN (?)`, filter.orgs);
  if (filter.publishedSince !== undefined && source.publishedColumn) add(`${source.publishedColumn} >= ?`, filter.publishedSince);
  return [conditions, params];
}

/** WHERE clause and parameters of the filter within `bounds`. */
function whereClause(source: SourceSpec, filter: RowFilter, bounds: PageBounds = {}): [string, unknown[]] {
  const [conditions, params] = filterConditions(source, filter);
  if (bounds.after !== undefined) { conditions.push(`${source.key} > ?`); params.push(bounds.after); }
  if (bounds.upTo !== undefined) { conditions.push(`${source.key} <= ?`); params.push(bounds.upTo); }
  return [conditions.length ? ` WHERE ${conditions.join(' AND ')}` : '', params];
}

/** How many source rows the filter selects, and their smallest and largest keys. */
export interface KeySpan {
  readonly rows: number;
  readonly first?: Key;
  readonly last?: Key;
}

/** The filter's rows in one query: count, first and last key (an index-only scan of the key). */
export async function keySpan(db: LmsDatabase, source: SourceSpec, filter: RowFilter): Promise<KeySpan> {
  const [where, params] = whereClause(source, filter);
  const [row] = await db.select(`SELECT COUNT(*) AS n, MIN(${source.key}) AS first, MAX(${source.key}) AS last FROM ${source.from}${where}`, params);
  const typed = (value: unknown): Key | undefined => (value == null ? undefined : source.keyType === 'integer' ? Number(value) : String(value));
  return { rows: Number(row?.n ?? 0), first: typed(row?.first), last: typed(row?.last) };
}

/** A query and its parameters. */
export type Query = readonly [sql: string, params: readonly unknown[]];

/** The index of the first of sorted integer `keys` greater than `after`. */
function firstAfter(keys: readonly Key[], after: Key | undefined): number {
  let [low, high] = [0, keys.length];
  while (low < high) {
    const middle = (low + high) >> 1;
    if (after !== undefined && (keys[middle] as number) <= (after as number)) low = middle + 1;
    else high = middle;
  }
  return low;
}

/**
 * A list of integer --ids cut to the page's bounds, so a long list (a change signal's, cut into
 * units of a page each) costs each page its own keys, not all of them.
 */
function idsWithin(source: SourceSpec, filter: RowFilter, bounds: PageBounds): RowFilter {
  if (!filter.ids || source.keyType !== 'integer') return filter;
  const upTo = bounds.upTo === undefined ? filter.ids.length : firstAfter(filter.ids, bounds.upTo);
  return { ...filter, ids: filter.ids.slice(firstAfter(filter.ids, bounds.after), upTo) };
}

/**
 * One page of rows within `bounds` in key order: WHERE key > ? AND key <= ? ORDER BY key LIMIT ?.
 * Never OFFSET, so each page costs the same however deep the table is. `fields` defaults to
 * the source's own select list.
 */
export function pageQuery(source: SourceSpec, filter: RowFilter, bounds: PageBounds, size: number, fields: SelectFields = source.fields): Query {
  const [where, params] = whereClause(source, idsWithin(source, filter, bounds), bounds);
  return [`SELECT ${selectList(source, fields)} FROM ${source.from}${where} ORDER BY ${source.key} LIMIT ?`, [...params, size]];
}

/** The rows with these keys (that the filter still selects; they were read through its --ids), in key order. */
export function keysQuery(source: SourceSpec, filter: RowFilter, keys: readonly Key[], fields: SelectFields = source.fields): Query {
  const [where, params] = whereClause(source, { ...filter, ids: undefined });
  return [`SELECT ${selectList(source, fields)} FROM ${source.from}${where}${where ? ' AND' : ' WHERE'} ${source.key} IN (?) ORDER BY ${source.key}`, [...params, keys]];
}

/** An aggregate (`select`) over the filter's rows within `bounds`, less those `extra` excludes. */
export function summaryQuery(source: SourceSpec, filter: RowFilter, bounds: PageBounds, select: string, extra?: readonly [string, unknown]): Query {
  const [where, params] = whereClause(source, filter, bounds);
  if (!extra) return [`SELECT ${select} FROM ${source.from}${where}`, params];
  return [`SELECT ${select} FROM ${source.from}${where}${where ? ' AND' : ' WHERE'} ${extra[0]}`, [...params, extra[1]]];
}

/** One page of rows (see pageQuery), read whole. */
export function readPage(
  db: LmsDatabase, source: SourceSpec, filter: RowFilter, bounds: PageBounds, size: number, fields: SelectFields = source.fields,
): Promise<SourceRow[]> {
  return db.select(...pageQuery(source, filter, bounds, size, fields));
}
