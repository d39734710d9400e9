import { connectClickHouse, openClickHouse, tableExists } from '../clickhouse/open.js';
import type { ClickHouseTarget } from '../clickhouse/target.js';
import type { Settings } from '../config/settings.js';
import { Interrupted, RuntimeFailure, UsageError, type AspectsError } from '../errors.js';
import { connectLmsDatabase, type LmsDatabase } from '../lms/database.js';
import type { Reporter } from '../output/reporter.js';
import { filterFor } from './filters.js';
import type { ObjectPlan } from './plan.js';
import { learningSequencesSource } from '../structure/learning-sequences.js';
import type { StructureSource } from '../structure/types.js';
import type { DumpRequest } from './request.js';
import { runDump } from './run-dump.js';
import type { DumpSummary } from './summary.js';

/** Fails before anything is read when a target table is missing. */
async function checkTables(target: ClickHouseTarget, database: string, plan: ObjectPlan): Promise<void> {
  for (const sink of plan.sinks) {
    if (!(await tableExists(target, database, sink.table))) {
      throw new RuntimeFailure(`ClickHouse table ${database}.${sink.table} does not exist; create it with aspects schema init`);
    }
  }
}

/**
 * The course structure source the settings choose: the modulestore when configured, else MySQL.
 * The MongoDB driver is loaded only then (it is a tenth of a second of start-up).
 */
async function openStructureSource(lms: LmsDatabase, settings: Settings): Promise<StructureSource> {
  if (!settings.modulestore) return learningSequencesSource(lms);
  const { modulestoreSource } = await import('../structure/modulestore.js');
  return modulestoreSource(lms, settings.modulestore);
}

/** Opens both connections, checks them, dumps every planned object and closes everything. */
export async function executeDump(
  settings: Settings, plan: ObjectPlan, request: DumpRequest, reporter: Reporter, signal: AbortSignal,
): Promise<{ summary: DumpSummary; error?: AspectsError }> {
  if (!settings.mysql) throw new UsageError('no LMS database configured: pass --mysql-url or set ASPECTS_MYSQL_URL');
  const targets = plan.sinks.map((sink) => ({ sink, filter: filterFor(sink, request.filter) }));
  for (const skipped of plan.skipped) reporter.notice(`skipping ${skipped.object}: ${skipped.reason}`);
  // A forced dry run never talks to ClickHouse; anything else checks it answers first.
  const offline = request.dryRun && request.force;
  const clickhouse = offline ? await openClickHouse(settings.clickhouse) : await connectClickHouse(settings.clickhouse);
  let lms: LmsDatabase | undefined;
  let structures: StructureSource | undefined;
  try {
    const database = settings.clickhouse.database;
    if (!offline) await checkTables(clickhouse, database, plan);
    lms = await connectLmsDatabase(settings.mysql);
    structures = plan.sinks.some((sink) => sink.children?.length) ? await openStructureSource(lms, settings) : undefined;
    const result = await runDump(targets, request, { lms, clickhouse, database, reporter, signal, structures });
    const status = result.error === undefined ? 'success' : result.error instanceof Interrupted ? 'interrupted' : 'failed';
    const summary: DumpSummary = {
      command: 'dump', dry_run: request.dryRun, force: request.force, status,
      objects: result.objects, skipped: [...plan.skipped],
    };
    return result.error ? { summary, error: result.error } : { summary };
  } finally {
    await structures?.close().catch(() => undefined);
    await lms?.close().catch(() => undefined);
    await clickhouse.close().catch(() => undefined);
  }
}
