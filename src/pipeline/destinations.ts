import type { TableName } from '../clickhouse/target.js';
import type { SourceRow } from '../lms/database.js';
import { keysQuery, type Key, type Query, type RowFilter, type SelectFields } from '../lms/keyset.js';
import type { References } from '../lms/references.js';
import type { Sink } from '../sinks/types.js';
import type { CourseStructure } from '../structure/types.js';
import { groupWithChildren } from './children.js';
import { HeldRows, InsertFailed, planInsert, type ExactlyOnceWriter, type InsertListener } from './exactly-once.js';
import type { Progress } from './progress.js';
import { encodeRows, insertColumns, withStampColumns, type HeldRow, type PageRow } from './shape.js';
import { STORED_IDENTITY, childIdentitySql, newInsertStamp, rowStamp, type InsertStamp } from './stamp.js';
import type { WrittenRow } from './table-witness.js';
import type { FailedBatch } from './summary.js';
import { TableWriter, type InsertBounds } from './table-writer.js';
import { failedBatch } from './resume.js';
import type { WriteLock } from './write-guard.js';

/** Where a page's rows go once it is their turn. */
export interface Destination {
  /** Before a page's rows are checked against retirements: takes a PII table's write lock. */
  hold(): Promise<void>;
  /** Writes the rows; everything up to `mark` is complete once they are stored. */
  write(rows: readonly PageRow[], mark: Key | undefined): Promise<void>;
  /** Completes what is under way. */
  flush(): Promise<void>;
  /** The batch an insert failure cut short, for the summary. */
  failedBatch(error: InsertFailed): FailedBatch;
}

/** What the destinations of one object write with. */
export interface DestinationContext {
  readonly sink: Sink;
  readonly database: string;
  readonly filter: RowFilter;
  readonly fields: SelectFields;
  readonly references: References;
  readonly progress: Progress;
  readonly listener: InsertListener;
  readonly pageSize: number;
  /** Undefined for a dry run. */
  readonly writer?: ExactlyOnceWriter;
  /** Runs a MySQL read with the run's retries, each row handed to `each` (`restart` before a retry). */
  read(query: Query, each: (row: SourceRow) => void, restart: () => void): Promise<void>;
  /** Shapes a source row of a full read. */
  shape(row: SourceRow): PageRow;
  /** Whether a row belongs to a user the LMS has retired. */
  retired(row: PageRow): boolean;
  /** Notes the first insert into a table (to notice later that it was dropped). */
  firstInsert(into: TableName, first: WrittenRow): Promise<void>;
}

/** What a PII table's writes do around its write lock. */
export interface LockedWrites {
  readonly lock: WriteLock;
  /** Right before the lock is taken. */
  taking(): void;
  /** The lock turned out lost while it was held (it is held again during this call). */
  lost(): Promise<void>;
}

/** Rows streamed into long inserts (objects without children). */
export class StreamedRows implements Destination {
  private readonly table: TableWriter;

  constructor(private readonly context: DestinationContext, writer: ExactlyOnceWriter, bounds: InsertBounds, private readonly locked?: LockedWrites) {
    const { sink, database, listener, pageSize } = context;
    const into = { database, table: sink.table };
    this.table = new TableWriter({
      writer, into, columns: insertColumns(sink), bounds, listener, keysPerRead: pageSize,
      lock: locked?.lock, lockLost: async () => locked?.lost(),
      remake: (keys, stamp) => this.remake(keys, stamp),
      committed: async (rows, mark, first) => {
        context.progress.stored(sink.table, rows, mark);
        if (first) await context.firstInsert(into, first);
      },
    });
  }

  hold(): Promise<void> {
    if (!this.table.holding) this.locked?.taking();
    return this.table.hold();
  }

  async write(rows: readonly PageRow[], mark: Key | undefined): Promise<void> {
    if (rows.length === 0) return this.table.push([], [], mark);
    const stamp = await this.table.stamp();
    const first = rows[0] as PageRow;
    const written = { column: this.context.sink.incremental.targetKey, value: first.keyText, stamp: rowStamp(first.key, first.fingerprint, stamp) };
    await this.table.push(encodeRows(rows, stamp), rows.map((row) => row.key), mark, written);
  }

