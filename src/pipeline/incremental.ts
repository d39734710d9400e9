import { qualifiedTable, quoteIdentifier } from '../clickhouse/sql.js';
import type { ClickHouseTarget } from '../clickhouse/target.js';
import { buildableDatetime } from '../format/datetime.js';
import { parseTimestampMicros } from '../format/timestamps.js';
import type { ModifiedSinceDumpRule, Sink } from '../sinks/types.js';
import { referenceMicros } from './clock.js';
import { keyIsSourceKey, type StoredFingerprints } from './compare.js';
import { FORCED, decideByModified, type Decision } from './decision.js';
import type { PageRow } from './shape.js';

/** Decides, page by page, which rows of one sink are out of date. */
export interface Incremental {
  decide(rows: readonly PageRow[]): Promise<Decision[]>;
}

/** The newest time_last_dumped per key, in one grouped query for the whole run. */
export async function lastDumpTimes(target: ClickHouseTarget, database: string, sink: Sink): Promise<Map<string, string>> {
  const key = quoteIdentifier(sink.incremental.targetKey);
  const rows = await target.query(
    `SELECT ${key} AS dump_key, max(time_last_dumped) AS last_dump FROM ${qualifiedTable(database, sink.table)} GROUP BY ${key}`);
  return new Map(rows.map((row) => [String(row.dump_key), String(row.last_dump)]));
}

/** changed-rows: each row's fingerprint against its key's newest stored row. */
function byFingerprint(sink: Sink, stored: StoredFingerprints): Incremental {
  const ranged = keyIsSourceKey(sink);
  return {
    decide: (rows) => stored.decide({
      rows,
      ...(ranged && rows.length > 0 ? { keyRange: [(rows[0] as PageRow).key, (rows[rows.length - 1] as PageRow).key] as const } : {}),
    }),
  };
}

/** When each key's children (a course's structure) were last stored at their source, where that is not the cursor. */
export type ChildTimes = (keys: readonly string[]) => Promise<ReadonlyMap<string, string>>;

/** The later of a row's cursor and its children's time; a cursor Python cannot build stays as it is (the plugin's rule). */
export function laterCursor(cursor: string | null, childTime: string | undefined): string | null {
  if (cursor === null || childTime === undefined) return cursor;
  const [ours, theirs] = [buildableDatetime(cursor), buildableDatetime(childTime)];
  if (ours === null || theirs === null) return cursor;
  return (parseTimestampMicros(theirs) ?? 0) > (parseTimestampMicros(ours) ?? 0) ? theirs : cursor;
}

/** modified-since-dump: each key's cursor (or its children's time, when later) against its newest time_last_dumped. */
async function byModified(rule: ModifiedSinceDumpRule, lastDumped: ReadonlyMap<string, string>, childTimes: ChildTimes | undefined): Promise<Incremental> {
  const now = referenceMicros();
  return {
    decide: async (rows) => {
      const times = childTimes && rows.length > 0 ? await childTimes(rows.map((row) => row.keyText)) : new Map<string, string>();
      return rows.map((row) => decideByModified(rule.noun, laterCursor(row.cursor, times.get(row.keyText)), lastDumped.get(row.keyText), now));
    },
  };
}

/**
 * The sink's incremental rule, ready to decide: --force dumps everything; changed-rows compares
 * fingerprints page by page; modified-since-dump reads every key's last dump time once, up front,
 * and compares it with `modified` (or the time its structure was stored, when later) and with
 * the reference clock's time then.
 */
export async function openIncremental(
  sink: Sink, force: boolean, target: ClickHouseTarget, database: string, stored: StoredFingerprints, childTimes?: ChildTimes,
): Promise<Incremental> {
  const rule = sink.incremental;
  if (force) return { decide: async (rows) => rows.map(() => FORCED) };
  if (rule.kind === 'changed-rows') return byFingerprint(sink, stored);
  return byModified(rule, await lastDumpTimes(target, database, sink), childTimes);
}
