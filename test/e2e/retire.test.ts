import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openChdbSession } from '../support/chdb.js';
import { aspectsTables } from '../support/aspects-ddl.js';
import { createTestEventSink, type TestEventSink } from '../support/clickhouse.js';
import { oneErrorLine, runAspects } from '../support/cli.js';
import type { TestLms } from '../support/env.js';
import { retireInLms } from '../support/retirement-fixture.js';
import { cliEnv, filledLms, jsonSummary } from '../support/scenario.js';
import { tempFolder } from '../support/temp.js';

const PII_TABLES = ['user_profile', 'external_id'];

/** user_id → row count, per table. */
async function userCounts(sink: TestEventSink, table: string): Promise<Map<number, number>> {
  const rows = await sink.rows(`SELECT user_id, count() AS n FROM ${sink.database}.${table} GROUP BY user_id`);
  return new Map(rows.map((row) => [Number(row.user_id), Number(row.n)]));
}

function retireSummary(stdout: string): { status: string; users: number[]; tables: Record<string, unknown>[] } {
  return JSON.parse(stdout.trim().split('\n').pop() as string);
}

describe('aspects retire on the ClickHouse server (ALTER TABLE … DELETE, waited for)', () => {
  let lms: TestLms;
  let sink: TestEventSink;
  let before100: Record<string, Map<number, number>>;
  before(async () => {
    lms = await filledLms({ users: 100 });
    sink = await createTestEventSink();
    const dump = await runAspects(['dump', '--object', 'all', '--sleep-time', '0'], cliEnv(lms, sink));
    assert.equal(dump.code, 0, dump.stderr);
    before100 = Object.fromEntries(await Promise.all([...PII_TABLES, 'course_enrollment'].map(async (table) => [table, await userCounts(sink, table)])));
  });
  after(async () => {
    await sink.drop();
    await lms.drop();
  });

  const retire = (...args: string[]) => runAspects(['retire', '--json', ...args], cliEnv(lms, sink));

  it('refuses hostile or missing selectors with exit 2 and deletes nothing', async () => {
    const cases = [['--user-ids', '1 OR 1=1'], ['--user-ids=-5'], ['--user-ids', '99999999999'], ['--user-ids', '0'], ['--usernames', 'nobody-here'], []];
    for (const args of cases) {
      const result = await retire(...args);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      oneErrorLine(result);
    }
    for (const table of PII_TABLES) assert.deepEqual(await userCounts(sink, table), before100[table]);
  });

  it('--dry-run counts what would be deleted per table and deletes nothing', async () => {
    const result = await retire('--user-ids', '3', '50,77', '--dry-run');
    assert.equal(result.code, 0, result.stderr);
    const summary = retireSummary(result.stdout);
    assert.deepEqual(summary.users, [3, 50, 77]);
    const expected = (table: string) => [3, 50, 77].reduce((sum, id) => sum + (before100[table]?.get(id) ?? 0), 0);
    assert.deepEqual(summary.tables.map((table) => [table.table, table.status, table.rows_matched]),
      PII_TABLES.map((table) => [table, 'would-delete', expected(table)]));
    for (const table of PII_TABLES) assert.deepEqual(await userCounts(sink, table), before100[table]);
  });

  it('retiring 3 of 100 users removes their rows from every PII table and nothing else', async () => {
    const result = await retire('--user-ids', '3', '50', '77');
    assert.equal(result.code, 0, result.stderr);
    const summary = retireSummary(result.stdout);
    assert.equal(summary.status, 'success');
    for (const table of summary.tables) {
      assert.equal(table.status, 'deleted');
      assert.equal(table.rows_remaining, 0);
      assert.equal(table.method, 'ALTER TABLE … DELETE');
    }
    for (const table of PII_TABLES) {
      const after = await userCounts(sink, table);
      const expected = new Map([...(before100[table] as Map<number, number>)].filter(([id]) => ![3, 50, 77].includes(id)));
      assert.deepEqual(after, expected, table);
    }
    assert.deepEqual(await userCounts(sink, 'course_enrollment'), before100.course_enrollment);
  });

  it('--pending finds exactly the users the LMS retired whose rows are still here', async () => {
    await retireInLms(lms.db, 10, 'requested');
    await retireInLms(lms.db, 11, 'cleaned-up');
    await retireInLms(lms.db, 12, 'username-only');
    await retireInLms(lms.db, 3, 'cleaned-up');
    const dry = await retire('--pending', '--dry-run');
    assert.equal(dry.code, 0, dry.stderr);
    assert.deepEqual(retireSummary(dry.stdout).users, [10, 11, 12]);
    const real = await retire('--pending');
    assert.equal(real.code, 0, real.stderr);
    for (const table of PII_TABLES) {
      const left = await userCounts(sink, table);
      for (const id of [10, 11, 12]) assert.equal(left.has(id), false, `${table} user ${id}`);
    }
    const again = await retire('--pending');
    assert.deepEqual(retireSummary(again.stdout).users, []);
    const text = await runAspects(['retire', '--pending'], cliEnv(lms, sink));
    assert.match(text.stdout, /no user to retire/);
  });

  it('--pending also removes learners the LMS deleted outright (no PII outlives their auth_user row)', async () => {
    for (const table of ['external_user_ids_externalid', 'auth_userprofile', 'student_courseenrollment']) await lms.db.query(`DELETE FROM ${table} WHERE user_id IN (30, 31)`);
    await lms.db.query('DELETE FROM auth_user WHERE id IN (30, 31)');
    const held = Object.fromEntries(await Promise.all(PII_TABLES.map(async (table) => [table, (await userCounts(sink, table)).size])));
    const dry = await retire('--pending', '--dry-run');
    assert.equal(dry.code, 0, dry.stderr);
    assert.deepEqual([retireSummary(dry.stdout).users, JSON.parse(dry.stdout).users_gone_from_lms], [[30, 31], [30, 31]]);
    const text = await runAspects(['retire', '--pending'], cliEnv(lms, sink));
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^2 of them are no longer in the LMS \(auth_user row deleted\): their rows outlived the LMS's$/m);
    for (const table of PII_TABLES) {
      const left = await userCounts(sink, table);
      for (const id of [30, 31]) assert.equal(left.has(id), false, `${table} user ${id}`);
      assert.equal(left.size, held[table] - 2, table);
    }
  });

  it('--pending refuses when the LMS lacks most learners ClickHouse holds (the wrong database?), unless --allow-mass-delete', async () => {
    const other = await filledLms({ users: 10 });
    try {
      const result = await runAspects(['retire', '--pending'], { ...cliEnv(lms, sink), ASPECTS_MYSQL_URL: other.url });
      assert.equal(result.code, 2, `${result.stderr}${result.stdout}`);
      assert.match(oneErrorLine(result), /^aspects: the LMS has no auth_user row for \d+ of the \d+ learners ClickHouse holds; is this the LMS database\? If they were really deleted there, retire them with --pending --allow-mass-delete$/);
      for (const table of PII_TABLES) assert.ok((await userCounts(sink, table)).size > 50, table);
      const flagAlone = await retire('--user-ids', '3', '--allow-mass-delete');
      assert.equal(flagAlone.code, 2, flagAlone.stderr);
    } finally {
      await other.drop();
    }
  });

  it('finds a user by the original username kept by retirement', async () => {
    const [[{ original }]] = await lms.db.query('SELECT original_username AS original FROM user_api_userretirementstatus WHERE user_id = 10') as unknown as [[{ original: string }]];
    const result = await retire('--usernames', original, '--dry-run');
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(retireSummary(result.stdout).users, [10]);
  });

  it('warns about a listed PII table that does not exist (Tutor lists auth_user) and goes on', async () => {
    const folder = tempFolder('aspects-retire-');
    const config = join(folder, 'aspects.yml');
    writeFileSync(config, 'EVENT_SINK_CLICKHOUSE_PII_MODELS: [user_profile, external_id, auth_user]\n');
    const result = await retire('--user-ids', '20', '--config', config);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /aspects: warning: PII table .*\.auth_user does not exist; skipped/);
    const summary = retireSummary(result.stdout);
    assert.deepEqual(summary.tables.map((table) => [table.table, table.status]), [['auth_user', 'missing'], ['user_profile', 'deleted'], ['external_id', 'deleted']]);
  });

  it('aspects dump never writes PII rows of a retired user, and counts them', async () => {
    const fresh = await createTestEventSink();
    try {
      const result = await runAspects(['dump', '--object', 'user_profile', 'external_id', '--force', '--sleep-time', '0', '--json'], cliEnv(lms, fresh));
      assert.equal(result.code, 0, result.stderr);
      for (const object of jsonSummary(result).objects) {
        const skipped = (object.decisions as { skipped: Record<string, number> }).skipped;
        assert.ok((skipped['user retired in the LMS'] ?? 0) >= 4, `${String(object.object)}: ${JSON.stringify(skipped)}`);
      }
      for (const table of PII_TABLES) {
        const users = await userCounts(fresh, table);
        for (const id of [3, 10, 11, 12]) assert.equal(users.has(id), false, `${table} user ${id}`);
        assert.ok(users.has(20));
      }
    } finally {
      await fresh.drop();
    }
  });
});

