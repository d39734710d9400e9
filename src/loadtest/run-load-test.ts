import { randomUUID } from 'node:crypto';
import type { ClickHouseTarget } from '../clickhouse/target.js';
import { literal, qualifiedTable } from '../clickhouse/sql.js';
import type { LoadTestTables } from '../config/settings.js';
import { bare, encodeRow, quoted } from '../format/cell.js';
import { pythonJson } from '../format/python-json.js';
import { pause } from '../pipeline/pacing.js';
import { enrollmentStatement, type Learner } from './xapi.js';

/** A validated `aspects load-test` request. */
export interface LoadTestRequest {
  readonly numUsers: number;
  readonly usernamePrefix: string;
  readonly numEvents: number;
  readonly runUntilKilled: boolean;
  /** Pause between events, seconds. */
  readonly sleepSeconds: number;
  readonly tags: readonly string[] | null;
  readonly courseKey: string | undefined;
  /** The LMS root URL the statements name (actor home page, object ids). */
  readonly lmsUrl: string;
}

/** What a load test did. */
export interface LoadTestSummary {
  command: 'load-test';
  run_id: string;
  course_id: string;
  sent_event_count: number;
  seconds: number;
  stopped_by_signal: boolean;
}

/** Appends one row to the runs table, as the plugin writes it (csv QUOTE_MINIMAL). */
async function recordRun(target: ClickHouseTarget, tables: LoadTestTables, database: string, runId: string, eventType: string, extra: string): Promise<void> {
  const csv = encodeRow([bare(runId), bare(eventType), quoted(extra)]);
  await target.insertCsv(qualifiedTable(database, tables.runsTable), ['run_id', 'event_type', 'extra'], [Buffer.from(csv)]);
}

/** Whether the statements table keeps whole seconds only (DateTime on servers without DateTime64). */
async function wholeSeconds(target: ClickHouseTarget, tables: LoadTestTables): Promise<boolean> {
  const [row] = await target.query(`SELECT type FROM system.columns WHERE database = ${literal(tables.xapiDatabase)} `
    + `AND table = ${literal(tables.xapiTable)} AND name = 'emission_time'`);
  return String(row?.type ?? '') === 'DateTime';
}

function learners(request: LoadTestRequest): Learner[] {
  return Array.from({ length: request.numUsers }, () => {
    const suffix = randomUUID().slice(0, 6);
    return { username: `${request.usernamePrefix}_${suffix}`, externalId: randomUUID() };
  });
}

/**
 * Records the start row, sends enrollment toggles of random test learners as xAPI rows straight
 * into the statements table until `numEvents` are sent or `signal` aborts, then records the end row
 * (also after a signal).
 */
export async function runLoadTest(
  target: ClickHouseTarget, database: string, tables: LoadTestTables, request: LoadTestRequest, signal: AbortSignal,
  onEvent: (sent: number) => void = () => undefined,
): Promise<LoadTestSummary> {
  const runId = randomUUID().slice(0, 6);
  const courseKey = request.courseKey ?? `course-v1:OEX+${runId}+2024-1`;
  const started = performance.now();
  await recordRun(target, tables, database, runId, 'start', pythonJson({
    tags: request.tags, course_id: courseKey, num_users: request.numUsers, username_prefix: request.usernamePrefix,
  }));
  const team = learners(request);
  const enrolled = new Set<string>();
  const truncate = await wholeSeconds(target, tables);
  const statements = qualifiedTable(tables.xapiDatabase, tables.xapiTable);
  let sent = 0;
  try {
    while (!signal.aborted && (request.runUntilKilled || sent < request.numEvents)) {
      const learner = team[Math.floor(Math.random() * team.length)] as Learner;
      const enroll = !enrolled.delete(learner.username);
      if (enroll) enrolled.add(learner.username);
      const row = enrollmentStatement(learner, courseKey, request.lmsUrl, enroll, new Date());
      const time = truncate ? row.emissionTime.slice(0, 19) : row.emissionTime;
      const csv = encodeRow([bare(row.eventId), quoted(time), quoted(row.event)]);
      await target.insertCsv(statements, ['event_id', 'emission_time', 'event'], [Buffer.from(csv)]);
      sent += 1;
      onEvent(sent);
      await pause(request.sleepSeconds * 1000, signal);
    }
  } finally {
    await recordRun(target, tables, database, runId, 'end', pythonJson({ sent_event_count: sent }));
  }
  return {
    command: 'load-test', run_id: runId, course_id: courseKey, sent_event_count: sent,
    seconds: Math.round(performance.now() - started) / 1000, stopped_by_signal: signal.aborted,
  };
}
