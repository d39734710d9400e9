import { qualifiedTable, quoteIdentifier } from '../clickhouse/sql.js';
import type { ClickHouseTarget } from '../clickhouse/target.js';
import type { Sink } from '../sinks/types.js';
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

/**
 * The sink's incremental rule, ready to decide: --force dumps everything; changed-rows compares
 * fingerprints page by page; modified-since-dump reads every key's last dump time once, up front,
 * and compares it with `modified` and with the reference clock's time then.
 */
export async function openIncremental(
  sink: Sink, force: boolean, target: ClickHouseTarget, database: string, stored: StoredFingerprints,
): Promise<Incremental> {
  const rule = sink.incremental;
  if (force) return { decide: async (rows) => rows.map(() => FORCED) };
  if (rule.kind === 'changed-rows') return byFingerprint(sink, stored);
  const lastDumped = await lastDumpTimes(target, database, sink);
  const now = referenceMicros();
  return {
    decide: async (rows) => rows.map((row) => decideByModified(rule.noun, row.cursor, lastDumped.get(row.keyText), now)),
  };
}
