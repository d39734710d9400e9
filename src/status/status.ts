import { tableExists } from '../clickhouse/open.js';
import { qualifiedTable, quoteIdentifier } from '../clickhouse/sql.js';
import type { ClickHouseTarget } from '../clickhouse/target.js';
import { DataError } from '../errors.js';
import type { SourceValue } from '../format/values.js';
import type { LmsDatabase } from '../lms/database.js';
import { signalMissing, signalName } from '../lms/change-signals.js';
import { retiredUserIds } from '../lms/retired-users.js';
import { readMarks, type RunMark } from '../clickhouse/run-marks.js';
import { referenceMicros } from '../pipeline/clock.js';
import { decideByModified } from '../pipeline/decision.js';
import { laterCursor, lastDumpTimes, type ChildTimes } from '../pipeline/incremental.js';
import type { ColumnSpec, Sink } from '../sinks/types.js';

/** How far ClickHouse is behind the LMS for one object. */
export interface ObjectStatus {
  object: string;
  table: string;
  /** Distinct keys (the ClickHouse key column's values) in MySQL, retired learners' included. */
  mysql_keys: number;
  /** Distinct keys in ClickHouse; null when the table is missing. */
  clickhouse_keys: number | null;
  /** MySQL keys ClickHouse has never received, but for those of retired learners. */
  missing_keys: number;
  /** MySQL keys of learners the LMS has retired or is retiring: the dump leaves them out on purpose. */
  retired_keys: number;
  /** Keys ClickHouse holds that the LMS no longer has (deleted there): `aspects dump --prune` removes them. */
  deleted_keys: number;
  /** Rows of retired learners still in ClickHouse: personal data `aspects retire --pending` removes. */
  retired_rows_in_clickhouse: number;
  /** The learners those rows belong to. */
  retired_users_in_clickhouse: number;
  /** Objects an incremental dump would write again (courses published since their last dump). */
  to_redump: number;
  /** The newest time_last_dumped in the table, or null. */
  newest_dump: string | null;
  stale: boolean;
  /** Keys in ClickHouse that dashboards do not show, lacking the row they are joined to (objects with shownWith). */
  hidden_from_dashboards?: number;
  /** Objects with a change signal: `table.column` when the LMS has it (null: every row is compared)... */
  change_signal?: string | null;
  /** ...when the last complete dump and the last full compare (every row) began, UTC ISO; null: none recorded. */
  last_complete_run?: string | null;
  last_full_compare?: string | null;
  /** Objects aspects follow keeps current: its checkpoint (a GTID position), when it was written, and how many transactions the LMS committed since. */
  follow_checkpoint?: string;
  follow_checkpoint_at?: string | null;
  follow_transactions_behind?: number | null;
}

/** What every object's status is read with, read once for all of them. */
export interface StatusReads {
  /** The learners the LMS retired. */
  readonly retired: ReadonlySet<number>;
  /** When each course's structure was stored (outlines from learning_sequences). */
  readonly childTimes?: ChildTimes | undefined;
  /** The LMS server's GTID position (asked once, when an object has a follow checkpoint). */
  readonly binlogPosition: () => Promise<string>;
}

/** One MySQL key of an object: when it last changed (courses) and whose it is (objects with a userColumn). */
interface SourceKey {
  readonly modified: string | null;
  readonly user: number | undefined;
}

/** The counts of an object's MySQL keys: all, of retired learners, missing in ClickHouse, to re-dump; and ClickHouse's keys the LMS lacks. */
interface KeyCounts {
  keys: number;
  retired: number;
  missing: number;
  toRedump: number;
  deleted: number;
}

/** What ClickHouse holds of an object. */
interface StoredKeys {
  readonly keys: ReadonlySet<string>;
  readonly retiredRows: number;
  readonly retiredUsers: number;
}

/**
 * The users `aspects dump` leaves out of objects with a userColumn, by the dump's own rule
 * (RetirementWatch), read once; not read at all when no such object is checked.
 */
export async function retiredLearners(db: LmsDatabase, sinks: readonly Sink[]): Promise<ReadonlySet<number>> {
  return sinks.some((sink) => sink.userColumn !== undefined) ? retiredUserIds(db) : new Set();
}

/** The column named `name` and the source field it is written from. */
function sourcedColumn(sink: Sink, name: string | undefined): { column: ColumnSpec; field: string } | undefined {
  const column = sink.columns.find((each) => each.name === name);
  if (!column) return undefined;
  if (typeof column.source !== 'string') throw new Error(`${sink.name}: its ${column.name} column must come from a source field`);
  return { column, field: sink.source.fields[column.source] as string };
}

