import { Command } from 'commander';
import { resolveSettings, type ConnectionFlags } from '../config/settings.js';
import { UsageError } from '../errors.js';
import { retryLine } from '../output/reporter.js';
import { retireText } from '../output/retire-summary.js';
import { writeLine } from '../output/streams.js';
import { parseUserIds } from '../retire/select.js';
import { executeRetire, type RetireRequest } from '../retire/run-retire.js';
import type { CommandContext } from './context.js';
import { addConnectionOptions } from './connection-options.js';
import { collectKeys, nonNegativeSeconds } from './parse.js';
import { DEFAULT_RETRY_POLICY, connectRetryReason, type RetryListener } from '../pipeline/retry.js';

/** commander's parsed `retire` options. */
interface RetireFlags extends ConnectionFlags {
  userIds?: string[];
  usernames?: string[];
  pending?: boolean;
  dryRun?: boolean;
  json?: boolean;
  wait: number;
  waitLock: number | true;
  allowMassDelete?: boolean;
  retryFor: number;
}

const EXAMPLES = `
Tables: EVENT_SINK_CLICKHOUSE_PII_MODELS from the config file (default user_profile, external_id);
a listed table that does not exist is skipped with a warning.

Examples:
  $ aspects retire --pending                     # everyone the LMS retired or deleted whose rows are still here
  $ aspects retire --user-ids 22 246 91 --dry-run
  $ aspects retire --usernames jdoe --json`;

function toRequest(flags: RetireFlags): RetireRequest {
  const selection = { userIds: parseUserIds(flags.userIds ?? []), usernames: flags.usernames ?? [], pending: flags.pending === true };
  if (selection.userIds.length === 0 && selection.usernames.length === 0 && !selection.pending) {
    throw new UsageError('choose whom to retire with --user-ids, --usernames or --pending (never everyone)');
  }
  if (flags.allowMassDelete && !selection.pending) throw new UsageError('--allow-mass-delete only applies with --pending');
  return {
    selection, dryRun: flags.dryRun === true, waitSeconds: flags.wait,
    waitLock: flags.waitLock === true ? 'forever' : flags.waitLock, retry: { ...DEFAULT_RETRY_POLICY, budgetMs: flags.retryFor * 1000 },
    allowMassDelete: flags.allowMassDelete === true,
  };
}

async function retireAction(flags: RetireFlags, context: CommandContext): Promise<void> {
  const request = toRequest(flags);
  const onRetry: RetryListener = (attempt, delayMs, error) =>
    writeLine(context.streams.stderr, `aspects: ${retryLine('connect', attempt, delayMs, connectRetryReason(error, attempt, request.retry))}`);
  const { summary, error } = await executeRetire(resolveSettings(flags, context.env), { ...request, onRetry });
  for (const warning of summary.warnings) writeLine(context.streams.stderr, `aspects: warning: ${warning}`);
  writeLine(context.streams.stdout, flags.json ? JSON.stringify(summary) : retireText(summary));
  if (error) throw error;
}

/** `aspects retire`: delete retired learners' rows from the ClickHouse PII tables, verified. */
export function retireCommand(context: CommandContext): Command {
  const command = new Command('retire')
    .description('delete retired learners\' personal data from the ClickHouse PII tables and verify it is gone')
    .option('--user-ids <id...>', 'these user ids (auth_user.id; space- or comma-separated)', collectKeys)
    .option('--usernames <name...>', 'these users, by current or original (pre-retirement) username', collectKeys)
    .option('--pending', 'every user the LMS has retired, or no longer has at all (auth_user row deleted), whose rows are still in ClickHouse')
    .option('--allow-mass-delete', 'with --pending: go on even when the LMS lacks most of the learners ClickHouse holds (refused by default: the wrong database?)')
    .option('--dry-run', 'count the rows that would be deleted per table, delete nothing')
    .option('--json', 'print one JSON summary on stdout')
    .option('--wait <seconds>', 'how long to wait for an ALTER TABLE … DELETE mutation to finish (on a cluster: to be applied on every server)', nonNegativeSeconds, 600)
    .option('--retry-for <seconds>', 'keep retrying a connection that fails for this long (a server restart)', nonNegativeSeconds, DEFAULT_RETRY_POLICY.budgetMs / 1000)
    .option('--wait-lock [seconds]', 'how long to wait for a dump\'s write of a PII table to finish (bare: for ever); exit 75 after', nonNegativeSeconds, 600)
    .addHelpText('after', EXAMPLES)
    .action((flags: RetireFlags) => retireAction(flags, context));
  return addConnectionOptions(command);
}
