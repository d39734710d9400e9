import { deleteEverywhere, isMassDelete, type DeleteLimits } from '../clickhouse/copies.js';
import { deleteMethod, type DeleteMethod } from '../clickhouse/delete.js';
import { literal, quoteIdentifier } from '../clickhouse/sql.js';
import type { ClickHouseTarget } from '../clickhouse/target.js';
import { RuntimeFailure, UsageError } from '../errors.js';
import type { LmsDatabase } from '../lms/database.js';
import { chunks } from '../retire/delete.js';
import type { Sink } from '../sinks/types.js';
import { mysqlKeys, storedKeys } from '../status/status.js';
import type { ObjectSummary } from './summary.js';

/** What a prune is allowed and how long it waits. */
export interface PruneOptions {
  readonly dryRun: boolean;
  /** --allow-mass-delete: remove keys even when the LMS lacks most of them. */
  readonly allowMass: boolean;
  readonly limits: () => DeleteLimits;
}


/** The object's keys in ClickHouse that the LMS no longer has, and how many keys ClickHouse holds. */
export async function keysGoneFromLms(lms: LmsDatabase, target: ClickHouseTarget, database: string, sink: Sink): Promise<{ gone: string[]; stored: number }> {
  const inLms = await mysqlKeys(lms, sink);
  const { keys } = await storedKeys(target, database, sink, new Set());
  return { gone: [...keys].filter((key) => !inLms.has(key)), stored: keys.size };
}

/** A removal of most of an object's keys is more likely the wrong LMS database (or an emptied table) than deletions: refused, but counted in a dry run. */
function refuseMass(sink: Sink, gone: number, stored: number, options: PruneOptions): void {
  if (options.allowMass || options.dryRun || !isMassDelete(gone, stored)) return;
  throw new UsageError(`${sink.name}: the LMS lacks ${gone} of the ${stored} keys ClickHouse holds; is this the LMS database? `
    + 'If those rows were really deleted there, remove them with --prune --allow-mass-delete');
}

/** The tables that hold an object's rows by its key: its own, and its nested objects' (course_blocks of a course). */
function keyedTables(sink: Sink): string[] {
  const key = sink.incremental.targetKey;
  return [sink.table, ...(sink.children ?? []).filter((child) => child.columns.includes(key)).map((child) => child.table)];
}

/** Removes the keys' rows from one table everywhere it is stored, verified: the rows removed. */
async function pruneTable(target: ClickHouseTarget, database: string, table: string, conditions: readonly string[], method: DeleteMethod, options: PruneOptions): Promise<number> {
  const outcome = await deleteEverywhere(target, database, table, conditions, method, options.limits());
  if (outcome.remaining === 0 && outcome.unreachable.length === 0) return outcome.matched;
  const down = outcome.unreachable.length > 0 ? `; not verified on ${outcome.unreachable.join(', ')}, which did not answer` : '';
  throw new RuntimeFailure(`${outcome.remaining ?? 0} rows of keys the LMS no longer has remain in ${database}.${table} after the delete${down}`);
}

/**
 * --prune: before the object is dumped, the rows of keys the LMS no longer has are removed from
 * its tables and verified gone (with --dry-run only counted). A key the LMS gets again before the
 * dump reads it is written by the same run.
 */
export async function pruneObject(lms: LmsDatabase, target: ClickHouseTarget, database: string, sink: Sink, summary: ObjectSummary, options: PruneOptions): Promise<void> {
  const { gone, stored } = await keysGoneFromLms(lms, target, database, sink);
  refuseMass(sink, gone.length, stored, options);
  if (options.dryRun) {
    summary.keys_to_prune = gone.length;
    return;
  }
  const conditions = chunks(gone).map((keys) => `toString(${quoteIdentifier(sink.incremental.targetKey)}) IN (${keys.map((key) => literal(key)).join(', ')})`);
  let rows = 0;
  if (gone.length > 0) {
    const method = await deleteMethod(target);
    for (const table of keyedTables(sink)) rows += await pruneTable(target, database, table, conditions, method, options);
  }
  Object.assign(summary, { keys_pruned: gone.length, rows_pruned: rows });
}
