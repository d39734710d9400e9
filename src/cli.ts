import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { redact } from './config/secrets.js';
import { dumpCommand } from './commands/dump.js';
import { retireCommand } from './commands/retire.js';
import { schemaCommand } from './commands/schema.js';
import { statusCommand } from './commands/status.js';
import { queryCommand } from './commands/query.js';
import { loadTestCommand } from './commands/load-test.js';
import { monitorCommand } from './commands/monitor.js';
import { supersetCommand } from './commands/superset.js';
import type { CommandContext } from './commands/context.js';
import { AspectsError, EXIT_CODES, messageOf } from './errors.js';
import { writeLine } from './output/streams.js';

/** The plugin's snake_case flags, accepted as aliases of ours. */
const FLAG_ALIASES: Readonly<Record<string, string>> = Object.freeze({
  '--batch_size': '--batch-size',
  '--sleep_time': '--sleep-time',
  '--start_pk': '--start-pk',
  '--ids_to_skip': '--skip-ids',
  '--dry_run': '--dry-run',
});

/** Rewrites `--batch_size 5` and `--batch_size=5` to our spelling before commander sees them. */
export function normaliseAliases(args: readonly string[]): string[] {
  return args.map((arg) => {
    const [flag = '', ...rest] = arg.split('=');
    const alias = FLAG_ALIASES[flag];
    return alias === undefined ? arg : [alias, ...rest].join('=');
  });
}

const ROOT_HELP = `
Examples:
  $ aspects dump --object course_enrollment --mysql-url mysql://reader:pw@127.0.0.1:3306/edxapp
  $ ASPECTS_ENABLE_PII=true aspects dump --object all --config /openedx/config/lms.yml
  $ aspects retire --pending --config /openedx/config/lms.yml
  $ aspects dump --help

Exit codes:
  ${EXIT_CODES.success}    success
  ${EXIT_CODES.runtime}    runtime failure (dump: the message names the --start-pk to resume from; retire: rows remain;
       superset check: a dashboard cannot be embedded)
  ${EXIT_CODES.usage}    usage or configuration error; nothing was written
  ${EXIT_CODES.stale}    schema status: the schema drifts; status --fail-on-stale: ClickHouse is behind the LMS
  ${EXIT_CODES.locked}   another run holds the lock (a dump of the same object); nothing was written
  ${EXIT_CODES.interrupted}  interrupted by SIGINT/SIGTERM after the current batch finished (a second signal: the write under way)`;

function packageVersion(): string {
  const manifest = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
  return (JSON.parse(manifest) as { version: string }).version;
}

/** The commander program with every command registered. */
export function buildProgram(context: CommandContext): Command {
  const program = new Command('aspects')
    .description('Copy Open edX LMS data from MySQL into ClickHouse for Aspects')
    .version(packageVersion())
    .showHelpAfterError('(run with --help for usage)')
    .enablePositionalOptions()
    .addHelpText('after', ROOT_HELP)
    .configureOutput({
      writeOut: (text) => context.streams.stdout.write(text),
      writeErr: (text) => context.streams.stderr.write(redact(text)),
    });
  program.addCommand(dumpCommand(context));
  program.addCommand(retireCommand(context));
  program.addCommand(schemaCommand(context));
  program.addCommand(statusCommand(context));
  program.addCommand(queryCommand(context));
  program.addCommand(loadTestCommand(context));
  program.addCommand(monitorCommand(context));
  program.addCommand(supersetCommand(context));
  const overrideExits = (command: Command): void => {
    command.exitOverride();
    command.commands.forEach(overrideExits);
  };
  overrideExits(program);
  return program;
}

function exitCodeOf(error: unknown, context: CommandContext): number {
  if (error instanceof CommanderError) {
    // commander already printed its one-line message; help and version are successes.
    return error.exitCode === 0 ? EXIT_CODES.success : EXIT_CODES.usage;
  }
  const exitCode = error instanceof AspectsError ? error.exitCode : EXIT_CODES.runtime;
  writeLine(context.streams.stderr, `aspects: ${messageOf(error).split('\n')[0]}`);
  return exitCode;
}

/** Runs one command line (without `node` and the script) and returns the exit code. */
export async function runCli(args: readonly string[], context: CommandContext): Promise<number> {
  try {
    await buildProgram(context).parseAsync(normaliseAliases(args), { from: 'user' });
    return EXIT_CODES.success;
  } catch (error) {
    return exitCodeOf(error, context);
  }
}
