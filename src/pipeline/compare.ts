import { literal, qualifiedTable, quoteIdentifier } from '../clickhouse/sql.js';
import type { ClickHouseTarget } from '../clickhouse/target.js';
import type { Key } from '../lms/keyset.js';
import type { Sink } from '../sinks/types.js';
import { CHANGED_ROW, NEW_ROW, UNCHANGED_ROW, type Decision } from './decision.js';
import { fingerprintOfDumpId } from './stamp.js';
import type { UnitGrid } from './units.js';

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
  const rows = await target.query(`SELECT toString(${key}) AS k, toString(argMax(dump_id, time_last_dumped)) AS d `
    + `FROM ${qualifiedTable(database, sink.table)} WHERE ${condition} GROUP BY k`);
  for (const row of rows) into.set(String(row.k), fingerprintOfDumpId(String(row.d)));
}

/** A ClickHouse literal of a key as its cell holds it. */
function keyLiteral(sink: Sink, keyText: string): string {
  return keyIsSourceKey(sink) ? literal(Number(keyText)) : literal(keyText);
}

/**
 * A unit's rows in short: how many, and the XOR of the first 64 bits of their dump_ids (the
 * fingerprint and the version digit) as an unsigned decimal.
 */
export interface UnitSummary {
  readonly rows: number;
  readonly xor: string;
}

/** ClickHouse SQL: the first 64 bits of a stored row's dump_id, as an unsigned integer. */
const STORED_DUMP_ID_HIGH = 'reinterpretAsUInt64(reverse(substring(UUIDStringToNum(toString(dump_id)), 1, 8)))';

/** Spans of keys kept at once: enough for the pages the lanes have in hand. */
const SPANS_KEPT = 4;

/**
 * The stored fingerprints the compare checks rows against. Where the ClickHouse key is the
 * MySQL integer key, they are read a span of keys at a time (one query serves many pages: a
 * table not sorted by that key is scanned once per span, not once per page); otherwise by
 * lists of the page's keys.
 */
export class StoredFingerprints {
  private readonly spans = new Map<number, Promise<Map<string, string>>>();

  private summaries: Promise<Map<number, UnitSummary>> | undefined;

  /** `spanKeys`: keys per span, for sinks whose ClickHouse key is the MySQL key. */
  constructor(private readonly target: ClickHouseTarget, private readonly database: string, private readonly sink: Sink, private readonly spanKeys: number) {}

  /** Count and fingerprint XOR of the newest stored row of each key, per unit of the grid (one query, kept). */
  unitSummaries(grid: UnitGrid, skipIds: readonly Key[] = []): Promise<Map<number, UnitSummary>> {
    this.summaries ??= this.summarise(grid, skipIds);
    this.summaries.catch(() => { this.summaries = undefined; });
    return this.summaries;
  }

  private async summarise(grid: UnitGrid, skipIds: readonly Key[]): Promise<Map<number, UnitSummary>> {
    const key = quoteIdentifier(this.sink.incremental.targetKey);
    const skipped = skipIds.length > 0 ? ` AND ${key} NOT IN (${skipIds.map((id) => literal(id)).join(', ')})` : '';
    const rows = await this.target.query(`SELECT intDiv(k - ${literal(grid.first)}, ${literal(grid.width)}) AS u, count() AS n, `
      + `toString(groupBitXor(h)) AS x FROM (SELECT ${key} AS k, argMax(${STORED_DUMP_ID_HIGH}, time_last_dumped) AS h `
      + `FROM ${qualifiedTable(this.database, this.sink.table)} WHERE ${key} >= ${literal(grid.first)} AND ${key} <= ${literal(grid.last)}${skipped} GROUP BY k) GROUP BY u`);
    return new Map(rows.map((row) => [Number(row.u), { rows: Number(row.n), xor: String(row.x) }]));
  }

  /** Per row: written when ClickHouse has no row for its key, or its newest row has another fingerprint. */
  async decide(page: ComparedPage): Promise<Decision[]> {
    if (page.rows.length === 0) return [];
    const stored: { get(key: string): string | undefined } = page.keyRange ? await this.inRange(page.keyRange) : await this.listed(page.rows);
    return page.rows.map((row) => {
      const fingerprint = stored.get(row.keyText);
      if (fingerprint === undefined) return NEW_ROW;
      return fingerprint === row.fingerprint ? UNCHANGED_ROW : CHANGED_ROW;
    });
  }

  /** The stored fingerprints of the keys in `range`, from the spans covering it. */
  private async inRange([first, last]: readonly [Key, Key]): Promise<{ get(key: string): string | undefined }> {
    const from = Math.floor(Number(first) / this.spanKeys);
    const to = Math.floor(Number(last) / this.spanKeys);
    const spans: Map<string, string>[] = [];
    for (let index = from; index <= to; index += 1) spans.push(await this.span(index));
    return { get: (key) => spans[Math.floor(Number(key) / this.spanKeys) - from]?.get(key) };
  }

  private span(index: number): Promise<Map<string, string>> {
    const cached = this.spans.get(index);
    if (cached) return cached;
    const key = quoteIdentifier(this.sink.incremental.targetKey);
    const stored = new Map<string, string>();
    const condition = `${key} >= ${literal(index * this.spanKeys)} AND ${key} < ${literal((index + 1) * this.spanKeys)}`;
    const loading = lookUp(this.target, this.database, this.sink, condition, stored).then(() => stored);
    // A failed lookup is not kept: the retry reads the span again.
    loading.catch(() => this.spans.delete(index));
    this.spans.set(index, loading);
    for (const old of this.spans.keys()) if (this.spans.size > SPANS_KEPT && old !== index) this.spans.delete(old);
    return loading;
  }

  private async listed(rows: readonly Fingerprinted[]): Promise<Map<string, string>> {
    const stored = new Map<string, string>();
    const key = quoteIdentifier(this.sink.incremental.targetKey);
    const keys = [...new Set(rows.map((row) => row.keyText))];
    for (let start = 0; start < keys.length; start += KEYS_PER_LOOKUP) {
      const chunk = keys.slice(start, start + KEYS_PER_LOOKUP).map((text) => keyLiteral(this.sink, text));
      await lookUp(this.target, this.database, this.sink, `${key} IN (${chunk.join(', ')})`, stored);
    }
    return stored;
  }
}
