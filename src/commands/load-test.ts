import { writeFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { connectClickHouse } from '../clickhouse/open.js';
import { resolveSettings, type ConnectionFlags } from '../config/settings.js';
import { Interrupted, UsageError } from '../errors.js';
import { loadTestReport, type RunReport } from '../loadtest/report.js';
import { runLoadTest } from '../loadtest/run-load-test.js';
import { reportHtml } from '../output/report-html.js';
import { writeLine } from '../output/streams.js';
import { textTable } from '../output/table.js';
import type { CommandContext } from './context.js';
import { addConnectionOptions } from './connection-options.js';
import { collectKeys, nonNegativeSeconds, positiveInteger } from './parse.js';

interface LoadTestFlags extends ConnectionFlags {
  target: string;
  numUsers: number;
  usernamePrefix: string;
  numEvents: number;
  runUntilKilled?: boolean;
  sleepTime: number;
  tags?: string[];
  courseId?: string;
  lmsUrl: string;
  yes?: boolean;
  json?: boolean;
}

interface ReportFlags extends ConnectionFlags {
  runId?: string;
  json?: boolean;
  html?: string;
}

async function loadTestAction(flags: LoadTestFlags, context: CommandContext): Promise<void> {
  if (!flags.yes && context.env.ASPECTS_LOAD_TEST_OK !== '1') {
    throw new UsageError('load-test creates test learners and writes events into the pipeline: confirm with --yes (or ASPECTS_LOAD_TEST_OK=1)');
  }
  if (flags.target !== 'clickhouse') throw new UsageError(`--target ${flags.target} is not available yet; use --target clickhouse`);
  const settings = resolveSettings(flags, context.env);
  const target = await connectClickHouse(settings.clickhouse);
  try {
    const summary = await runLoadTest(target, settings.clickhouse.database, settings.loadTest, {
      numUsers: flags.numUsers, usernamePrefix: flags.usernamePrefix, numEvents: flags.numEvents,
      runUntilKilled: flags.runUntilKilled === true, sleepSeconds: flags.sleepTime, tags: flags.tags ?? null,
      courseKey: flags.courseId, lmsUrl: flags.lmsUrl.replace(/\/$/, ''),
    }, context.signal, (sent) => { if (sent % 100 === 0) writeLine(context.streams.stderr, `load-test: ${sent} events sent`); });
    writeLine(context.streams.stdout, flags.json ? JSON.stringify(summary)
      : `run ${summary.run_id}: ${summary.sent_event_count} events sent to ${summary.course_id} in ${summary.seconds.toFixed(1)}s`);
    if (summary.stopped_by_signal && !flags.runUntilKilled) throw new Interrupted(`interrupted: run ${summary.run_id} ended after ${summary.sent_event_count} events (end row written)`);
  } finally {
    await target.close();
  }
}

const figure = (value: number | null, digits = 1) => (value === null ? '-' : value.toFixed(digits));

function reportTable(reports: readonly RunReport[]): string {
  return textTable(['run', 'started', 'duration s', 'sent', 'in ClickHouse', 'samples', 'peak rows/s', 'mean rows/s', 'lag p50', 'lag p95', 'lag max'],
    reports.map((each) => [each.run_id, each.started, figure(each.duration_seconds, 0), String(each.events_sent ?? '-'), String(each.rows_in_clickhouse),
      String(each.samples), figure(each.peak_rows_per_second), figure(each.mean_rows_per_second), figure(each.lag_p50_seconds, 0),
      figure(each.lag_p95_seconds, 0), figure(each.lag_max_seconds, 0)]));
}

async function reportAction(flags: ReportFlags, context: CommandContext): Promise<void> {
  const settings = resolveSettings(flags, context.env);
  const target = await connectClickHouse(settings.clickhouse);
  try {
    const reports = await loadTestReport(target, settings.clickhouse.database, settings.loadTest, flags.runId);
    if (flags.html) {
      writeFileSync(flags.html, reportHtml(reports));
      writeLine(context.streams.stderr, `load-test report written to ${flags.html}`);
    }
    writeLine(context.streams.stdout, flags.json ? JSON.stringify({ command: 'load-test report', runs: reports })
      : reports.length === 0 ? 'no load-test runs recorded' : reportTable(reports));
  } finally {
    await target.close();
  }
}

/** `aspects load-test`: generate tracking events and record the run; `load-test report`: its figures. */
export function loadTestCommand(context: CommandContext): Command {
  const report = addConnectionOptions(new Command('report')
    .description('per run: duration, events sent, rows that reached ClickHouse, rows/s, lag percentiles')
    .option('--run-id <id>', 'only this run')
    .option('--json', 'print one JSON document (with the sample series)')
    .option('--html <file>', 'also write a self-contained page with charts of rows/s and lag over time')
    .action((flags: ReportFlags) => reportAction(flags, context)));
  const command = new Command('load-test')
    .description('generate learning events through the pipeline and record the run in load_test_runs')
    .addOption(new Option('--target <target>', 'where events go: clickhouse (xAPI rows straight into the statements table)').choices(['clickhouse', 'lms', 'log']).default('clickhouse'))
    .option('--num-users <n>', 'test learners to generate events for', positiveInteger, 10)
    .option('--username-prefix <prefix>', 'username prefix of the test learners', 'lt_')
    .option('--num-events <n>', 'events to send', positiveInteger, 10)
    .option('--run-until-killed', 'send events until SIGINT/SIGTERM (the end row is still written)')
    .option('--sleep-time <seconds>', 'pause between events (0 = tight loop)', nonNegativeSeconds, 0.75)
    .option('--tags <tag...>', 'tags recorded with the run', collectKeys)
    .option('--course-id <key>', 'course the events are about (default course-v1:OEX+<run id>+2024-1)')
    .option('--lms-url <url>', 'LMS root URL the statements name', 'http://localhost:18000')
    .option('--yes', 'confirm: this writes test events (or ASPECTS_LOAD_TEST_OK=1)')
    .option('--json', 'print one JSON summary')
    .addHelpText('after', `
Examples:
  $ aspects schema init --xapi --clickhouse-url chdb:./aspects-data
  $ aspects load-test --target clickhouse --yes --num-events 500 --sleep-time 0
  $ aspects load-test report --json`)
    .action((flags: LoadTestFlags) => loadTestAction(flags, context));
  // The parent shares option names with `report`: options after `report` must be report's.
  command.enablePositionalOptions().addCommand(report);
  return addConnectionOptions(command);
}
