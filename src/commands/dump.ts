import { Command, Option } from 'commander';
import { resolveSettings, type ConnectionFlags } from '../config/settings.js';
import { UsageError } from '../errors.js';
import { chooseReporter } from '../output/tty-reporter.js';
import { executeDump } from '../pipeline/execute-dump.js';
import { planObjects } from '../pipeline/plan.js';
import type { DumpRequest } from '../pipeline/request.js';
import { DEFAULT_FULL_COMPARE_DAYS, DEFAULT_LOOKBACK_MINUTES } from '../pipeline/change-plan.js';
import { DEFAULT_RETRY_POLICY } from '../pipeline/retry.js';
import { OBJECT_NAMES, SINKS } from '../sinks/index.js';
import type { CommandContext } from './context.js';
import { addConnectionOptions } from './connection-options.js';
import {
  collectKeys, collectNames, isoDate, nonNegativeInteger, nonNegativeAmount, nonNegativeSeconds, positiveInteger,
} from './parse.js';

/** commander's parsed `dump` options. */
interface DumpFlags extends ConnectionFlags {
  object?: string[];
  batchSize: number;
  sleepTime: number;
  concurrency: number;
  insertRows: number;
  insertMb: number;
  force?: boolean;
  ids?: string[];
  courseKeys?: string[];
  skipIds?: string[];
  startPk?: string;
  org?: string[];
  publishedSince?: string;
  verbose?: boolean;
  limit?: number;
  dryRun?: boolean;
  prune?: boolean;
  allowMassDelete?: boolean;
  json?: boolean;
  quiet?: boolean;
  logFormat?: 'text' | 'json';
  retries?: number;
  retryFor: number;
  waitLock?: number | true;
  fullCompare?: boolean;
  fullCompareEvery: number;
  lookback: number;
}

/** Lanes by default: on two cores, reading one key range while the next is written keeps MySQL, Node and ClickHouse busy. */
const DEFAULT_CONCURRENCY = 2;

const EXAMPLES = `
Objects:
${SINKS.map((sink) => `  ${sink.name.padEnd(18)} ${sink.description}`).join('\n')}

Examples:
  $ ASPECTS_ENABLE_PII=true aspects dump --object user_profile --force
  $ aspects dump --object all --batch-size 5000 --sleep-time 0.5
  $ aspects dump --object course_enrollment --limit 1500 --json
  $ aspects dump --object user_profile --start-pk 120000      # resume after a failure
  $ aspects dump --object external_id --ids 12 13 14 --dry-run
  $ aspects dump --object all --wait-lock=600 --retry-for 300   # cron: wait for a manual run, ride out restarts

One dump of an object at a time: a second one exits 75 naming the holder (host, pid, since).
A failed run says how many rows of its last batch are in ClickHouse and how to resume.

The plugin's spellings work too: --batch_size, --sleep_time, --start_pk, --ids_to_skip, --dry_run.

Environment:
  ASPECTS_ENABLE_PII=true   allow the PII objects (user_profile, external_id); without it, all skips them
  NO_COLOR                  progress bars without colours
  ASPECTS_MYSQL_TIMEOUT=10  seconds MySQL may stay silent (connect, a statement, a table lock) before a retry
  ASPECTS_MYSQL_URL, ASPECTS_CLICKHOUSE_URL, … as the options above say; ASPECTS_CONFIG for --config

Exit codes:
  0    success
  1    runtime failure: the line says what of the last insert landed and how to resume
  2    usage or configuration error; nothing was written (an LMS table missing: the other objects were)
  65   every row was written but those no rule can write, each named
  75   another dump holds an object's lock (the line names it); nothing was written
  130  interrupted by SIGINT/SIGTERM; the line names the resume point`;

