import assert from 'node:assert/strict';
import type { TestEventSink } from '../support/clickhouse.js';
import type { RunningAspects } from '../support/cli.js';
import type { TestLms } from '../support/env.js';
import { assertSameRows, expectedRows, TARGET_KEY } from '../support/expected.js';
import { scalar } from '../support/scenario.js';

/** Resolves once `condition` holds (checked every 20 ms); rejects if the command ends first. */
export function until(condition: () => boolean, run: RunningAspects, what = 'the condition held'): Promise<void> {
  return new Promise((resolve, reject) => {
    let ended = false;
    void run.done.then(() => { ended = true; });
    const timer = setInterval(() => {
      if (condition()) { clearInterval(timer); resolve(); } else if (ended) { clearInterval(timer); reject(new Error(`aspects ended before ${what}:\n${run.stderr()}`)); }
    }, 20);
  });
}

/** Resolves once the running command has logged a line matching `pattern` on stderr; rejects if it ends first. */
export function logged(run: RunningAspects, pattern: RegExp): Promise<void> {
  return until(() => pattern.test(run.stderr()), run, `logging ${pattern}`);
}

/** count() and uniqExact(key) of a table: equal when no row was stored twice. */
export async function copies(sink: TestEventSink, table: string, key = TARGET_KEY[table] as string): Promise<{ rows: number; keys: number }> {
  const [row] = await sink.rows(`SELECT count() AS rows, uniqExact(${key}) AS keys FROM ${sink.database}.${table}`);
  return { rows: Number(row?.rows), keys: Number(row?.keys) };
}

const SOURCE_COUNT: Readonly<Record<string, string>> = {
  course_enrollment: 'SELECT COUNT(*) FROM student_courseenrollment',
  user_profile: 'SELECT COUNT(*) FROM auth_userprofile',
  external_id: 'SELECT COUNT(*) FROM external_user_ids_externalid',
};

/**
 * The outcome every fault case must end with: each source row in ClickHouse exactly once
 * (count() = uniqExact(key) = rows in MySQL, so 0 missing, 0 twice), and every field right.
 */
export async function assertExactlyOnce(sink: TestEventSink, lms: TestLms, table: string): Promise<void> {
  const expected = await scalar(lms, SOURCE_COUNT[table] as string);
  assert.deepEqual(await copies(sink, table), { rows: expected, keys: expected }, `${table}: rows and distinct keys vs ${expected} in MySQL`);
  assertSameRows(await sink.rows(`SELECT * FROM ${sink.database}.${table}`), await expectedRows(lms.db, table), TARGET_KEY[table] as string);
}
