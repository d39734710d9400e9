import { tableExists } from './open.js';
import { literal, qualifiedTable } from './sql.js';
import type { ClickHouseTarget } from './target.js';

/**
 * Run marks: when the last complete run of an object started (on the reference clock, MySQL's),
 * kept in ClickHouse beside the tables they describe, so the next run finds them wherever it runs
 * (a Kubernetes pod has no disk of its own). One row per run and kind, merged down to the newest,
 * which is the one read. A missing or older mark only makes a run read more, never less.
 */
export const MARKS_TABLE = 'aspects_run_marks';

/**
 * `changes`: every change before `at` is in ClickHouse; `full-compare`: and every row was
 * compared; `follow`: `aspects follow` wrote every change of the binlog up to `position`.
 */
export type MarkKind = 'changes' | 'full-compare' | 'follow';

/** One run's mark: when it was made, how many keys the object's table held then, and (follow) the binlog position. */
export interface RunMark {
  /** Microseconds since the epoch on the reference clock. */
  readonly at: number;
  readonly storedKeys: number;
  /** A MariaDB GTID position (`0-1-1234`) or a MySQL GTID set; '' for the other kinds. */
  readonly position?: string;
}

export type ObjectMarks = Partial<Record<MarkKind, RunMark>>;

const MARKS_DDL = '(object String, kind String, at UInt64, stored_keys UInt64, position String) ENGINE = ReplacingMergeTree(at) ORDER BY (object, kind)';

/**
 * The marks table (schema init makes it, so a user without CREATE TABLE keeps marks too; on a
 * cluster each server has its own: a server that has none, or older ones, only makes runs read more).
 */
export function marksTableSql(database: string, cluster?: string): string {
  return `CREATE TABLE IF NOT EXISTS ${qualifiedTable(database, MARKS_TABLE)}${cluster === undefined ? '' : ` ON CLUSTER ${literal(cluster)}`} ${MARKS_DDL}`;
}

/** The newest marks of an object; none when no run left one (or the table is not there). */
export async function readMarks(target: ClickHouseTarget, database: string, object: string): Promise<ObjectMarks> {
  if (!(await tableExists(target, database, MARKS_TABLE))) return {};
  const rows = await target.query(`SELECT kind, toString(max(at)) AS newest, toString(argMax(stored_keys, at)) AS stored, argMax(position, at) AS position `
    + `FROM ${qualifiedTable(database, MARKS_TABLE)} WHERE object = ${literal(object)} GROUP BY kind`);
  return Object.fromEntries(rows.map((row) => [String(row.kind), { at: Number(row.newest), storedKeys: Number(row.stored), position: String(row.position) }]));
}

/** Records marks of some objects in one insert (the table is made on first use). */
export async function writeMarks(target: ClickHouseTarget, database: string, objects: readonly string[], kinds: readonly MarkKind[], mark: RunMark): Promise<void> {
  if (kinds.length === 0 || objects.length === 0) return;
  if (target.peers?.length || !(await tableExists(target, database, MARKS_TABLE))) {
    // Behind a load balancer the INSERT may reach any server of the cluster: each gets the table.
    for (const server of [target, ...(target.peers ?? []).map((peer) => peer.target)]) await server.command(marksTableSql(database));
  }
  const rows = objects.flatMap((object) => kinds.map((kind) => `(${[object, kind, mark.at, mark.storedKeys, mark.position ?? ''].map(literal).join(', ')})`));
  await target.command(`INSERT INTO ${qualifiedTable(database, MARKS_TABLE)} (object, kind, at, stored_keys, position) VALUES ${rows.join(', ')}`);
}