function toRequest(flags: DumpFlags): DumpRequest {
  return {
    objects: flags.object ?? [],
    batchSize: flags.batchSize,
    sleepSeconds: flags.sleepTime,
    concurrency: flags.concurrency,
    insertRows: flags.insertRows,
    insertBytes: flags.insertMb * 1024 * 1024,
    force: flags.force === true,
    dryRun: flags.dryRun === true,
    prune: flags.prune === true,
    allowMassDelete: flags.allowMassDelete === true,
    limit: flags.limit,
    explain: flags.verbose === true,
    filter: {
      startPk: flags.startPk,
      ids: flags.ids || flags.courseKeys ? [...(flags.ids ?? []), ...(flags.courseKeys ?? [])] : undefined,
      skipIds: flags.skipIds,
      orgs: flags.org,
      publishedSince: flags.publishedSince,
    },
    retry: { ...DEFAULT_RETRY_POLICY, budgetMs: flags.retryFor * 1000, ...(flags.retries === undefined ? {} : { retries: flags.retries }) },
    waitLock: flags.waitLock === true ? 'forever' : flags.waitLock ?? 0,
    changes: { fullCompare: flags.fullCompare === true, fullCompareDays: flags.fullCompareEvery, lookbackMinutes: flags.lookback },
  };
}

/** --prune compares every key of an object: a selection of rows would make the others look deleted. */
function checkPrune(flags: DumpFlags): void {
  if (flags.allowMassDelete && !flags.prune) throw new UsageError('--allow-mass-delete only applies with --prune');
  if (!flags.prune) return;
  const selecting: [string, unknown][] = [['--ids', flags.ids], ['--course-keys', flags.courseKeys], ['--skip-ids', flags.skipIds], ['--start-pk', flags.startPk],
    ['--org', flags.org], ['--published-since', flags.publishedSince], ['--limit', flags.limit]];
  const selected = selecting.find(([, value]) => value !== undefined);
  if (selected) throw new UsageError(`--prune compares every key of an object with the LMS; it cannot be combined with ${selected[0]}`);
}

/** Selectors that select nothing, or keys of one object given for several: usage errors. */
function checkSelectors(flags: DumpFlags): void {
  checkPrune(flags);
  if (flags.quiet && flags.verbose) throw new UsageError('--quiet leaves out the lines --verbose asks for; choose one');
  const given: [string, string[] | undefined][] = [['--ids', flags.ids], ['--course-keys', flags.courseKeys], ['--skip-ids', flags.skipIds], ['--org', flags.org]];
  const empty = given.find(([, values]) => values?.length === 0);
  if (empty) throw new UsageError(`${empty[0]} names nothing; give at least one value, or leave the option out`);
  const objects = flags.object ?? [];
  const keyed = flags.ids ? '--ids' : flags.startPk !== undefined ? '--start-pk' : undefined;
  if (keyed && (objects.length !== 1 || objects[0] === 'all')) {
    throw new UsageError(`${keyed} takes primary keys of one object; name exactly one with --object (not all)`);
  }
}

async function dumpAction(flags: DumpFlags, context: CommandContext): Promise<void> {
  checkSelectors(flags);
  const settings = resolveSettings(flags, context.env);
  const request = toRequest(flags);
  const plan = planObjects(request.objects, settings);
  const reporter = chooseReporter(context.streams, { json: flags.json === true, logFormat: flags.logFormat, quiet: flags.quiet, dryRun: request.dryRun });
  const { summary, error } = await executeDump(settings, plan, request, reporter, { graceful: context.signal, hard: context.hardStop });
  reporter.finished(summary);
  if (error) throw error;
}

