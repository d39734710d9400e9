import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestEventSink, type TestEventSink } from '../support/clickhouse.js';
import { runAspects } from '../support/cli.js';
import type { TestLms } from '../support/env.js';
import { assertSameRows, expectedRows } from '../support/expected.js';
import { retireInLms } from '../support/retirement-fixture.js';
import { cliEnv, dumpInto, filledLms, jsonSummary } from '../support/scenario.js';

/** Rows, distinct keys and the newest row per key of a table: what dbt sees, and whether any key is stored twice. */
async function stored(sink: TestEventSink, table: string, key: string) {
  const [counts] = await sink.rows(`SELECT count() AS n, uniqExact(${key}) AS keys FROM ${sink.database}.${table}`);
  const latest = await sink.rows(`SELECT * FROM ${sink.database}.${table} WHERE (${key}, time_last_dumped) IN `
    + `(SELECT ${key}, max(time_last_dumped) FROM ${sink.database}.${table} GROUP BY ${key})`);
  return { rows: Number(counts?.n), keys: Number(counts?.keys), latest };
}

type Summary = ReturnType<typeof jsonSummary>['objects'][number];
const objectOf = (summary: ReturnType<typeof jsonSummary>, name: string): Summary | undefined => summary.objects.find((entry) => entry.object === name);

// Real MariaDB and ClickHouse server; the CLI is spawned as an operator runs it. Keys are sparse
// (rows deleted in the middle) so units of the key grid differ in size.
describe('key ranges read side by side, streamed into long inserts', () => {
  let lms: TestLms;
  const sinks: TestEventSink[] = [];
  before(async () => {
    lms = await filledLms({ users: 1200, enrollmentsPerUser: 2 });
    await lms.db.query('DELETE FROM auth_userprofile WHERE id BETWEEN 300 AND 420 OR id % 17 = 0');
    await lms.db.query('DELETE FROM student_courseenrollment WHERE id BETWEEN 900 AND 1300');
  });
  after(async () => {
    await Promise.all(sinks.map((sink) => sink.drop()));
    await lms.drop();
  });

  async function dump(args: string[]) {
    const run = await dumpInto(lms, ['--json', ...args]);
    sinks.push(run.sink);
    assert.equal(run.result.code, 0, run.result.stderr);
    return { summary: jsonSummary(run.result), sink: run.sink };
  }

  for (const concurrency of ['1', '4']) {
    it(`--concurrency ${concurrency}: every row once, field for field, over many short inserts`, async () => {
      const { sink } = await dump(['--object', 'user_profile,course_enrollment', '--concurrency', concurrency, '--batch-size', '37', '--insert-rows', '150']);
      for (const table of ['user_profile', 'course_enrollment']) {
        const { rows, keys, latest } = await stored(sink, table, 'id');
        const expected = await expectedRows(lms.db, table);
        assert.equal(rows, expected.length, `${table}: count()`);
        assert.equal(keys, expected.length, `${table}: uniqExact(id)`);
        assertSameRows(latest, expected, 'id');
      }
    });
  }

  it('--limit with lanes writes exactly the first N keys, and says where it stopped', async () => {
    const { summary, sink } = await dump(['--object', 'course_enrollment', '--concurrency', '3', '--batch-size', '40', '--limit', '777']);
    const expected = await expectedRows(lms.db, 'course_enrollment');
    const first = expected.map((row) => Number(row.id)).sort((a, b) => a - b).slice(0, 777);
    const { rows, keys, latest } = await stored(sink, 'course_enrollment', 'id');
    assert.deepEqual([rows, keys], [777, 777]);
    assert.deepEqual(latest.map((row) => Number(row.id)).sort((a, b) => a - b), first);
    assert.equal(objectOf(summary, 'course_enrollment')?.rows_written, 777);
    assert.equal(objectOf(summary, 'course_enrollment')?.last_pk, first[776]);
  });
});

describe('incremental runs over unit summaries and stored fingerprints', () => {
  let lms: TestLms;
  let sink: TestEventSink;
  before(async () => {
    lms = await filledLms({ users: 900, enrollmentsPerUser: 2 });
    await lms.db.query('DELETE FROM auth_userprofile WHERE id % 13 = 0');
    sink = await createTestEventSink();
  });
  after(async () => {
    await sink.drop();
    await lms.drop();
  });

  const dump = async (...args: string[]) => {
    // Every row compared (not only the changes the LMS records): what this describe tests.
    const result = await runAspects(['dump', '--object', 'user_profile,course_enrollment', '--sleep-time', '0', '--batch-size', '50', '--json', '--full-compare', ...args], cliEnv(lms, sink));
    assert.equal(result.code, 0, result.stderr);
    return jsonSummary(result);
  };
  const written = (summary: ReturnType<typeof jsonSummary>) => summary.objects.map((entry) => [entry.object, entry.rows_written]);

  it('nothing changed: nothing written, every row counted unchanged', async () => {
    await dump('--concurrency', '3');
    const summary = await dump();
    assert.deepEqual(written(summary), [['user_profile', 0], ['course_enrollment', 0]]);
    const profiles = await lms.db.query('SELECT COUNT(*) AS n FROM auth_userprofile') as unknown as [[{ n: number }]];
    assert.equal(objectOf(summary, 'user_profile')?.rows_unchanged, Number(profiles[0][0].n));
  });

  it('one changed field in a unit whose other rows are unchanged: exactly that row', async () => {
    await lms.db.query("UPDATE auth_userprofile SET city = CONCAT(IFNULL(city, ''), 'x') WHERE id = 101");
    await lms.db.query('UPDATE student_courseenrollment SET is_active = 1 - is_active WHERE id > 1000 ORDER BY id LIMIT 1');
    const summary = await dump();
    assert.equal(objectOf(summary, 'user_profile')?.rows_written, 1);
    assert.equal(objectOf(summary, 'course_enrollment')?.rows_written, 1);
    assertSameRows((await stored(sink, 'user_profile', 'id')).latest, await expectedRows(lms.db, 'user_profile'), 'id');
  });

  it('users retired in the LMS (not yet by aspects retire) and --skip-ids: only the changed rows are written', async () => {
    for (const id of [55, 56, 640]) await retireInLms(lms.db, id, 'cleaned-up');
    await lms.db.query("UPDATE auth_userprofile SET goals = 'new goals' WHERE id = 57");
    const summary = await dump('--skip-ids', '58,641');
    assert.equal(objectOf(summary, 'user_profile')?.rows_written, 1);
    await lms.db.query("UPDATE auth_userprofile SET goals = 'newer goals' WHERE id IN (58, 59)");
    const skipping = await dump('--skip-ids', '58');
    assert.equal(objectOf(skipping, 'user_profile')?.rows_written, 1);
    const latest = (await stored(sink, 'user_profile', 'id')).latest;
    assert.equal(latest.find((row) => Number(row.id) === 59)?.goals, 'newer goals');
    assert.notEqual(latest.find((row) => Number(row.id) === 58)?.goals, 'newer goals');
  });

  it('a row deleted in MySQL costs no write; the row --skip-ids kept out before is written now', async () => {
    await lms.db.query('DELETE FROM auth_userprofile WHERE id = 200');
    assert.deepEqual(written(await dump()), [['user_profile', 1], ['course_enrollment', 0]]);
    const latest = (await stored(sink, 'user_profile', 'id')).latest;
    assert.equal(latest.find((row) => Number(row.id) === 58)?.goals, 'newer goals');
    assert.ok(latest.some((row) => Number(row.id) === 200));
  });
});
