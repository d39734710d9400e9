import { Command, CommanderError } from 'commander';
import { redact } from './config/secrets.js';
import { versionText } from './version.js';
import { unknownEnvironmentSettings } from './config/setting-names.js';
import { dumpCommand } from './commands/dump.js';
import { followCommand } from './commands/follow.js';
import { retireCommand } from './commands/retire.js';
import { schemaCommand } from './commands/schema.js';
import { statusCommand } from './commands/status.js';
import { queryCommand } from './commands/query.js';
import { loadTestCommand } from './commands/load-test.js';
import { monitorCommand } from './commands/monitor.js';
import { supersetCommand } from './commands/superset.js';
import { completionCommand } from './commands/completion.js';
import type { CommandContext } from './commands/context.js';
import { AspectsError, EXIT_CODES, messageOf } from './errors.js';
import { timestamp, writeLine, type OutputStreams } from './output/streams.js';

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
  $ aspects dump --object course_enrollment --mysql-url mysql://reader:<password>@127.0.0.1:3306/edxapp
  $ ASPECTS_ENABLE_PII=true aspects dump --object all --config /openedx/config/lms.yml
  $ aspects retire --pending --config /openedx/config/lms.yml
  $ aspects dump --help

Exit codes:
  ${EXIT_CODES.success}    success
  ${EXIT_CODES.runtime}    runtime failure (dump: the message names the --start-pk to resume from; retire: rows remain;
       superset check: a dashboard cannot be embedded)
  ${EXIT_CODES.usage}    usage or configuration error; nothing was written (dump: an object whose LMS table or column
       is missing was left out, the others were dumped)
  ${EXIT_CODES.stale}    schema status: the schema drifts; status --fail-on-stale: ClickHouse is behind the LMS
  ${EXIT_CODES.rowsLeftOut}   dump: everything was written but the rows no rule can write, each named (left_out in the JSON)
  ${EXIT_CODES.locked}   another run holds the lock (a dump of the same object); nothing was written
  ${EXIT_CODES.interrupted}  interrupted by SIGINT/SIGTERM after the current batch finished (a second signal: the write under way)`;

/** The commander program with every command registered. */
export function buildProgram(context: CommandContext, jsonLogs = false): Command {
  const program = new Command('aspects')
    .description('Copy Open edX LMS data from MySQL into ClickHouse for Aspects')
    .version(versionText(), '-V, --version', 'print the version, the build, the Node.js version and whether the embedded engine is installed')
    .showHelpAfterError('(run with --help for usage)')
    .enablePositionalOptions()
    .addHelpText('after', ROOT_HELP);
  program.addCommand(dumpCommand(context));
  program.addCommand(followCommand(context));
  program.addCommand(retireCommand(context));
  program.addCommand(schemaCommand(context));
  program.addCommand(statusCommand(context));
  program.addCommand(queryCommand(context));
  program.addCommand(loadTestCommand(context));
  program.addCommand(monitorCommand(context));
  program.addCommand(supersetCommand(context));
  program.addCommand(completionCommand(context));
  const output = {
    writeOut: (text: string) => context.streams.stdout.write(redact(text)),
    writeErr: (text: string) => context.streams.stderr.write(redact(text)),
    // commander's own `error: …` lines read like every other failure: `aspects: …`.
    outputError: (text: string, write: (text: string) => void) => write(`${errorLine(EXIT_CODES.usage, withoutCommanderPrefix(text.trim()), jsonLogs)}\n`),
  };
  const configure = (command: Command): void => {
    command.exitOverride().configureOutput(output);
    command.commands.forEach(configure);
  };
  configure(program);
  return program;
}

/** A commander message without its `error: ` (our lines start `aspects: `). */
const withoutCommanderPrefix = (text: string): string => text.replace(/^error: /, '');

/** The one line a failure is reported with (commander's own errors included). */
function failureMessage(error: unknown): string {
  const message = messageOf(error).split('\n')[0] ?? '';
  return error instanceof CommanderError ? withoutCommanderPrefix(message) : message;
}

/** A failure as stderr shows it: `aspects: …`, or with --log-format json an `error` event. */
function errorLine(exitCode: number, message: string, jsonLogs: boolean): string {
  return jsonLogs ? JSON.stringify({ time: timestamp(), level: 'error', event: 'error', exit_code: exitCode, message }) : `aspects: ${message}`;
}

/** A warning as stderr shows it: `aspects: warning: …`, or with --log-format json a `warning` event. */
function warningLine(message: string, jsonLogs: boolean): string {
  return jsonLogs ? JSON.stringify({ time: timestamp(), level: 'warning', event: 'warning', message }) : `aspects: warning: ${message}`;
}

function exitCodeOf(error: unknown, context: CommandContext, jsonLogs: boolean): number {
  if (error instanceof CommanderError) {
    // commander already printed its one-line message; help and version are successes.
    return error.exitCode === 0 ? EXIT_CODES.success : EXIT_CODES.usage;
  }
  const exitCode = error instanceof AspectsError ? error.exitCode : EXIT_CODES.runtime;
  writeLine(context.streams.stderr, errorLine(exitCode, failureMessage(error), jsonLogs));
  return exitCode;
}

/** Whether stderr lines are to be JSON (`--log-format json`). */
function wantsJsonLogs(args: readonly string[]): boolean {
  const at = args.indexOf('--log-format');
  return args.includes('--log-format=json') || (at >= 0 && args[at + 1] === 'json');
}

/** Commands that hold subcommands: their name is part of the command's. */
const GROUPS = new Set(['schema', 'load-test', 'superset']);

/** The command a command line runs (`dump`, `schema status`), as far as its words say. */
function commandOf(args: readonly string[]): string {
  const [first, second] = args.filter((arg) => !arg.startsWith('-'));
  return first !== undefined && second !== undefined && GROUPS.has(first) ? `${first} ${second}` : first ?? '';
}

/** Whether `--json` was asked for (before any `--`). */
function wantsJson(args: readonly string[]): boolean {
  const end = args.indexOf('--');
  return (end < 0 ? args : args.slice(0, end)).includes('--json');
}

/** stdout, noting whether anything was written to it (a command's own JSON document). */
function trackedStdout(stdout: OutputStreams['stdout']): { stream: OutputStreams['stdout']; used: () => boolean } {
  let used = false;
  const write = (...args: unknown[]): boolean => {
    used = true;
    return (stdout.write as (...rest: unknown[]) => boolean)(...args);
  };
  // Everything but write is the real stream's own, called on it.
  const stream = new Proxy(stdout, {
    get: (target, property) => {
      if (property === 'write') return write;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { stream, used: () => used };
}

/** Runs one command line (without `node` and the script) and returns the exit code. */
export async function runCli(args: readonly string[], context: CommandContext): Promise<number> {
  const stdout = trackedStdout(context.streams.stdout);
  const tracked: CommandContext = { ...context, streams: { ...context.streams, stdout: stdout.stream } };
  const jsonLogs = wantsJsonLogs(args);
  for (const warning of unknownEnvironmentSettings(context.env)) writeLine(context.streams.stderr, warningLine(warning, jsonLogs));
  try {
    await buildProgram(tracked, jsonLogs).parseAsync(normaliseAliases(args), { from: 'user' });
    return EXIT_CODES.success;
  } catch (error) {
    const exitCode = exitCodeOf(error, tracked, jsonLogs);
    // `--json` always gets a document, also when the command failed before printing its own.
    if (exitCode !== EXIT_CODES.success && wantsJson(args) && !stdout.used()) {
      writeLine(context.streams.stdout, JSON.stringify({ command: commandOf(args), status: 'error', exit_code: exitCode, error: failureMessage(error) }));
    }
    return exitCode;
  }
}