/** `aspects dump`: copy LMS objects into ClickHouse. */
export function dumpCommand(context: CommandContext): Command {
  const command = new Command('dump')
    .description('copy LMS objects from MySQL into ClickHouse, only what is out of date unless --force')
    .addOption(new Option('--object <name...>', `object to dump, repeatable: ${OBJECT_NAMES.join(', ')} or all`).argParser(collectNames))
    .option('--batch-size <rows>', 'rows per MySQL read (alias --batch_size); an insert takes many reads, see --insert-rows', positiveInteger, 10000)
    .option('--sleep-time <seconds>', 'pause between two reads of a lane, fractions allowed (alias --sleep_time)', nonNegativeSeconds, 1)
    .option('--concurrency <n>', 'key ranges read side by side, each pausing --sleep-time between its reads; rows are still written in key order', positiveInteger, DEFAULT_CONCURRENCY)
    .option('--insert-rows <rows>', 'an insert ends after this many rows (fewer, larger inserts make fewer parts)', positiveInteger, 1_000_000)
    .option('--insert-mb <megabytes>', '... or after this many megabytes of CSV', positiveInteger, 256)
    .option('--force', 'write every selected row, whatever ClickHouse already holds')
    .option('--ids <pk...>', 'only these primary keys (space- or comma-separated; course keys for course_overviews)', collectKeys)
    .option('--course-keys <key...>', 'only these courses (course_overviews; same as --ids)', collectKeys)
    .option('--skip-ids <pk...>', 'never these primary keys (alias --ids_to_skip)', collectKeys)
    .option('--start-pk <pk>', 'only primary keys greater than this; resumes a stopped run (alias --start_pk)')
    .option('--org <org...>', 'only courses of these organisations, repeatable (course_overviews)', collectKeys)
    .option('--published-since <date>', 'only courses published (modified) at or after this ISO date (course_overviews)', isoDate)
    .option('--full-compare', 'compare every row with ClickHouse, even where the LMS records which rows changed (catches writes that bypass it)')
    .option('--full-compare-every <days>', 'do that by itself when the last full compare is this old (0: only when asked)', nonNegativeAmount('days', 3650), DEFAULT_FULL_COMPARE_DAYS)
    .option('--lookback <minutes>', 'read again the changes recorded this long before the last complete run began (transactions still open then, LMS clocks behind)', nonNegativeAmount('minutes', 525600), DEFAULT_LOOKBACK_MINUTES)
    .option('--limit <rows>', 'write exactly this many rows per object at most', positiveInteger)
    .option('--dry-run', 'read and compare everything, write nothing, report what would be written (alias --dry_run)')
    .option('--prune', 'before each object is dumped, remove from ClickHouse the rows of keys the LMS no longer has (deleted there; verified gone); with --dry-run, count them')
    .option('--allow-mass-delete', 'with --prune: remove them even when the LMS lacks most of an object\'s keys (refused by default: the wrong database?)')
    .option('--json', 'print one JSON summary on stdout at the end')
    .option('--quiet', 'no progress bars or batch lines on stderr; notices, retries, errors and the summary still show')
    .addOption(new Option('--log-format <format>', 'stderr lines as text, or one JSON object per line (time, event, …)').choices(['text', 'json']).default('text'))
    .option('--verbose', 'list every row\'s dump or skip decision with its reason (--dry-run alone lists the rows it would write)')
    .option('--modulestore-url <url>', 'read course_blocks from the split modulestore in MongoDB, mongodb://…/openedx (env ASPECTS_MODULESTORE_URL; default: MySQL learning_sequences)')
    .option('--modulestore-collection <prefix>', 'modulestore collection prefix (env ASPECTS_MODULESTORE_COLLECTION; default modulestore)')
    .option('--retry-for <seconds>', 'keep retrying a failed connection, read or insert for this long (a server restart)', nonNegativeSeconds, DEFAULT_RETRY_POLICY.budgetMs / 1000)
    .option('--retries <n>', 'at most this many retries of one operation (default: as many as --retry-for allows)', nonNegativeInteger)
    .option('--wait-lock [seconds]', 'wait for another dump of the same objects to finish (for ever, or this long) instead of exiting 75', nonNegativeSeconds)
    .addHelpText('after', EXAMPLES)
    .action((flags: DumpFlags) => dumpAction(flags, context));
  return addConnectionOptions(command);
}
