import type { LmsDatabase } from '../lms/database.js';
import { selectsAll, summaryQuery, type Query, type RowFilter } from '../lms/keyset.js';
import type { Sink } from '../sinks/types.js';
import { keyIsSourceKey, type StoredFingerprints, type UnitSummary } from './compare.js';
import { fingerprintSummarySql } from './fingerprint.js';
import type { PageReader } from './pages.js';
import type { Unit, UnitGrid } from './units.js';

/**
 * Whole units found unchanged without a row read: one summary on each side (row count and
 * fingerprint XOR). Where the ClickHouse key is the MySQL integer key, unit by unit; otherwise
 * (external_id, keyed by its UUID) the whole object at once, from MySQL's units summed. Retired
 * users' rows are left out in MySQL, as retire removed them from ClickHouse.
 */

/** Retired users listed in a summary query at most (more: rows are probed one by one). */
const MAX_RETIRED_LISTED = 50_000;

/** What the summaries are taken with. */
export interface SummaryContext {
  readonly sink: Sink;
  readonly filter: RowFilter;
  readonly grid: UnitGrid;
  readonly stored: StoredFingerprints;
  readonly lms: LmsDatabase;
  /** The users retired so far (their rows are not written). */
  retired(): readonly number[];
  readMysql<T>(operation: () => Promise<T>): Promise<T>;
  callClickHouse<T>(operation: () => Promise<T>): Promise<T>;
}

/**
 * Whether comparing unit summaries still pays: a unit whose summaries differ is read again row by
 * row, so when changes are everywhere (most units differ), the summaries are given up.
 */
class SummaryOdds {
  private checked = 0;
  private differed = 0;

  worthIt(): boolean {
    return this.checked < 4 || this.differed * 2 <= this.checked;
  }

  /** Records one comparison; returns whether the summaries agreed. */
  saw(agreed: boolean): boolean {
    this.checked += 1;
    if (!agreed) this.differed += 1;
    return agreed;
  }
}

/** The MySQL summary query of `bounds` with `select`, less retired users' rows where they are few enough to list. */
function mysqlSummary(ctx: SummaryContext, bounds: Unit['bounds'], select: string): Query {
  const { sink, filter } = ctx;
  const userField = sink.columns.find((each) => each.name === sink.userColumn)?.source;
  const retired = ctx.retired();
  const without = typeof userField === 'string' && retired.length > 0 && retired.length <= MAX_RETIRED_LISTED
    ? [`${sink.source.fields[userField]} NOT IN (?)`, retired] as const : undefined;
  return summaryQuery(sink.source, filter, bounds, select, without);
}

/** Unit by unit: the MySQL key is the ClickHouse key. */
function byUnit(ctx: SummaryContext): NonNullable<PageReader['unchanged']> {
  const odds = new SummaryOdds();
  // ClickHouse's side in one query, asked at once, so it runs while MySQL sums the first units.
  const summaries = ctx.callClickHouse(() => ctx.stored.unitSummaries(ctx.grid, ctx.filter.skipIds));
  summaries.catch(() => undefined);
  return async (unit) => {
    if (!odds.worthIt()) return undefined;
    const [ours] = await ctx.readMysql(() => ctx.lms.select(...mysqlSummary(ctx, unit.bounds, fingerprintSummarySql(ctx.sink))));
    const theirs = (await summaries).get(unit.index) ?? { rows: 0, xor: '0' };
    const rows = Number(ours?.n ?? 0);
    return odds.saw(rows === theirs.rows && String(ours?.x ?? '0') === theirs.xor) ? rows : undefined;
  };
}

/** Every unit's MySQL summary in one grouped query, and their sum. */
async function mysqlUnits(ctx: SummaryContext): Promise<{ units: Map<number, number>; whole: UnitSummary }> {
  const { grid, sink } = ctx;
  const unit = `FLOOR((${sink.source.key} - ${grid.first}) / ${grid.width}) AS u`;
  const [sql, params] = mysqlSummary(ctx, { after: grid.first - 1, upTo: grid.last }, `${unit}, ${fingerprintSummarySql(sink)}`);
  const rows = await ctx.readMysql(() => ctx.lms.select(`${sql} GROUP BY u`, params));
  const units = new Map(rows.map((row) => [Number(row.u), Number(row.n)]));
  const xor = rows.reduce((sum, row) => sum ^ BigInt(String(row.x)), 0n);
  return { units, whole: { rows: [...units.values()].reduce((sum, n) => sum + n, 0), xor: String(xor) } };
}

/** The whole object at once: every unit unchanged when both sides' sums agree, none otherwise. */
function byWhole(ctx: SummaryContext): NonNullable<PageReader['unchanged']> {
  const agreed = (async () => {
    const theirs = ctx.callClickHouse(() => ctx.stored.wholeSummary());
    theirs.catch(() => undefined);
    const ours = await mysqlUnits(ctx);
    const stored = await theirs;
    return ours.whole.rows === stored.rows && ours.whole.xor === stored.xor ? ours.units : undefined;
  })();
  agreed.catch(() => undefined);
  return async (unit) => {
    const units = await agreed;
    return units ? units.get(unit.index) ?? 0 : undefined;
  };
}

/** How whole units are found unchanged, where rows are probed by fingerprint; undefined where they cannot be. */
export function unchangedUnits(ctx: SummaryContext): PageReader['unchanged'] {
  if (keyIsSourceKey(ctx.sink)) return byUnit(ctx);
  return selectsAll(ctx.filter) && ctx.sink.source.keyType === 'integer' ? byWhole(ctx) : undefined;
}
