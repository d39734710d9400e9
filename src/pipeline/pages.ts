import { messageOf } from '../errors.js';
import type { SourceRow } from '../lms/database.js';
import { KEY_FIELD, keysQuery, pageQuery, type Key, type PageBounds, type Query, type RowFilter, type SelectFields } from '../lms/keyset.js';
import type { Sink } from '../sinks/types.js';
import type { ComparedPage, Fingerprinted } from './compare.js';
import type { Decision } from './decision.js';
import { FINGERPRINT_FIELD } from './fingerprint.js';
import type { Incremental } from './incremental.js';
import { UnwritableRow, type PageRow } from './shape.js';
import type { Lane } from './lanes.js';
import type { Unit } from './units.js';

/** One row's decision. */
export interface Decided {
  readonly key: Key;
  readonly decision: Decision;
}

/** A page read and decided, ready to be written in its turn. */
export interface DecidedPage {
  /** Rows read from MySQL for the decisions (probe rows, or full rows). */
  readonly read: number;
  /** Every row's decision, in key order. */
  readonly decided: readonly Decided[];
  /** The rows to write (their decision says dump), in key order. */
  readonly rows: readonly PageRow[];
  /** The page's last key: the unit is complete up to here once these rows are written. */
  readonly lastKey: Key;
  /** Rows found unchanged all at once (a unit whose summary matched), beside `decided`. */
  readonly unchanged?: number;
}

/** How rows are found to be out of date from fingerprints alone, before any is read in full. */
export interface Probe {
  /** The select list of a probe read: fingerprint and ClickHouse key field. */
  readonly fields: SelectFields;
  /** Whether the ClickHouse key is the MySQL key, so a page is a range of keys on both sides. */
  readonly ranged: boolean;
  decide(page: ComparedPage): Promise<Decision[]>;
}

/** What reading and deciding pages needs. */
export interface PageReader {
  readonly sink: Sink;
  readonly filter: RowFilter;
  readonly pageSize: number;
  readonly incremental: Incremental;
  /** The select list of a full read. */
  readonly fields: SelectFields;
  readonly probe?: Probe;
  /** How many rows a unit has when all of them are unchanged (its summaries agree); undefined when some may differ. */
  unchanged?(unit: Unit): Promise<number | undefined>;
  /** Runs a MySQL read with the run's retries, each row handed to `each` as it arrives (`restart` before a retry). */
  read(query: Query, each: (row: SourceRow) => void, restart: () => void): Promise<void>;
  /** Shapes a source row of a full read. */
  shape(row: SourceRow): PageRow;
  /** Takes note of a row no rule can write: it is left out, everything else goes on. */
  leftOut(row: UnwritableRow): void;
  /** Runs a ClickHouse lookup with the run's retries. */
  lookUp<T>(operation: () => Promise<T>): Promise<T>;
  /** Waits --sleep-time before a read of `lane` (not before its first); false when no more pages are to be read (--limit reached). */
  pace(lane: Lane): Promise<boolean>;
}

/** `make(row)`, or, for a row no rule can write, a note of it and nothing. */
function unlessUnwritable<T>(reader: PageReader, make: () => T): T[] {
  try {
    return [make()];
  } catch (error) {
    if (!(error instanceof UnwritableRow)) throw error;
    reader.leftOut(error);
    return [];
  }
}

/** A source row's MySQL key. */
function keyOf(sink: Sink, row: SourceRow): Key {
  return sink.source.keyType === 'integer' ? Number(row[KEY_FIELD]) : String(row[KEY_FIELD]);
}

/** What a read gave: the rows made of it, and how many rows it read up to which key (rows left out included, so paging goes on past them). */
interface ReadRows<T> {
  readonly made: T[];
  readonly read: number;
  readonly lastKey: Key | undefined;
}

/** Reads a query's rows, making each as it arrives (a retried read starts over); rows no rule can write are left out. */
async function readMade<T>(reader: PageReader, query: Query, make: (row: SourceRow) => T): Promise<ReadRows<T>> {
  let result: { made: T[]; read: number; lastKey: Key | undefined } = { made: [], read: 0, lastKey: undefined };
  await reader.read(query, (row) => {
    result.made.push(...unlessUnwritable(reader, () => make(row)));
    result.read += 1;
    result.lastKey = keyOf(reader.sink, row);
  }, () => { result = { made: [], read: 0, lastKey: undefined }; });
  return result;
}