  flush(): Promise<void> {
    return this.table.flush();
  }

  failedBatch(error: InsertFailed): FailedBatch {
    return failedBatch(this.context.sink.table, error.total, error.landed ?? 0, error);
  }

  /** The rows of these keys as MySQL holds them now, for a resend: users retired since are left out. */
  private async remake(keys: readonly Key[], stamp: InsertStamp): Promise<{ pieces: Buffer[]; made: readonly Key[] }> {
    const { sink, filter, fields } = this.context;
    let rows: PageRow[] = [];
    await this.context.read(keysQuery(sink.source, filter, keys, fields), (row) => rows.push(this.context.shape(row)), () => { rows = []; });
    const kept = rows.filter((row) => !this.context.retired(row));
    return { pieces: encodeRows(kept, stamp), made: kept.map((row) => row.key) };
  }
}

/** Rows counted, not written (--dry-run of objects without children). */
export class CountedRows implements Destination {
  constructor(private readonly progress: Progress, private readonly table: string) {}

  async hold(): Promise<void> {}

  async write(rows: readonly PageRow[], mark: Key | undefined): Promise<void> {
    this.progress.stored(this.table, rows.length, mark);
  }

  async flush(): Promise<void> {}

  failedBatch(error: InsertFailed): FailedBatch {
    return failedBatch(this.table, error.total, error.landed ?? 0, error);
  }
}

/**
 * Rows with children (courses and their blocks), page by page: each group's child rows are
 * inserted before its parent rows, since the parent's time_last_dumped is what the next
 * incremental run trusts. A dry run counts them instead.
 */
export class NestedRows implements Destination {
  /** Parent rows of the page being written, and how many of them are stored. */
  private page = { rows: 0, stored: 0 };

  constructor(private readonly context: DestinationContext, private readonly structuresOf: (keys: readonly string[]) => Promise<Map<string, CourseStructure>>) {}

  async hold(): Promise<void> {}

  async write(rows: readonly PageRow[], mark: Key | undefined): Promise<void> {
    const { sink, references, pageSize, progress } = this.context;
    this.page = { rows: rows.length, stored: 0 };
    const structures = rows.length > 0 ? await this.structuresOf(rows.map((row) => row.keyText)) : new Map<string, CourseStructure>();
    const children = sink.children ?? [];
    for (const group of groupWithChildren(rows, children, structures, references, newInsertStamp, pageSize)) {
      for (const [index, child] of children.entries()) {
        await this.insert(child.table, withStampColumns(child.columns), group.children[index] as HeldRow[], childIdentitySql(child.rowKey), group.stamp);
      }
      await this.insert(sink.table, insertColumns(sink), group.parents, STORED_IDENTITY, group.stamp);
    }
    progress.stored(sink.table, 0, mark);
  }

  private async insert(table: string, columns: readonly string[], rows: readonly HeldRow[], identitySql: string, stamp: InsertStamp): Promise<void> {
    const { writer, database, progress, listener, sink } = this.context;
    if (rows.length === 0) return;
    const into = { database, table };
    if (writer) await writer.write(planInsert(into, columns, identitySql, stamp.timeLastDumped), new HeldRows(rows), listener);
    progress.stored(table, rows.length);
    if (table === sink.table) this.page.stored += rows.length;
    if (writer) await this.context.firstInsert(into, this.writtenRow(table, rows[0] as HeldRow));
  }

  /** A held row of `table` as the table witness finds it again: by its key column's value. */
  private writtenRow(table: string, row: HeldRow): WrittenRow {
    const child = this.context.sink.children?.find((each) => each.table === table);
    return { column: child?.rowKey ?? this.context.sink.incremental.targetKey, value: row.keyText, stamp: row.stamp };
  }

  async flush(): Promise<void> {}

  failedBatch(error: InsertFailed): FailedBatch {
    const landed = error.table === this.context.sink.table ? error.landed ?? 0 : 0;
    return failedBatch(this.context.sink.table, this.page.rows, this.page.stored + landed, error);
  }
}
