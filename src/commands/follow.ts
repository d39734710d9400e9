import { Command, Option } from 'commander';
import { resolveSettings, type ConnectionFlags } from '../config/settings.js';
import { UsageError } from '../errors.js';
import { followable } from '../follow/routes.js';
import { followSeam } from '../follow/run-follow.js';
import { chooseReporter } from '../output/tty-reporter.js';
import { DEFAULT_FULL_COMPARE_DAYS, DEFAULT_LOOKBACK_MINUTES } from '../pipeline/change-plan.js';
import { executeDump } from '../pipeline/execute-dump.js';
import { planObjects, type ObjectPlan } from '../pipeline/plan.js';
import type { DumpRequest } from '../pipeline/request.js';
import { DEFAULT_RETRY_POLICY } from '../pipeline/retry.js';
import { SINKS } from '../sinks/index.js';
import type { CommandContext } from './context.js';
import { addConnectionOptions } from './connection-options.js';
import { collectNames, nonNegativeSeconds, positiveInteger } from './parse.js';

interface FollowFlags extends ConnectionFlags {
  object?: string[];
  snapshot?: boolean;
  flushMs: number;
  maxKeys: number;
  serverId: number;
  retryFor: number;
  waitLock: number;
  json?: boolean;
  logFormat: 'text' | 'json';
}

const FOLLOWABLE = SINKS.filter(followable).map((sink) => sink.name);

const EXAMPLES = `
Needs the LMS binlog: log_bin ON, binlog_format ROW, binlog_row_image FULL, binlog_row_metadata
FULL, and a MySQL user with REPLICATION SLAVE and BINLOG MONITOR (MariaDB) or REPLICATION CLIENT
(MySQL); it refuses with one line naming what to change. The checkpoint (a GTID position) is kept
in ClickHouse (aspects_run_marks), so a restart anywhere goes on from it.

Examples:
  $ ASPECTS_ENABLE_PII=true aspects follow --object course_enrollment external_id user_profile
  $ aspects follow --object course_enrollment --snapshot     # a new snapshot, e.g. after the binlog was purged

Exit codes: 0 stopped by SIGINT/SIGTERM after the batch under way was written and checkpointed;
  1 a failure (the message says from where the next start goes on); 2 bad usage or a server follow
  cannot read; 75 another dump or follow holds an object's lock`;

/** The objects to follow: named ones (all: every one follow can keep current), each one follow can keep current from row changes. */
function followPlan(names: readonly string[], settings: Parameters<typeof planObjects>[1]): ObjectPlan {
  const plan = planObjects(names.includes('all') ? FOLLOWABLE : names, settings);
  const other = plan.sinks.find((sink) => !FOLLOWABLE.includes(sink.name));
  if (other) throw new UsageError(`follow keeps ${FOLLOWABLE.join(', ')} current from the binlog; ${other.name} is kept current by aspects dump (cron)`);
  return plan;
}

function toRequest(flags: FollowFlags): DumpRequest {
  return {
    objects: flags.object ?? [], batchSize: 10_000, sleepSeconds: 0, concurrency: 1, insertRows: 1_000_000, insertBytes: 64 * 1024 * 1024,
    force: false, dryRun: false, prune: false, allowMassDelete: false, explain: false, limit: undefined, filter: {},
    retry: { ...DEFAULT_RETRY_POLICY, budgetMs: flags.retryFor * 1000 }, waitLock: flags.waitLock,
    // The snapshot compares every row: changes made while no binlog was read may have bypassed the LMS's change records.
    changes: { fullCompare: true, fullCompareDays: DEFAULT_FULL_COMPARE_DAYS, lookbackMinutes: DEFAULT_LOOKBACK_MINUTES },
  };
}

async function followAction(flags: FollowFlags, context: CommandContext): Promise<void> {
  if (!flags.object?.length) throw new UsageError(`choose what to follow with --object (${FOLLOWABLE.join(', ')} or all)`);
  const settings = resolveSettings(flags, context.env);
  if (!settings.mysql) throw new UsageError('no LMS database configured: pass --mysql-url or set ASPECTS_MYSQL_URL');
  const plan = followPlan(flags.object, settings);
  const reporter = chooseReporter(context.streams, { json: flags.json === true, logFormat: flags.logFormat, quiet: true, dryRun: false });
  const stop = { graceful: context.signal, hard: context.hardStop };
  const options = { flushMs: flags.flushMs, maxKeys: flags.maxKeys, serverId: flags.serverId, snapshot: flags.snapshot === true, retryForMs: flags.retryFor * 1000 };
  const seam = followSeam(settings.mysql, options, stop, (line) => reporter.notice(line));
  const { summary, error } = await executeDump(settings, plan, toRequest(flags), reporter, stop, seam);
  reporter.finished(summary);
  if (error) throw error;
}

/** `aspects follow`: keep ClickHouse current from the LMS binlog. */
export function followCommand(context: CommandContext): Command {
  const command = new Command('follow')
    .description('keep objects current from the LMS binlog: a snapshot when needed, then every committed change, in batches, exactly once')
    .addOption(new Option('--object <name...>', `objects to follow: ${FOLLOWABLE.join(', ')} or all`).argParser(collectNames))
    .option('--snapshot', 'dump the objects first even when a checkpoint exists (needed once the binlog after it was purged)')
    .option('--flush-ms <ms>', 'write a batch at most this long after its first change', positiveInteger, 1000)
    .option('--max-keys <n>', '... or once it names this many keys', positiveInteger, 10_000)
    .option('--server-id <id>', 'replica id to read the binlog as (unique among the server\'s replicas)', positiveInteger, 7351)
    .option('--retry-for <seconds>', 'keep retrying a failed read or insert for this long', nonNegativeSeconds, DEFAULT_RETRY_POLICY.budgetMs / 1000)
    .option('--wait-lock <seconds>', 'wait this long for a dump (or a follow still shutting down, or killed a moment ago) to free the objects\' locks', nonNegativeSeconds, 300)
    .option('--json', 'print one JSON summary on stdout when it stops')
    .addOption(new Option('--log-format <format>', 'stderr lines as text, or one JSON object per line').choices(['text', 'json']).default('text'))
    .addHelpText('after', EXAMPLES)
    .action((flags: FollowFlags) => followAction(flags, context));
  return addConnectionOptions(command);
}