/** The rows of a full read, shaped as they arrive; rows no rule can write are left out. */
async function fullRows(reader: PageReader, query: Query): Promise<PageRow[]> {
  return (await readMade(reader, query, (row) => reader.shape(row))).made;
}

/** Full rows: every row read, shaped and decided. */
async function fullPage(reader: PageReader, bounds: PageBounds): Promise<DecidedPage | undefined> {
  const { sink, filter, pageSize, fields } = reader;
  const { made: rows, read, lastKey } = await readMade(reader, pageQuery(sink.source, filter, bounds, pageSize, fields), (row) => reader.shape(row));
  if (lastKey === undefined) return undefined;
  const decisions = rows.length > 0 ? await reader.lookUp(() => reader.incremental.decide(rows)) : [];
  const decided = rows.map((row, index) => ({ key: row.key, decision: decisions[index] as Decision }));
  return { read, decided, rows: rows.filter((_, index) => decisions[index]?.dump), lastKey };
}

/** A probe row's key, ClickHouse key (formatted as the column is) and fingerprint. */
function probed(sink: Sink, row: SourceRow): Fingerprinted & { readonly key: Key } {
  const key = keyOf(sink, row);
  const column = sink.columns.find((each) => each.name === sink.incremental.targetKey);
  try {
    const keyText = column && typeof column.source === 'string' ? column.format(row[column.source]).text : String(key);
    return { key, keyText, fingerprint: String(row[FINGERPRINT_FIELD]) };
  } catch (error) {
    throw new UnwritableRow(sink.name, key, column?.name ?? sink.incremental.targetKey, messageOf(error));
  }
}

/** Fingerprints first; only the rows whose fingerprint differs are read in full. */
async function probePage(reader: PageReader, probe: Probe, bounds: PageBounds): Promise<DecidedPage | undefined> {
  const { sink, filter, pageSize } = reader;
  const { made: keys, read, lastKey } = await readMade(reader, pageQuery(sink.source, filter, bounds, pageSize, probe.fields), (row) => probed(sink, row));
  if (lastKey === undefined) return undefined;
  if (keys.length === 0) return { read, decided: [], rows: [], lastKey };
  const range = probe.ranged ? { keyRange: [(keys[0] as { key: Key }).key, (keys[keys.length - 1] as { key: Key }).key] as const } : {};
  const decisions = await reader.lookUp(() => probe.decide({ rows: keys, ...range }));
  const wanted = keys.filter((_, index) => decisions[index]?.dump).map((row) => row.key);
  const rows = wanted.length > 0 ? await fullRows(reader, keysQuery(sink.source, filter, wanted, reader.fields)) : [];
  const present = new Set(rows.map((row) => row.key));
  // A row deleted between the two reads has nothing to write and no decision.
  const decided = keys.map((row, index) => ({ key: row.key, decision: decisions[index] as Decision }))
    .filter((entry) => !entry.decision.dump || present.has(entry.key));
  return { read, decided, rows, lastKey };
}

/** The pages of one unit, read and decided one after the other (paced). */
async function* decidedPages(reader: PageReader, unit: Unit, lane: Lane): AsyncGenerator<DecidedPage> {
  let after = unit.bounds.after;
  for (;;) {
    if (!(await reader.pace(lane))) return;
    const bounds = { after, upTo: unit.bounds.upTo };
    const page = reader.probe ? await probePage(reader, reader.probe, bounds) : await fullPage(reader, bounds);
    if (!page) return;
    yield page;
    if (page.read < reader.pageSize) return;
    after = page.lastKey;
  }
}

/**
 * The unit's decided pages, each next one read while the current one is being written (one
 * page ahead).
 */
export async function* unitPages(reader: PageReader, unit: Unit, lane: Lane): AsyncGenerator<DecidedPage> {
  const unchanged = unit.bounds.upTo === undefined ? undefined : await reader.unchanged?.(unit);
  if (unchanged !== undefined) {
    if (unchanged > 0) yield { read: unchanged, decided: [], rows: [], lastKey: unit.bounds.upTo as Key, unchanged };
    return;
  }
  const pages = decidedPages(reader, unit, lane);
  let next = pages.next();
  try {
    for (;;) {
      const current = await next;
      if (current.done) return;
      next = pages.next();
      yield current.value;
    }
  } finally {
    // Stopped early: the page read ahead is dropped, and a failure of it was already reported or is moot.
    next.catch(() => undefined);
  }
}
