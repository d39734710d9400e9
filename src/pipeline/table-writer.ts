import type { TableName } from '../clickhouse/target.js';
import type { Key } from '../lms/keyset.js';
import { planInsert, type ExactlyOnceWriter, type InsertContent, type InsertListener, type InsertPlan } from './exactly-once.js';
import type { InsertBody } from './insert-body.js';
import type { WrittenRow } from './table-witness.js';
import { STORED_IDENTITY, newInsertStamp, rowIdentity, type InsertStamp } from './stamp.js';
import type { WriteLock } from './write-guard.js';

/** When an insert ends: after this many rows or bytes, or this long open. */
export interface InsertBounds {
  readonly rows: number;
  readonly bytes: number;
  readonly seconds: number;
}

/** The rows of these keys made again for a resend: CSV pieces with the insert's stamps, and the keys that still had a row. */
export type Remake = (keys: readonly Key[], stamp: InsertStamp) => Promise<{ pieces: Buffer[]; made: readonly Key[] }>;

/** The keys an insert sent; their rows are read again from MySQL when some must be sent again. */
class KeyedRows implements InsertContent {
  private readonly keys: Key[] = [];
  private readonly gone = new Set<Key>();

  constructor(private readonly stamp: InsertStamp, private readonly remake: Remake, private readonly keysPerRead: number) {}

  add(keys: readonly Key[]): void {
    for (const key of keys) this.keys.push(key);
  }

  get rows(): number {
    return this.keys.length;
  }

  /** Rows that must be in ClickHouse: those sent, less those gone from MySQL before a resend. */
  get stored(): number {
    return this.keys.length - this.gone.size;
  }

  *identities(): Iterable<string> {
    for (const key of this.keys) if (!this.gone.has(key)) yield rowIdentity(key, this.stamp);
  }

  async *resend(identities: ReadonlySet<string>): AsyncIterable<Buffer> {
    const wanted = this.keys.filter((key) => identities.has(rowIdentity(key, this.stamp)));
    for (let start = 0; start < wanted.length; start += this.keysPerRead) {
      const keys = wanted.slice(start, start + this.keysPerRead);
      const { pieces, made } = await this.remake(keys, this.stamp);
      const found = new Set(made);
      for (const key of keys) if (!found.has(key)) this.gone.add(key);
      yield* pieces;
    }
  }
}

/** An insert under way. */
interface OpenInsert {
  readonly plan: InsertPlan;
  readonly stamp: InsertStamp;
  readonly body: InsertBody;
  readonly content: KeyedRows;
  readonly openedAt: number;
  bytes: number;
  /** The key up to which the pages written into it are complete. */
  mark?: Key;
  /** Its first row, for the table witness. */
  first?: WrittenRow;
}

/** What a table writer writes with, and whom it tells. */
export interface TableWriterOptions {
  readonly writer: ExactlyOnceWriter;
  readonly into: TableName;
  readonly columns: readonly string[];
  readonly bounds: InsertBounds;
  readonly listener: InsertListener;
  readonly remake: Remake;
  /** Keys read from MySQL at a time when rows are made again. */
  readonly keysPerRead: number;
  /** The table's write lock (PII tables). */
  readonly lock?: WriteLock;
  /** An insert is complete: the rows it stored, the mark of its last page, its first row. */
  committed(rows: number, mark: Key | undefined, first: WrittenRow | undefined): Promise<void>;
  /** The write lock was lost while an insert held it (taken again around this call). */
  lockLost(): Promise<void>;
}

/**
 * Writes the pages of one table, in order, into long inserts: each insert takes pages until a
 * bound is reached, so a partitioned table gets few parts, and holds the table's write lock
 * (PII tables) from the first page checked for it until it is complete.
 */
export class TableWriter {
  private open: OpenInsert | undefined;
  private held = false;

  constructor(private readonly options: TableWriterOptions) {}

  /** Whether the write lock is held (until the open insert is complete). */
  get holding(): boolean {
    return this.held;
  }

  /** Takes the write lock, if any, before a page's rows are checked against retirements. */
  async hold(): Promise<void> {
    if (!this.options.lock || this.held) return;
    await this.options.lock.take();
    this.held = true;
  }

  /** The stamp of the insert the next rows go into (one is opened if none is). */
  async stamp(): Promise<InsertStamp> {
    this.open ??= await this.start();
    return this.open.stamp;
  }

  private async start(): Promise<OpenInsert> {
    const stamp = newInsertStamp();
    const { into, columns, writer, remake, keysPerRead } = this.options;
    const plan = planInsert(into, columns, STORED_IDENTITY, stamp.timeLastDumped);
    const body = await writer.open(plan);
    return { plan, stamp, body, content: new KeyedRows(stamp, remake, keysPerRead), openedAt: Date.now(), bytes: 0 };
  }

  /**
   * Writes a page's rows (CSV pieces made with `stamp()`, and their keys in order) into the open
   * insert; `mark` is the key up to which the page is complete. Ends the insert at a bound.
   */
  async push(pieces: readonly Buffer[], keys: readonly Key[], mark: Key | undefined, first?: WrittenRow): Promise<void> {
    const insert = this.open;
    if (!insert) {
      await this.releaseLock();
      await this.options.committed(0, mark, undefined);
      return;
    }
    insert.content.add(keys);
    insert.first ??= first;
    if (mark !== undefined) insert.mark = mark;
    try {
      for (const piece of pieces) await this.write(insert, piece);
    } catch (error) {
      await this.end(insert, error);
      return;
    }
    if (this.full(insert)) await this.flush();
  }

  private async write(insert: OpenInsert, piece: Buffer): Promise<void> {
    await insert.body.write(piece);
    insert.bytes += piece.length;
  }

  private full(insert: OpenInsert): boolean {
    const { rows, bytes, seconds } = this.options.bounds;
    return insert.content.rows >= rows || insert.bytes >= bytes || Date.now() - insert.openedAt >= seconds * 1000;
  }

  /** Ends the open insert, waits until it is complete (recovering it if it failed), and lets the write lock go. */
  async flush(): Promise<void> {
    const insert = this.open;
    if (!insert) return this.releaseLock();
    let failure: { readonly error: unknown } | undefined;
    try {
      await insert.body.end();
    } catch (error) {
      failure = { error };
    }
    await this.end(insert, failure?.error, failure !== undefined);
  }

  /** Completes an insert whose body ended (`failed`: with `error`), then reports it and lets the lock go. */
  private async end(insert: OpenInsert, error: unknown, failed = true): Promise<void> {
    this.open = undefined;
    try {
      if (failed) await this.options.writer.complete(insert.plan, insert.content, error, this.options.listener);
      this.options.writer.noteDirect(this.options.listener);
      await this.options.committed(insert.content.stored, insert.mark, insert.first);
    } finally {
      await this.releaseLock();
    }
  }

  /** Lets the write lock go; if it turned out lost while held, takes it again for `lockLost`. */
  private async releaseLock(): Promise<void> {
    const lock = this.options.lock;
    if (!lock || !this.held) return;
    this.held = false;
    if (await lock.release()) return;
    await lock.take();
    try {
      await this.options.lockLost();
    } finally {
      await lock.release();
    }
  }
}
