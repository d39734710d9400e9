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

/** The dump_id of the newest stored row (by time_last_dumped, as dbt picks it) of each key a condition selects: [key, dump_id] pairs. */
function lookUp(target: ClickHouseTarget, database: string, sink: Sink, condition: string): Promise<string[][]> {
  const key = quoteIdentifier(sink.incremental.targetKey);
  return target.queryFields(`SELECT toString(${key}), toString(argMax(dump_id, time_last_dumped)) `
    + `FROM ${qualifiedTable(database, sink.table)} WHERE ${condition} GROUP BY ${key}`);
}

/** A ClickHouse literal of a key as its cell holds it. */
function keyLiteral(sink: Sink, keyText: string): string {
  return keyIsSourceKey(sink) ? literal(Number(keyText)) : literal(keyText);
}

/** Whether the newest stored row of a key (given as ClickHouse holds it) has this fingerprint; undefined: no stored row. */
type StoredFingerprint = (keyText: string, fingerprint: string) => boolean | undefined;

/** A fingerprint's 60 bits as two numbers (28 and 32 bits). */
const highBits = (fingerprint: string): number => Number.parseInt(fingerprint.slice(0, 7), 16);
const lowBits = (fingerprint: string): number => Number.parseInt(fingerprint.slice(7, 15), 16);

/** The stored fingerprints of a span of integer keys, by key less the span's first key: 9 bytes a key. */
class Span {
  private readonly high: Uint32Array;
  private readonly low: Uint32Array;
  private readonly present: Uint8Array;

  constructor(readonly first: number, size: number, rows: readonly string[][]) {
    [this.high, this.low, this.present] = [new Uint32Array(size), new Uint32Array(size), new Uint8Array(size)];
    for (const [keyText, dumpId] of rows) {
      const at = Number(keyText) - first;
      const fingerprint = fingerprintOfDumpId(dumpId as string);
      [this.high[at], this.low[at], this.present[at]] = [highBits(fingerprint), lowBits(fingerprint), 1];
    }
  }

  matches(key: number, fingerprint: string): boolean | undefined {
    const at = key - this.first;
    if (this.present[at] !== 1) return undefined;
    return this.high[at] === highBits(fingerprint) && this.low[at] === lowBits(fingerprint);
  }
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
  private readonly spans = new Map<number, Promise<Span>>();

  private summaries: Promise<Map<number, UnitSummary>> | undefined;

  private whole: Promise<UnitSummary> | undefined;

  /**
   * `spanKeys`: keys per span, for sinks whose ClickHouse key is the MySQL key. `sparse`: the keys
   * read are a list (--ids, a change signal's) scattered over the table: looked up by list, as a
   * span would read every stored key between them.
   */
  constructor(
    private readonly target: ClickHouseTarget, private readonly database: string, private readonly sink: Sink,
    private readonly spanKeys: number, private readonly sparse = false,
  ) {}

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

  /** Count and fingerprint XOR of the newest stored row of every key (one query, kept). */
  wholeSummary(): Promise<UnitSummary> {
    this.whole ??= this.target.query(`SELECT count() AS n, toString(groupBitXor(h)) AS x FROM (SELECT argMax(${STORED_DUMP_ID_HIGH}, time_last_dumped) AS h `
      + `FROM ${qualifiedTable(this.database, this.sink.table)} GROUP BY ${quoteIdentifier(this.sink.incremental.targetKey)})`)
      .then(([row]) => ({ rows: Number(row?.n ?? 0), xor: String(row?.x ?? '0') }));
    this.whole.catch(() => { this.whole = undefined; });
    return this.whole;
  }

  /** Per row: written when ClickHouse has no row for its key, or its newest row has another fingerprint. */
  async decide(page: ComparedPage): Promise<Decision[]> {
    if (page.rows.length === 0) return [];
    const stored = page.keyRange && !this.sparse ? await this.inRange(page.keyRange) : await this.listed(page.rows);
    return page.rows.map((row) => {
      const same = stored(row.keyText, row.fingerprint);
      if (same === undefined) return NEW_ROW;
      return same ? UNCHANGED_ROW : CHANGED_ROW;
    });
  }

  /** The stored fingerprints of the keys in `range`, from the spans covering it. */
  private async inRange([first, last]: readonly [Key, Key]): Promise<StoredFingerprint> {
    const from = Math.floor(Number(first) / this.spanKeys);
    const to = Math.floor(Number(last) / this.spanKeys);
    const spans: Span[] = [];
    for (let index = from; index <= to; index += 1) spans.push(await this.span(index));
    return (keyText, fingerprint) => {
      const key = Number(keyText);
      return spans[Math.floor(key / this.spanKeys) - from]?.matches(key, fingerprint);
    };
  }

  private span(index: number): Promise<Span> {
    const cached = this.spans.get(index);
    if (cached) return cached;
    const key = quoteIdentifier(this.sink.incremental.targetKey);
    const start = index * this.spanKeys;
    const condition = `${key} >= ${literal(start)} AND ${key} < ${literal(start + this.spanKeys)}`;
    const loading = lookUp(this.target, this.database, this.sink, condition).then((rows) => new Span(start, this.spanKeys, rows));
    // A failed lookup is not kept: the retry reads the span again.
    loading.catch(() => this.spans.delete(index));
    this.spans.set(index, loading);
    for (const old of this.spans.keys()) if (this.spans.size > SPANS_KEPT && old !== index) this.spans.delete(old);
    return loading;
  }

  private async listed(rows: readonly Fingerprinted[]): Promise<StoredFingerprint> {
    const stored = new Map<string, string>();
    const key = quoteIdentifier(this.sink.incremental.targetKey);
    const keys = [...new Set(rows.map((row) => row.keyText))];
    for (let start = 0; start < keys.length; start += KEYS_PER_LOOKUP) {
      const chunk = keys.slice(start, start + KEYS_PER_LOOKUP).map((text) => keyLiteral(this.sink, text));
      for (const [keyText, dumpId] of await lookUp(this.target, this.database, this.sink, `${key} IN (${chunk.join(', ')})`)) stored.set(keyText as string, dumpId as string);
    }
    return (keyText, fingerprint) => {
      const dumpId = stored.get(keyText);
      return dumpId === undefined ? undefined : fingerprintOfDumpId(dumpId) === fingerprint;
    };
  }
}
