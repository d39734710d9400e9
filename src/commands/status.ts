import { Command } from 'commander';
import { connectClickHouse } from '../clickhouse/open.js';
import type { ClickHouseTarget } from '../clickhouse/target.js';
import { resolveSettings, type ConnectionFlags, type Settings } from '../config/settings.js';
import { Drift, UsageError } from '../errors.js';
import { DEFAULT_FULL_COMPARE_DAYS } from '../pipeline/change-plan.js';
import { planStatus } from '../pipeline/plan.js';
import { setUpClock } from '../pipeline/read-clocks.js';
import { currentBinlogPosition } from '../lms/binlog-checks.js';
import { connectLmsDatabase, type LmsDatabase } from '../lms/database.js';
import { learningSequencesSource } from '../structure/learning-sequences.js';
import { writeLine } from '../output/streams.js';
import { textTable } from '../output/table.js';
import { OBJECT_NAMES } from '../sinks/index.js';
import type { Sink } from '../sinks/types.js';
import { objectStatus, retiredLearners, type ObjectStatus } from '../status/status.js';
import type { CommandContext } from './context.js';
import { addConnectionOptions } from './connection-options.js';
import { collectNames } from './parse.js';

interface StatusFlags extends ConnectionFlags {
  object?: string[];
  json?: boolean;
  failOnStale?: boolean;
}

function statusTable(objects: readonly ObjectStatus[]): string {
  return textTable(['object', 'mysql', 'clickhouse', 'missing', 'retired', 'deleted', 're-dump', 'newest dump'], objects.map((each) => [
    each.object, String(each.mysql_keys), each.clickhouse_keys === null ? 'no table' : String(each.clickhouse_keys),
    String(each.missing_keys), String(each.retired_keys), String(each.deleted_keys), String(each.to_redump), each.newest_dump ?? '-',
  ]));
}