describe('aspects retire on the embedded modern ClickHouse (lightweight DELETE)', () => {
  it('removes 3 users\' rows with DELETE FROM and verifies', async () => {
    const lms = await filledLms({ users: 100 });
    const folder = mkdtempSync(join(tmpdir(), 'aspects-chdb-retire-'));
    try {
      const session = await openChdbSession(folder);
      session.query('CREATE DATABASE event_sink');
      for (const ddl of Object.values(aspectsTables('event_sink'))) session.query(ddl);
      session.close();
      const env = { ASPECTS_MYSQL_URL: lms.url, ASPECTS_CLICKHOUSE_URL: `chdb:${folder}`, ASPECTS_ENABLE_PII: 'true' };
      const dump = await runAspects(['dump', '--object', 'all', '--sleep-time', '0'], env);
      assert.equal(dump.code, 0, dump.stderr);
      const result = await runAspects(['retire', '--user-ids', '4', '44', '88', '--json'], env);
      assert.equal(result.code, 0, result.stderr);
      const summary = retireSummary(result.stdout);
      assert.deepEqual(summary.tables.map((table) => [table.table, table.status, table.method, table.rows_remaining]),
        PII_TABLES.map((table) => [table, 'deleted', 'DELETE FROM', 0]));
      const check = await openChdbSession(folder);
      for (const table of PII_TABLES) {
        assert.equal(check.query(`SELECT count() FROM event_sink.${table} WHERE user_id IN (4, 44, 88)`, 'CSV').trim(), '0');
        assert.ok(Number(check.query(`SELECT uniqExact(user_id) FROM event_sink.${table}`, 'CSV').trim()) >= 97);
      }
      assert.ok(Number(check.query('SELECT count() FROM event_sink.course_enrollment WHERE user_id IN (4, 44, 88)', 'CSV').trim()) > 0);
      check.close();
    } finally {
      rmSync(folder, { recursive: true, force: true });
      await lms.drop();
    }
  });
});
