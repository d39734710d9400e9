import { after, before } from 'node:test';
import { createTestEventSink, type TestEventSink } from './clickhouse.js';
import { runAspects, type CliResult } from './cli.js';
import { createTestLms, type TestLms } from './env.js';
import type { SchemaOptions } from './lms-schema.js';
import { fillLms, type FixtureOptions } from './lms-fixture.js';

/** A new LMS database filled by `fill`; dropped again if filling fails. */
export async function lmsWith(fill: (db: TestLms['db']) => Promise<unknown>, schema: SchemaOptions = {}, server?: string): Promise<TestLms> {
  const lms = await createTestLms(schema, server);
  try {
    await fill(lms.db);
  } catch (error) {
    await lms.drop();
    throw error;
  }
  return lms;
}

/** A filled LMS database shared by the tests of one file (they only read it). */
export function filledLms(options: FixtureOptions, schema: SchemaOptions = {}, server?: string): Promise<TestLms> {
  return lmsWith((db) => fillLms(db, options), schema, server);
}

/** Environment pointing the CLI at `lms` and `sink`, PII enabled unless overridden. */
export function cliEnv(lms: TestLms, sink: TestEventSink, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ASPECTS_MYSQL_URL: lms.url,
    ASPECTS_CLICKHOUSE_URL: sink.url,
    ASPECTS_CLICKHOUSE_DATABASE: sink.database,
    ASPECTS_ENABLE_PII: 'true',
    ...extra,
  };
}

/** Runs `aspects dump ...` against `lms` with a fresh event_sink database, which it returns. */
export async function dumpInto(
  lms: TestLms, args: readonly string[], extraEnv: Record<string, string> = {},
): Promise<{ result: CliResult; sink: TestEventSink }> {
  const sink = await createTestEventSink();
  const result = await runAspects(['dump', '--sleep-time', '0', ...args], cliEnv(lms, sink, extraEnv));
  return { result, sink };
}

/** Rows of `object` in the sink, every column. */
export function storedRows(sink: TestEventSink, object: string): Promise<Record<string, unknown>[]> {
  return sink.rows(`SELECT * FROM ${sink.database}.${object}`);
}

/** Parses the --json summary (the last stdout line). */
export function jsonSummary(result: CliResult): { status: string; objects: Record<string, unknown>[]; skipped: { object: string }[] } {
  const lines = result.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1] as string);
}

/** The single value a MySQL query returns, as a number. */
export async function scalar(lms: TestLms, sql: string): Promise<number> {
  const [rows] = await lms.db.query({ sql, rowsAsArray: true });
  return Number((rows as unknown[][])[0]?.[0]);
}

/** A filled LMS and a fresh event_sink for the tests of a describe: made before them, dropped after them; `use` receives both. */
export function onLmsAndSink(options: FixtureOptions, use: (made: { lms: TestLms; sink: TestEventSink }) => void): void {
  let made: { lms: TestLms; sink: TestEventSink } | undefined;
  before(async () => {
    const lms = await filledLms(options);
    made = { lms, sink: await createTestEventSink() };
    use(made);
  });
  after(async () => {
    await made?.sink.drop();
    await made?.lms.drop();
  });
}
