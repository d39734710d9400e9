import { literal, qualifiedTable } from '../clickhouse/sql.js';
import { isTransientClickHouse, type ClickHouseRow, type ClickHouseTarget } from '../clickhouse/target.js';
import { RuntimeFailure } from '../errors.js';
import { parseTimestampMicros } from '../format/timestamps.js';
import type { LmsDatabase } from '../lms/database.js';
import { isTransientMysqlError } from '../lms/transient.js';
import {
  MAX_FOLLOWED_SKEW_MICROS, aheadNotice, beyondNotice, floorAfter, hostClockMs, middle, narrowest, offsetOf, referenceMicros,
  skewNotice, useStampClock, type ClockSample, type Offset, type StoredStamp,
} from './clock.js';
import { connecting, type ConnectRetry } from './retry.js';
import { stampText } from './stamp.js';

/** What a run's clock is set up from. */
export interface ClockSources {
  readonly lms: LmsDatabase;
  /** The destination, unless the run never talks to it (a forced dry run). */
  readonly clickhouse?: ClickHouseTarget;
  readonly database: string;
  /** The tables the run writes, whose stored stamps new ones follow (none for a dry run). */
  readonly tables: readonly string[];
  readonly retry?: ConnectRetry;
  notice(text: string): void;
}

/** MySQL's clock is read this many times; the quickest round trip pins it best. */
const MYSQL_SAMPLES = 3;

const hostMicros = (): number => Math.floor(hostClockMs() * 1000);

/** One reading of a remote clock (microseconds since the epoch), between two of this host's. */
async function sample(read: () => Promise<number>, resolution: number): Promise<ClockSample> {
  const sent = hostMicros();
  const remote = await read();
  return { sent, remote, received: hostMicros(), resolution };
}

/** MySQL's clock: UTC_TIMESTAMP(6), to the microsecond. */
async function mysqlNow(lms: LmsDatabase): Promise<number> {
  const [row] = await lms.select('SELECT UTC_TIMESTAMP(6) AS now', []);
  const micros = parseTimestampMicros(String(row?.now));
  if (micros === undefined) throw new RuntimeFailure(`MySQL's clock reads ${JSON.stringify(row?.now)}, not a time`);
  return micros;
}

/** How far MySQL's clock is from this host's. */
async function mysqlOffset(sources: ClockSources): Promise<Offset> {
  const samples: ClockSample[] = [];
  for (let each = 0; each < MYSQL_SAMPLES; each += 1) {
    samples.push(await connecting(() => sample(() => mysqlNow(sources.lms), 1), isTransientMysqlError, sources.retry));
  }
  return narrowest(samples);
}

/**
 * ClickHouse's clock (now(), to the second: all a 18.16 server has; the first row's is taken)
 * and the newest stamp of each written table up to `limit`, and above it, in one query. Only
 * stamps of the `str()` form count: they sort as times.
 */
function clickHouseSql(database: string, tables: readonly string[], limit: string): string {
  // materialize(): 18.16 refuses a UNION ALL whose branches' now() constants differ (a query straddling a second).
  const now = 'materialize(toUnixTimestamp(now())) AS clickhouse_now';
  if (tables.length === 0) return `SELECT ${now}`;
  return tables.map((table) => `SELECT ${now}, ${literal(table)} AS written_table, `
    + `maxIf(time_last_dumped, time_last_dumped <= ${literal(limit)}) AS followed, max(time_last_dumped) AS newest `
    + `FROM ${qualifiedTable(database, table)} WHERE time_last_dumped LIKE '____-__-__ __:__:__%'`).join(' UNION ALL ');
}

/** What one ClickHouse query told: its clock, and a row per written table. */
interface ClickHouseReading {
  readonly clock: ClockSample;
  readonly rows: readonly ClickHouseRow[];
}

/** Reads ClickHouse's clock and the written tables' newest stamps (`nowMicros`: the reference clock now). */
async function readClickHouse(sources: ClockSources, clickhouse: ClickHouseTarget, nowMicros: number): Promise<ClickHouseReading> {
  const sql = clickHouseSql(sources.database, sources.tables, stampText(nowMicros + MAX_FOLLOWED_SKEW_MICROS));
  let rows: readonly ClickHouseRow[] = [];
  const read = async () => {
    rows = await clickhouse.query(sql);
    return Number(rows[0]?.clickhouse_now) * 1_000_000;
  };
  const clock = await connecting(() => sample(read, 1_000_000), isTransientClickHouse, sources.retry);
  return { clock, rows };
}

/** The newest stored stamp to follow. */
function newestFollowed(rows: readonly ClickHouseRow[]): StoredStamp | undefined {
  let newest: StoredStamp | undefined;
  for (const row of rows) {
    const micros = parseTimestampMicros(String(row.followed));
    if (micros !== undefined && micros > (newest?.micros ?? -Infinity)) newest = { table: String(row.written_table), text: String(row.followed), micros };
  }
  return newest;
}

/** Makes new stamps follow the newest one the written tables hold, saying so when it is ahead of MySQL's clock or too far ahead to follow. */
function followStored(sources: ClockSources, rows: readonly ClickHouseRow[], offsetMicros: number, nowMicros: number): void {
  for (const row of rows) if (row.newest !== row.followed) sources.notice(beyondNotice(String(row.written_table), String(row.newest)));
  const newest = newestFollowed(rows);
  useStampClock({ offsetMicros, floorMicros: floorAfter(newest) });
  const ahead = aheadNotice(newest, nowMicros);
  if (ahead) sources.notice(ahead);
}

/**
 * Sets up the run's one clock (clock.ts): MySQL's, read through this host's clock, after every
 * stamp the written tables hold; reports clocks more than a second apart. Costs three tiny MySQL
 * queries and one ClickHouse query. The stored stamps are read once the run's locks are held, so
 * no other dump of these tables writes after them.
 */
export async function setUpClock(sources: ClockSources): Promise<void> {
  const mysql = await mysqlOffset(sources);
  const offsetMicros = middle(mysql);
  useStampClock({ offsetMicros, floorMicros: 0 });
  const now = referenceMicros();
  const { clickhouse, tables } = sources;
  // An embedded destination (chdb) runs in this process, on this host's clock: it is not read.
  const embedded = clickhouse !== undefined && !clickhouse.overNetwork;
  const reading = clickhouse && (!embedded || tables.length > 0) ? await readClickHouse(sources, clickhouse, now) : undefined;
  const skew = skewNotice(reading && !embedded ? { mysql, clickhouse: offsetOf(reading.clock) } : { mysql });
  if (skew) sources.notice(skew);
  if (reading && tables.length > 0) followStored(sources, reading.rows, offsetMicros, now);
}
