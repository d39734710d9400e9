import { randomUUID } from 'node:crypto';
import type { ClickHouseTarget } from '../clickhouse/target.js';
import type { LoadTestTables } from '../config/settings.js';
import { bare, encodeRow, quoted } from '../format/cell.js';
import { pythonJson } from '../format/python-json.js';
import { pause } from '../pipeline/pacing.js';
import type { EventTarget } from './targets.js';
import type { Learner } from './xapi.js';

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
  await target.insertCsv({ database, table: tables.runsTable }, ['run_id', 'event_type', 'extra'], [Buffer.from(csv)]);
}

/** The test learners: `<prefix><n>`, the same names every run so an LMS target reuses them. */
function learners(request: LoadTestRequest): Learner[] {
  return Array.from({ length: request.numUsers }, (_, index) => ({ username: `${request.usernamePrefix}${index + 1}`, externalId: randomUUID() }));
}

/** The course the events are about: the one given, or one named after the run. */
export function loadTestCourse(request: LoadTestRequest, runId: string): string {
  return request.courseKey ?? `course-v1:OEX+${runId}+2024-1`;
}

/** A new run id: the first 6 characters of a uuid4, as the plugin makes it. */
export function newRunId(): string {
  return randomUUID().slice(0, 6);
}

/**
 * Records the start row, toggles the enrollment of random test learners through `events` until
 * `numEvents` are sent or `signal` aborts, then records the end row (also after a signal).
 */
export async function runLoadTest(
  target: ClickHouseTarget, database: string, tables: LoadTestTables, request: LoadTestRequest, runId: string,
  events: EventTarget, signal: AbortSignal, onEvent: (sent: number) => void = () => undefined,
): Promise<LoadTestSummary> {
  const courseKey = loadTestCourse(request, runId);
  const started = performance.now();
  await recordRun(target, tables, database, runId, 'start', pythonJson({
    tags: request.tags, course_id: courseKey, num_users: request.numUsers, username_prefix: request.usernamePrefix,
  }));
  const team = learners(request);
  const enrolled = new Set<string>();
  let sent = 0;
  try {
    await events.prepare(team);
    while (!signal.aborted && (request.runUntilKilled || sent < request.numEvents)) {
      const learner = team[Math.floor(Math.random() * team.length)] as Learner;
      const enroll = !enrolled.delete(learner.username);
      if (enroll) enrolled.add(learner.username);
      await events.send(learner, enroll);
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
