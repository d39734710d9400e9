import { writeFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { connectClickHouse } from '../clickhouse/open.js';
import { resolveSettings, type ConnectionFlags } from '../config/settings.js';
import { Interrupted, UsageError } from '../errors.js';
import { loadTestReport, type RunReport } from '../loadtest/report.js';
import { loadTestCourse, newRunId, runLoadTest } from '../loadtest/run-load-test.js';
import { clickHouseEvents, lmsEvents, logEvents, type EventTarget, type LmsClient } from '../loadtest/targets.js';
import type { ClickHouseTarget } from '../clickhouse/target.js';
import type { Settings } from '../config/settings.js';
import { reportHtml } from '../output/report-html.js';
import { writeLine } from '../output/streams.js';
import { textTable } from '../output/table.js';
import type { CommandContext } from './context.js';
import { addClickHouseOptions } from './connection-options.js';
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
  lmsClientId?: string;
  lmsClientSecret?: string;
  logFile?: string;
  yes?: boolean;
  json?: boolean;
}

interface ReportFlags extends ConnectionFlags {
  runId?: string;
  json?: boolean;
  html?: string;
}

/** The LMS OAuth2 client for --target lms, from flags or environment. */
function lmsClient(flags: LoadTestFlags, env: CommandContext['env']): LmsClient {
  const clientId = flags.lmsClientId ?? env.ASPECTS_LMS_CLIENT_ID;
  const clientSecret = flags.lmsClientSecret ?? env.ASPECTS_LMS_CLIENT_SECRET;
  if (!clientId || !clientSecret) throw new UsageError('--target lms needs an OAuth2 client: --lms-client-id and --lms-client-secret (or ASPECTS_LMS_CLIENT_ID, ASPECTS_LMS_CLIENT_SECRET)');
  if (!flags.courseId) throw new UsageError('--target lms needs the --course-id of an existing course to enroll the learners in');
  return { url: flags.lmsUrl.replace(/\/$/, ''), clientId, clientSecret };
}

async function eventTarget(flags: LoadTestFlags, context: CommandContext, target: ClickHouseTarget, settings: Settings, courseKey: string): Promise<EventTarget> {
  if (flags.target === 'lms') return lmsEvents(lmsClient(flags, context.env), courseKey);
  const lmsUrl = flags.lmsUrl.replace(/\/$/, '');
  if (flags.target === 'log') return logEvents(courseKey, lmsUrl, flags.logFile ?? context.streams.stdout);
  return clickHouseEvents(target, settings.loadTest, courseKey, lmsUrl);
}

async function loadTestAction(flags: LoadTestFlags, context: CommandContext): Promise<void> {
  if (!flags.yes && context.env.ASPECTS_LOAD_TEST_OK !== '1') {
    throw new UsageError('load-test creates test learners and writes events into the pipeline: confirm with --yes (or ASPECTS_LOAD_TEST_OK=1)');
  }
  if (flags.target === 'lms') lmsClient(flags, context.env);
  const settings = resolveSettings(flags, context.env);
  const request = {
    numUsers: flags.numUsers, usernamePrefix: flags.usernamePrefix, numEvents: flags.numEvents,
    runUntilKilled: flags.runUntilKilled === true, sleepSeconds: flags.sleepTime, tags: flags.tags ?? null, courseKey: flags.courseId,
  };
  const target = await connectClickHouse(settings.clickhouse, { pin: false });
  try {
    const runId = newRunId();
    const events = await eventTarget(flags, context, target, settings, loadTestCourse(request, runId));
    const summary = await runLoadTest(target, settings.clickhouse.database, settings.loadTest, request, runId, events, context.signal,
      (sent) => { if (sent === 1 || sent % 100 === 0) writeLine(context.streams.stderr, `load-test: run ${runId}, ${sent} event${sent === 1 ? '' : 's'} sent`); });
    // Log lines on stdout keep stdout to themselves; the summary goes to stderr then.
    const out = flags.target === 'log' && !flags.logFile ? context.streams.stderr : context.streams.stdout;
    writeLine(out, flags.json ? JSON.stringify(summary)
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
  const target = await connectClickHouse(settings.clickhouse, { pin: false });
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
  const report = addClickHouseOptions(new Command('report')
    .description('per run: duration, events sent, rows that reached ClickHouse, rows/s, lag percentiles')
    .option('--run-id <id>', 'only this run')
    .option('--json', 'print one JSON document (with the sample series)')
    .option('--html <file>', 'also write a self-contained page with charts of rows/s and lag over time')
    .action((flags: ReportFlags) => reportAction(flags, context)));
  const command = new Command('load-test')
    .description('generate learning events through the pipeline and record the run in load_test_runs')
    .addOption(new Option('--target <target>', 'where events go: clickhouse (xAPI rows into the statements table), lms (enrollments through the LMS APIs) or log (tracking log lines for Vector)').choices(['clickhouse', 'lms', 'log']).default('clickhouse'))
    .option('--log-file <file>', 'with --target log: append the lines to this file (default stdout)')
    .option('--num-users <n>', 'test learners to generate events for', positiveInteger, 10)
    .option('--username-prefix <prefix>', 'username prefix of the test learners', 'lt_')
    .option('--num-events <n>', 'events to send', positiveInteger, 10)
    .option('--run-until-killed', 'send events until SIGINT/SIGTERM (the end row is still written)')
    .option('--sleep-time <seconds>', 'pause between events (0 = tight loop)', nonNegativeSeconds, 0.75)
    .option('--tags <tag...>', 'tags recorded with the run', collectKeys)
    .option('--course-id <key>', 'course the events are about (default course-v1:OEX+<run id>+2024-1)')
    .option('--lms-url <url>', 'LMS root URL (the lms target calls it; the clickhouse target names it in statements)', 'http://localhost:18000')
    .option('--lms-client-id <id>', 'OAuth2 client id for --target lms (env ASPECTS_LMS_CLIENT_ID)')
    .addOption(new Option('--lms-client-secret <secret>', 'OAuth2 client secret for --target lms (env ASPECTS_LMS_CLIENT_SECRET)'))
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
  return addClickHouseOptions(command);
}
