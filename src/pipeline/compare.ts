import { literal, qualifiedTable, quoteIdentifier } from '../clickhouse/sql.js';
import type { ClickHouseTarget } from '../clickhouse/target.js';
import type { Key } from '../lms/keyset.js';
import type { Sink } from '../sinks/types.js';
import { CHANGED_ROW, NEW_ROW, UNCHANGED_ROW, type Decision } from './decision.js';
import { STORED_FINGERPRINT } from './stamp.js';

/** Keys per lookup query: keeps each query far below ClickHouse's max_query_size. */
const KEYS_PER_LOOKUP = 1000;

/** What the compare needs of a row: its ClickHouse key (as text) and its fingerprint. */
export interface Fingerprinted {
  readonly keyText: string;
  readonly fingerprint: string;
}

/** The rows of a page, and the range of ClickHouse keys they span when the key is the source's integer key. */
export interface ComparedPage {
  readonly rows: readonly Fingerprinted[];
  readonly keyRange?: readonly [Key, Key];
}

/**
 * Whether the sink's ClickHouse key is its MySQL integer key, so a page's keys are a range on
 * both sides (one lookup per page instead of lists of keys).
 */
export function keyIsSourceKey(sink: Sink): boolean {
  const column = sink.columns.find((each) => each.name === sink.incremental.targetKey);
  return sink.source.keyType === 'integer' && typeof column?.source === 'string' && sink.source.fields[column.source] === sink.source.key;
}

/** One lookup: the fingerprint of the newest stored row (by time_last_dumped, as dbt picks it) of each key it selects. */
async function lookUp(target: ClickHouseTarget, database: string, sink: Sink, condition: string, into: Map<string, string>): Promise<void> {
  const key = quoteIdentifier(sink.incremental.targetKey);
  const rows = await target.query(`SELECT toString(${key}) AS k, argMax(${STORED_FINGERPRINT}, time_last_dumped) AS fp `
    + `FROM ${qualifiedTable(database, sink.table)} WHERE ${condition} GROUP BY k`);
  for (const row of rows) into.set(String(row.k), String(row.fp));
}

/** A ClickHouse literal of a key as its cell holds it. */
function keyLiteral(sink: Sink, keyText: string): string {
  return keyIsSourceKey(sink) ? literal(Number(keyText)) : literal(keyText);
}

/** The stored fingerprints of the page's keys: one range lookup, or lookups by lists of keys. */
async function storedFingerprints(target: ClickHouseTarget, database: string, sink: Sink, page: ComparedPage): Promise<Map<string, string>> {
  const stored = new Map<string, string>();
  const key = quoteIdentifier(sink.incremental.targetKey);
  if (page.keyRange) {
    await lookUp(target, database, sink, `${key} >= ${literal(page.keyRange[0])} AND ${key} <= ${literal(page.keyRange[1])}`, stored);
    return stored;
  }
  const keys = [...new Set(page.rows.map((row) => row.keyText))];
  for (let start = 0; start < keys.length; start += KEYS_PER_LOOKUP) {
    const chunk = keys.slice(start, start + KEYS_PER_LOOKUP).map((text) => keyLiteral(sink, text));
    await lookUp(target, database, sink, `${key} IN (${chunk.join(', ')})`, stored);
  }
  return stored;
}

/** Per row: written when ClickHouse has no row for its key, or its newest row has another fingerprint. */
export async function decideByFingerprint(target: ClickHouseTarget, database: string, sink: Sink, page: ComparedPage): Promise<Decision[]> {
  if (page.rows.length === 0) return [];
  const stored = await storedFingerprints(target, database, sink, page);
  return page.rows.map((row) => {
    const fingerprint = stored.get(row.keyText);
    if (fingerprint === undefined) return NEW_ROW;
    return fingerprint === row.fingerprint ? UNCHANGED_ROW : CHANGED_ROW;
  });
}
