import { clickHouseCode } from '../clickhouse/classify.js';
import { messageOf } from '../errors.js';
import type { Key, RowFilter } from '../lms/keyset.js';
import type { Sink } from '../sinks/types.js';
import type { InsertFailed } from './exactly-once.js';
import type { FailedBatch, FailedInsert, ObjectSummary } from './summary.js';

/** UNKNOWN_TABLE and UNKNOWN_DATABASE: the target went away during the run. */
const TABLE_GONE_CODES = new Set([60, 81]);

/** The target table was dropped and created again while the run wrote into it. */
export class TableReplaced extends Error {
  constructor(which: string) {
    super(`a ClickHouse table ${which} was dropped and created again during the run`);
    this.name = 'TableReplaced';
  }
}

/** A key as a shell word: numbers bare, text keys single-quoted. */
function shellWord(key: Key): string {
  return typeof key === 'number' ? String(key) : `'${key.replaceAll("'", "'\\''")}'`;
}

/** Whether a failure says the target table or database no longer exists. */
export function tableGone(error: unknown): boolean {
  if (error instanceof TableReplaced) return true;
  const code = clickHouseCode(messageOf(error));
  return code !== undefined && TABLE_GONE_CODES.has(code);
}

/** The failed batch, for the summary: rows in the object's table so far (`stored`), and the failed insert. */
export function failedBatch(table: string, rows: number, stored: number, error: InsertFailed): FailedBatch {
  const unknown = error.table === table && error.landed === undefined;
  return {
    rows, rows_in_clickhouse: unknown ? null : stored,
    insert: {
      table: error.table, rows: error.total, rows_in_clickhouse: error.landed ?? null,
      ...(error.last ? { staging_table: error.last.stagingTable } : {}),
      ...(error.last?.publishId ? { publish_query_id: error.last.publishId } : {}),
    },
  };
}

/** What may still come of an insert whose outcome could not be checked, and what the next run does about it. */
function stillToLand(insert: FailedInsert): string {
  if (insert.staging_table === undefined) return '';
  if (insert.publish_query_id === undefined) {
    return `; nothing more of it can land: its last attempt never left staging table ${insert.staging_table}, which is never published and which the next run drops`;
  }
  return `; its rows may still land until the next run of it starts (publish query ${insert.publish_query_id}): that run drops staging table `
    + `${insert.staging_table} and waits for that query before it writes, then writes whatever is missing`;
}

/** What the failed insert left in ClickHouse, in words. */
export function landedLine({ insert }: FailedBatch): string {
  if (insert.rows_in_clickhouse === null) {
    return `whether rows of the failed insert into ${insert.table} (${insert.rows} rows) landed could not be checked${stillToLand(insert)}`;
  }
  return `${insert.rows_in_clickhouse} of the ${insert.rows} rows of the failed insert into ${insert.table} are in ClickHouse`;
}

/** Whether anything of the object was written, as far as known. */
function nothingWritten(sink: Sink, summary: ObjectSummary): string {
  if (summary.failed_batch?.rows_in_clickhouse === null) return `no batch of ${sink.name} is known to be complete`;
  const nothing = summary.rows_written === 0 && Object.values(summary.child_rows_written).every((rows) => rows === 0);
  return nothing ? `nothing of ${sink.name} was written` : `no batch of ${sink.name} was completed`;
}

/** What resuming with --force would do to rows of the failed batch that did land. */
function forceCaution(summary: ObjectSummary, force: boolean): string {
  const batch = summary.failed_batch;
  if (!force || !batch || batch.rows_in_clickhouse === 0) return '';
  const which = batch.rows_in_clickhouse === null ? 'rows of the failed batch may be' : `${batch.rows_in_clickhouse} rows of the failed batch are`;
  return `, but without --force (${which} in ClickHouse already and would be written twice)`;
}

/**
 * Where to pick up after a stop, in words an operator can paste. A lost table means a plain
 * re-run: resuming from a key would leave out everything written before the table went.
 */
export function resumeHint(sink: Sink, summary: ObjectSummary, filter: RowFilter, force: boolean, tableLost = false): string {
  if (tableLost) {
    return `the ClickHouse table of ${sink.name} was dropped during the run: create it with aspects schema init if it is missing, `
      + 'then run the same command again without --start-pk (what was written before went with the table)';
  }
  const from = summary.last_pk ?? filter.afterKey;
  const caution = forceCaution(summary, force);
  if (from === undefined || from === null) {
    return `${nothingWritten(sink, summary)}; run the same command again${caution}`;
  }
  return `${sink.name} is complete up to pk ${from}; resume with the same options and --object ${sink.name} --start-pk ${shellWord(from)}${caution}`;
}
