import assert from 'node:assert/strict';
import { BinlogMariaDb } from './binlog-server.js';
import { createTestEventSink, type TestEventSink } from './clickhouse.js';
import { startAspects, type RunningAspects } from './cli.js';
import { createTestLms, type TestLms } from './env.js';
import { fillLms } from './lms-fixture.js';
import { assertSameRows, expectedRows } from './expected.js';
import { cliEnv } from './scenario.js';
import { waitUntil } from './servers.js';

/** The objects the follow tests follow. */
export const FOLLOWED = ['course_enrollment', 'user_profile', 'external_id'];
const KEYS: Record<string, string> = { course_enrollment: 'id', user_profile: 'id', external_id: 'external_user_id' };

/** The newest row of each key, as dbt reads the table. */
export function newestRows(sink: TestEventSink, object: string): Promise<Record<string, unknown>[]> {
  return sink.rows(`SELECT * FROM ${sink.database}.${object} ORDER BY time_last_dumped DESC LIMIT 1 BY ${KEYS[object]}`);
}

/** Every object's newest rows equal the LMS, field by field (rows of keys deleted in the LMS are kept, as dump keeps them: left aside). */
export async function assertCurrent(sink: TestEventSink, lms: TestLms): Promise<void> {
  for (const object of FOLLOWED) {
    const key = KEYS[object] as string;
    const expected = await expectedRows(lms.db, object);
    const present = new Set(expected.map((row) => row[key]));
    assertSameRows((await newestRows(sink, object)).filter((row) => present.has(String(row[key]))), expected, key);
  }
}

/** Rows written twice with the same content: none may exist (each state of a key is written once). */
export async function twiceWritten(sink: TestEventSink, object: string): Promise<number> {
  const columns = (await sink.rows(`SELECT name FROM system.columns WHERE database = '${sink.database}' AND table = '${object}'`))
    .map((row) => String(row.name)).filter((name) => name !== 'dump_id' && name !== 'time_last_dumped');
  const [row] = await sink.rows(`SELECT count() - uniqExact(${columns.join(', ')}) AS n FROM ${sink.database}.${object}`);
  return Number(row?.n);
}

/** Follow processes started and not yet ended: killed after the tests whatever happened. */
export const started = new Set<RunningAspects>();

/** Starts follow; resolves once it reads the binlog. */
export async function startFollow(lms: TestLms, sink: TestEventSink, ...args: string[]): Promise<RunningAspects> {
  const running = startAspects(['follow', '--object', ...FOLLOWED, '--flush-ms', '200', ...args], cliEnv(lms, sink));
  let ended = false;
  started.add(running);
  void running.done.then(() => { ended = true; started.delete(running); });
  await waitUntil(async () => {
    if (ended) throw new Error(`follow ended early: ${running.stderr()}`);
    return /follow: reading the binlog from/.test(running.stderr());
  }, 'follow reading the binlog', 60_000);
  return running;
}

/** Until ClickHouse's newest rows equal the LMS (follow caught up), or a deadline. */
export async function caughtUp(sink: TestEventSink, lms: TestLms, running: RunningAspects): Promise<void> {
  let last: unknown;
  try {
    await waitUntil(async () => {
      try {
        await assertCurrent(sink, lms);
        return true;
      } catch (error) {
        last = error;
        return false;
      }
    }, 'follow to catch up', 60_000);
  } catch (error) {
    throw new Error(`${String(error)}: ${String(last)}; follow's stderr: ${running.stderr().slice(-600)}`);
  }
}

export async function stopFollow(running: RunningAspects): Promise<string> {
  running.kill('SIGTERM');
  const result = await running.done;
  assert.equal(result.code, 0, result.stderr);
  return result.stderr;
}

/** Kills every follow a test left running (after a failure), and waits for them to end. */
export async function killFollowers(): Promise<void> {
  for (const running of started) running.kill('SIGKILL');
  await Promise.all([...started].map((running) => running.done));
}

/** A throwaway mariadbd writing a binlog, an LMS of some learners on it, and an event_sink. */
export interface BinlogScenario {
  readonly server: BinlogMariaDb;
  readonly lms: TestLms;
  readonly sink: TestEventSink;
}

/** Starts the scenario: `users` learners, the event_sink on `clickhouseUrl` (default the test server). */
export async function binlogScenario(users: number, clickhouseUrl?: string): Promise<BinlogScenario> {
  const server = await BinlogMariaDb.start();
  const lms = await createTestLms({}, server.url);
  await fillLms(lms.db, { users });
  return { server, lms, sink: await createTestEventSink(clickhouseUrl) };
}

/** Kills the follows left running, drops the sink and the LMS, stops the server (each step whatever the others did). */
export async function endBinlogScenario(made: BinlogScenario | undefined): Promise<void> {
  await killFollowers();
  await made?.sink.drop().catch(() => undefined);
  await made?.lms.drop().catch(() => undefined);
  await made?.server.stop();
}