/** "1 row", "2 rows". */
function counted(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** Personal data that should be gone: not staleness, so a notice of its own rather than --fail-on-stale's exit. */
function retiredNotices(objects: readonly ObjectStatus[]): string[] {
  return objects.filter((each) => each.retired_rows_in_clickhouse > 0).map((each) =>
    `${each.object}: ${counted(each.retired_rows_in_clickhouse, 'row')} of ${counted(each.retired_users_in_clickhouse, 'retired learner')}`
    + ' still in ClickHouse: run aspects retire --pending');
}

/** Keys ClickHouse keeps after the LMS deleted them (the plugin never deletes either): how to remove them. */
function deletedNotices(objects: readonly ObjectStatus[]): string[] {
  return objects.filter((each) => each.deleted_keys > 0).map((each) =>
    `${each.object}: ${counted(each.deleted_keys, 'key')} in ClickHouse no longer in the LMS (deleted there): aspects dump --object ${each.object} --prune removes them`);
}

/** What dashboards will miss: keys without the row dashboards join them to (a profile without an external id). */
function hiddenNotices(objects: readonly ObjectStatus[], sinks: readonly Sink[]): string[] {
  return objects.flatMap((each) => {
    const joined = sinks.find((sink) => sink.name === each.object)?.shownWith;
    const hidden = each.hidden_from_dashboards ?? 0;
    if (!joined || hidden === 0) return [];
    const [has, them] = hidden === 1 ? ['has', 'it'] : ['have', 'them'];
    return [`${each.object}: ${counted(hidden, 'key')} in ClickHouse ${has} no ${joined.table} row with the same ${joined.column}: dashboards join the two and do not show ${them}`];
  });
}

/**
 * Objects whose every row was last compared over a week ago (a dump with --full-compare-every 0):
 * writes that bypass the LMS's change records (QuerySet.update(), bulk imports) are found only then.
 */
function fullCompareNotices(objects: readonly ObjectStatus[], nowMs: number): string[] {
  return objects.flatMap((each) => {
    const days = each.last_full_compare ? (nowMs - Date.parse(each.last_full_compare)) / 86_400_000 : 0;
    if (days < DEFAULT_FULL_COMPARE_DAYS) return [];
    return [`${each.object}: the last full compare was ${days.toFixed(0)} days ago; changes that bypass ${each.change_signal ?? 'its change signal'} `
      + `are found only by one: aspects dump --object ${each.object} --full-compare`];
  });
}

/** Every object's status, what they are read with (retired learners, the GTID position) read once for all of them. */
async function readStatus(db: LmsDatabase, target: ClickHouseTarget, database: string, sinks: readonly Sink[], settings: Settings): Promise<ObjectStatus[]> {
  let position: Promise<string> | undefined;
  const reads = {
    retired: await retiredLearners(db, sinks),
    // Courses whose outline was stored after their last dump are re-dumped (the modulestore is current with the overview).
    childTimes: settings.modulestore ? undefined : learningSequencesSource(db).storedAt,
    binlogPosition: () => (position ??= currentBinlogPosition(db)),
  };
  const objects: ObjectStatus[] = [];
  for (const sink of sinks) objects.push(await objectStatus(db, target, database, sink, reads));
  return objects;
}

async function statusAction(flags: StatusFlags, context: CommandContext): Promise<void> {
  const settings = resolveSettings(flags, context.env);
  const { sinks, skipped, notes } = planStatus(flags.object, settings);
  if (!settings.mysql) throw new UsageError('status compares with the LMS database: pass --mysql-url or set ASPECTS_MYSQL_URL');
  const target = await connectClickHouse(settings.clickhouse);
  if (target.routing) writeLine(context.streams.stderr, target.routing);
  let db: LmsDatabase | undefined;
  let objects: ObjectStatus[];
  try {
    db = await connectLmsDatabase(settings.mysql);
    await setUpClock({ lms: db, clickhouse: target, database: settings.clickhouse.database, tables: [],
      notice: (text) => writeLine(context.streams.stderr, text) });
    objects = await readStatus(db, target, settings.clickhouse.database, sinks, settings);
  } finally {
    await db?.close().catch(() => undefined);
    await target.close().catch(() => undefined);
  }
  const retiredLeft = retiredNotices(objects);
  const notices = [...skipped.map((each) => `not checking ${each.object}: ${each.reason}`), ...notes, ...retiredLeft, ...deletedNotices(objects), ...hiddenNotices(objects, sinks), ...fullCompareNotices(objects, Date.now())];
  for (const line of notices) writeLine(context.streams.stderr, line);
  const stale = objects.filter((each) => each.stale);
  const document = { command: 'status', stale: stale.length > 0, retire_pending: retiredLeft.length > 0, objects, skipped };
  writeLine(context.streams.stdout, flags.json ? JSON.stringify(document) : statusTable(objects));
  if (flags.failOnStale && stale.length > 0) {
    throw new Drift(`ClickHouse is behind the LMS for ${stale.map((each) => each.object).join(', ')}`);
  }
}

/** `aspects status`: how far ClickHouse is behind the LMS, per object. */
export function statusCommand(context: CommandContext): Command {
  const command = new Command('status')
    .description('compare MySQL and ClickHouse per object: keys, keys missing, courses to re-dump, newest dump')
    .option('--object <name...>', `objects to check: ${OBJECT_NAMES.join(', ')}, or all (default: what dump --object all dumps, so PII objects only with ASPECTS_ENABLE_PII, and not those switched off)`, collectNames)
    .option('--json', 'print one JSON document')
    .option('--fail-on-stale', 'exit 3 when any key is missing or any course would be re-dumped (cron alerts, CI); retired learners\' rows are not counted')
    .addHelpText('after', `
Content changes of user objects are not compared here (a dump finds them); keys are.
Rows of learners the LMS retired are left out by the dump, so they are counted apart (retired), not as
missing; those still in ClickHouse are named on stderr (run aspects retire --pending). Keys ClickHouse
holds that the LMS deleted are counted (deleted), not stale: aspects dump --prune removes them.
Objects whose changes the LMS records (course_enrollment, external_id) show the signal and when the
last full compare ran (a dump makes one by itself every --full-compare-every days); one older than a
week is named on stderr.

Examples:
  $ aspects status
  $ aspects status --object course_overviews --fail-on-stale --json`)
    .action((flags: StatusFlags) => statusAction(flags, context));
  return addConnectionOptions(command);
}