/** The one MySQL query of an object: its keys, with their cursor (courses) and user (PII objects). */
function keysQuery(sink: Sink): string {
  const key = sourcedColumn(sink, sink.incremental.targetKey);
  if (!key) throw new Error(`${sink.name}: its key column must come from a source field`);
  const cursor = sink.incremental.kind === 'modified-since-dump' ? sink.source.fields[sink.incremental.cursorField] : undefined;
  const user = sourcedColumn(sink, sink.userColumn);
  return `SELECT ${key.field} AS \`key_value\`${cursor ? `, ${cursor} AS \`modified_at\`` : ''}`
    + `${user ? `, ${user.field} AS \`user_id\`` : ''} FROM ${sink.source.from}`;
}

/** Distinct values of the sink's ClickHouse key, as they are written, read from MySQL in one query. */
export async function mysqlKeys(db: LmsDatabase, sink: Sink): Promise<Map<string, SourceKey>> {
  const key = sourcedColumn(sink, sink.incremental.targetKey)?.column as ColumnSpec;
  const user = sourcedColumn(sink, sink.userColumn)?.column;
  const rows = await db.select(keysQuery(sink), []);
  // The user as the dump reads it (shape.ts): the user column's value as written. A key no rule
  // can write (an external id that is no UUID) is never in ClickHouse: it is left out here too.
  return new Map(rows.filter((row) => writable(key, row.key_value)).map((row) => [key.format(row.key_value).text, {
    modified: row.modified_at == null ? null : String(row.modified_at), user: user ? Number(user.format(row.user_id).text) : undefined,
  }]));
}

/** Whether a key's value can be written in the contract's format. */
function writable(column: ColumnSpec, value: SourceValue): boolean {
  try {
    column.format(value);
    return true;
  } catch (error) {
    if (error instanceof DataError) return false;
    throw error;
  }
}

/** The keys the dump writes, and how many it leaves out because their learner is retired. */
function withoutRetired(keys: ReadonlyMap<string, SourceKey>, retired: ReadonlySet<number>): { written: Map<string, SourceKey>; left: number } {
  const written = new Map([...keys].filter(([, each]) => each.user === undefined || !retired.has(each.user)));
  return { written, left: keys.size - written.size };
}

/** The grouped ClickHouse query of an object's keys, with each key's user and row count for PII objects. */
function storedQuery(database: string, sink: Sink): string {
  const table = qualifiedTable(database, sink.table);
  const key = quoteIdentifier(sink.incremental.targetKey);
  if (sink.userColumn === undefined) return `SELECT DISTINCT toString(${key}) AS k FROM ${table}`;
  return `SELECT toString(${key}) AS k, toString(${quoteIdentifier(sink.userColumn)}) AS u, count() AS n FROM ${table} GROUP BY k, u`;
}

/** The object's distinct keys in ClickHouse, and the rows and users of retired learners among them. */
export async function storedKeys(target: ClickHouseTarget, database: string, sink: Sink, retired: ReadonlySet<number>): Promise<StoredKeys> {
  const rows = await target.query(storedQuery(database, sink));
  const ofRetired = rows.filter((row) => row.u != null && retired.has(Number(row.u)));
  return {
    keys: new Set(rows.map((row) => String(row.k))),
    retiredRows: ofRetired.reduce((sum, row) => sum + Number(row.n), 0),
    retiredUsers: new Set(ofRetired.map((row) => Number(row.u))).size,
  };
}

/** Courses an incremental dump would write again: those changed since their last dump. */
async function coursesToRedump(target: ClickHouseTarget, database: string, sink: Sink, keys: ReadonlyMap<string, SourceKey>, childTimes?: ChildTimes): Promise<number> {
  const rule = sink.incremental;
  if (rule.kind !== 'modified-since-dump') return 0;
  const last = await lastDumpTimes(target, database, sink);
  const times = await structureTimes(sink.children?.length ? childTimes : undefined, [...keys.keys()]);
  const now = referenceMicros();
  return [...keys].filter(([key, each]) => last.has(key) && decideByModified(rule.noun, laterCursor(each.modified, times.get(key)), last.get(key), now).dump).length;
}

/** When each course's structure was stored, as the dump reads it; none where the LMS lacks the table (status still answers). */
async function structureTimes(childTimes: ChildTimes | undefined, keys: readonly string[]): Promise<ReadonlyMap<string, string>> {
  if (!childTimes || keys.length === 0) return new Map();
  return childTimes(keys).catch((error: unknown) => {
    if ((error as { code?: unknown }).code === 'ER_NO_SUCH_TABLE') return new Map();
    throw error;
  });
}

/** The newest time_last_dumped of the object's table, or null when it is empty. */
async function newestDump(target: ClickHouseTarget, database: string, sink: Sink): Promise<string | null> {
  const [newest] = await target.query(`SELECT max(time_last_dumped) AS newest, count() AS n FROM ${qualifiedTable(database, sink.table)}`);
  return Number(newest?.n ?? 0) > 0 ? String(newest?.newest) : null;
}

/** The status of an object from what MySQL and ClickHouse hold, fields in the order JSON shows them. */
function statusOf(sink: Sink, mysql: KeyCounts, stored: StoredKeys | null, newest: string | null): ObjectStatus {
  return {
    object: sink.name, table: sink.table, mysql_keys: mysql.keys, clickhouse_keys: stored ? stored.keys.size : null,
    missing_keys: mysql.missing, retired_keys: mysql.retired, deleted_keys: mysql.deleted,
    retired_rows_in_clickhouse: stored?.retiredRows ?? 0, retired_users_in_clickhouse: stored?.retiredUsers ?? 0,
    to_redump: mysql.toRedump, newest_dump: newest, stale: stored === null || mysql.missing > 0 || mysql.toRedump > 0,
  };
}

/**
 * The state of one object, in a constant number of queries (MySQL 1, ClickHouse up to 6). Keys of
 * `retired` learners are left out of missing and re-dump, as the dump leaves them out. Keys only
 * ClickHouse has (deleted in the LMS) are counted, not stale: the plugin keeps them too.
 */
export async function objectStatus(db: LmsDatabase, target: ClickHouseTarget, database: string, sink: Sink, reads: StatusReads): Promise<ObjectStatus> {
  const { retired, childTimes } = reads;
  const keys = await mysqlKeys(db, sink);
  const { written, left } = withoutRetired(keys, retired);
  const counts: KeyCounts = { keys: keys.size, retired: left, missing: written.size, toRedump: 0, deleted: 0 };
  if (!(await tableExists(target, database, sink.table))) return statusOf(sink, counts, null, null);
  const stored = await storedKeys(target, database, sink, retired);
  counts.missing = [...written.keys()].filter((each) => !stored.keys.has(each)).length;
  counts.deleted = [...stored.keys].filter((each) => !keys.has(each)).length;
  counts.toRedump = await coursesToRedump(target, database, sink, written, childTimes);
  const status = statusOf(sink, counts, stored, await newestDump(target, database, sink));
  const hidden = await hiddenFromDashboards(target, database, sink);
  return { ...status, ...(hidden === undefined ? {} : { hidden_from_dashboards: hidden }), ...(await changeState(db, target, database, sink, reads.binlogPosition)) };
}

/** An object's change signal and run marks (pipeline/change-plan.ts), and where aspects follow stands. */
async function changeState(db: LmsDatabase, target: ClickHouseTarget, database: string, sink: Sink, binlogPosition: () => Promise<string>): Promise<Partial<ObjectStatus>> {
  const marks = await readMarks(target, database, sink.name);
  const iso = (mark: RunMark | undefined) => (mark ? new Date(Math.floor(mark.at / 1000)).toISOString() : null);
  const follow = marks.follow ? {
    follow_checkpoint: marks.follow.position ?? '', follow_checkpoint_at: iso(marks.follow),
    follow_transactions_behind: transactionsBehind(marks.follow.position ?? '', await binlogPosition()),
  } : {};
  if (!sink.changeSignal) return follow;
  const missing = await signalMissing(db, sink.changeSignal);
  return { change_signal: missing ? null : signalName(sink.changeSignal), last_complete_run: iso(marks.changes), last_full_compare: iso(marks['full-compare']), ...follow };
}

/** Transactions the server committed after a MariaDB GTID position (`domain-server-sequence,…`), per domain summed; null where it cannot tell (MySQL's sets). */
export function transactionsBehind(checkpoint: string, current: string): number | null {
  const sequences = (position: string) => new Map(position.split(',').filter(Boolean).map((gtid) => {
    const [domain, , sequence] = gtid.trim().split('-');
    return [domain, BigInt(sequence ?? '0')] as const;
  }));
  if (![checkpoint, current].every((position) => /^(\d+-\d+-\d+)?(,\d+-\d+-\d+)*$/.test(position.replace(/\s/g, '')))) return null;
  const done = sequences(checkpoint);
  return Number([...sequences(current)].reduce((sum, [domain, sequence]) => sum + (sequence > (done.get(domain) ?? 0n) ? sequence - (done.get(domain) ?? 0n) : 0n), 0n));
}

/** Keys of the object in ClickHouse without a row of the table dashboards join it to; undefined when it has none or that table is missing. */
async function hiddenFromDashboards(target: ClickHouseTarget, database: string, sink: Sink): Promise<number | undefined> {
  const joined = sink.shownWith;
  if (!joined || !(await tableExists(target, database, joined.table))) return undefined;
  const column = quoteIdentifier(joined.column);
  const [row] = await target.query(`SELECT uniqExact(${quoteIdentifier(sink.incremental.targetKey)}) AS n FROM ${qualifiedTable(database, sink.table)}`
    + ` WHERE ${column} NOT IN (SELECT ${column} FROM ${qualifiedTable(database, joined.table)})`);
  return Number(row?.n ?? 0);
}
