import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { aspectsTables } from '../support/aspects-ddl.js';
import { onChdb } from '../support/chdb.js';
import { clickHouseRows, clickHouseSql } from '../support/clickhouse.js';
import { runAspects } from '../support/cli.js';
import { courseKey, fillCourses } from '../support/course-fixture.js';
import { testClickHouseServer, uniqueName, type TestLms } from '../support/env.js';
import { insertUsers } from '../support/lms-fixture.js';
import { filledLms } from '../support/scenario.js';


const COLUMNS_SQL = (database: string) =>
  `SELECT table, name, type, default_kind, default_expression, position FROM system.columns WHERE database = '${database}' ORDER BY table, position`;
const TABLES_SQL = (database: string) =>
  `SELECT name, engine, partition_key, sorting_key, primary_key FROM system.tables WHERE database = '${database}' ORDER BY name`;

/** The checkout, where node_modules holds chdb. */
const REPO = fileURLToPath(new URL('../../../', import.meta.url));

describe('aspects schema on the embedded modern ClickHouse', () => {
  let folder: string;
  before(() => { folder = mkdtempSync(join(tmpdir(), 'aspects-schema-')); });
  after(() => { rmSync(folder, { recursive: true, force: true }); });
  const aspects = (...args: string[]) => runAspects([...args, '--clickhouse-url', `chdb:${folder}`]);

  it('schema init creates every table exactly as the contract\'s DDL, column by column, and is idempotent', async () => {
    for (let run = 0; run < 2; run += 1) {
      const result = await aspects('schema', 'init');
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /event_sink tables ready in event_sink \(10 tables, ClickHouse 26\./);
    }
    await onChdb(folder, (query) => {
      query('CREATE DATABASE contract');
      for (const ddl of Object.values(aspectsTables('contract'))) query(ddl);
      // aspects_run_marks is this tool's own (when each object's last complete run began), not the contract's.
      const ours = (row: Record<string, unknown>) => row.table === 'aspects_run_marks' || row.name === 'aspects_run_marks';
      const strip = (rows: Record<string, unknown>[]) => rows.filter((row) => !ours(row)).map(({ database: _ignored, ...rest }) => rest);
      assert.deepEqual(strip(query(COLUMNS_SQL('event_sink'))), strip(query(COLUMNS_SQL('contract'))));
      assert.deepEqual(strip(query(TABLES_SQL('event_sink'))), strip(query(TABLES_SQL('contract'))));
      assert.equal(strip(query(TABLES_SQL('event_sink'))).length, 10);
      assert.deepEqual(query(COLUMNS_SQL('event_sink')).filter(ours).map((row) => row.name), ['object', 'kind', 'at', 'stored_keys', 'position']);
    });
    const status = await aspects('schema', 'status');
    assert.equal(status.code, 0, status.stderr);
    assert.equal(status.stdout.trim(), 'schema of event_sink matches');
  });

  it('a mistyped chdb: folder is one clear line (exit 2), not a new empty store', async () => {
    const mistyped = `${folder}-typo`;
    const result = await runAspects(['status', '--clickhouse-url', `chdb:${mistyped}`, '--mysql-url', 'mysql://root@127.0.0.1:3306/x']);
    assert.equal(result.code, 2, result.stderr);
    assert.equal(result.stderr, `aspects: chdb:${mistyped} does not exist: check the path, or create the store with aspects schema init --clickhouse-url chdb:${mistyped}\n`);
    assert.equal(existsSync(mistyped), false);
  });

  it('a store another process has open: exit 75 and one line naming that process', async () => {
    const holder = spawn(process.execPath, ['--input-type=module', '-e',
      `const { Session } = await import('chdb'); const session = new Session(${JSON.stringify(folder)}); console.log('open'); setInterval(() => session, 1000);`],
    { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout.on('data', (chunk: Buffer) => { if (chunk.toString().includes('open')) resolve(); });
        holder.once('exit', (code) => reject(new Error(`the holder exited ${code}`)));
      });
      const result = await aspects('schema', 'status');
      assert.equal(result.code, 75, result.stderr);
      assert.equal(result.stderr, `aspects: chdb:${folder} is in use by process ${holder.pid} (the embedded engine serves one process per folder); wait for it to finish, or stop it\n`);
    } finally {
      holder.kill('SIGKILL');
      await new Promise((resolve) => holder.once('close', resolve));
    }
  });

  it('schema status reports an added, a dropped and a retyped column and a missing table: exit 3', async () => {
    await onChdb(folder, (query) => {
      query('ALTER TABLE event_sink.user_profile ADD COLUMN nickname String');
      query('ALTER TABLE event_sink.course_enrollment DROP COLUMN username');
      query('ALTER TABLE event_sink.tag MODIFY COLUMN lineage LowCardinality(String)');
      query('DROP TABLE event_sink.load_test_stats');
    });
    const result = await aspects('schema', 'status');
    assert.equal(result.code, 3, result.stderr);
    assert.deepEqual(result.stdout.trim().split('\n').sort(), [
      'extra column: user_profile.nickname (String)',
      'missing column: course_enrollment.username (String)',
      'missing table: load_test_stats',
      'mistyped column: tag.lineage (expected String, found LowCardinality(String))',
    ]);
    assert.match(result.stderr, /aspects: the schema of event_sink drifts from Aspects' in 4 places/);
  });
});

describe('aspects schema on the Debian ClickHouse 18.16 server', () => {
  it('uses the nearest types it understands, says so, and checks against them', async () => {
    const url = await testClickHouseServer();
    const database = uniqueName('aspects_schema');
    const aspects = (...args: string[]) => runAspects([...args, '--clickhouse-url', url, '--clickhouse-database', database]);
    try {
      const init = await aspects('schema', 'init');
      assert.equal(init.code, 0, init.stderr);
      assert.match(init.stdout, /has no Bool or LowCardinality: String stands in for them/);
      const types = await clickHouseRows(url, `SELECT name, type FROM system.columns WHERE database = '${database}' AND table = 'course_enrollment'`);
      assert.deepEqual(types.filter((row) => ['is_active', 'mode'].includes(String(row.name))), [{ name: 'is_active', type: 'String' }, { name: 'mode', type: 'String' }]);
      assert.equal((await aspects('schema', 'status')).code, 0);
      await clickHouseSql(url, `ALTER TABLE ${database}.external_id DROP COLUMN username`);
      const drift = await aspects('schema', 'status', '--json');
      assert.equal(drift.code, 3);
      assert.deepEqual(JSON.parse(drift.stdout).differences, [{ table: 'external_id', kind: 'missing column', column: 'username', expected: 'String' }]);
    } finally {
      await clickHouseSql(url, `DROP DATABASE IF EXISTS ${database}`);
    }
  });
});

describe('aspects status on an embedded store: schema init, dump, status', () => {
  let lms: TestLms;
  let folder: string;
  before(async () => {
    lms = await filledLms({ users: 60 });
    await fillCourses(lms.db, 20);
    folder = mkdtempSync(join(tmpdir(), 'aspects-status-'));
  });
  after(async () => {
    rmSync(folder, { recursive: true, force: true });
    await lms.drop();
  });
  const aspects = (...args: string[]) => runAspects(args, { ASPECTS_MYSQL_URL: lms.url, ASPECTS_CLICKHOUSE_URL: `chdb:${folder}`, ASPECTS_ENABLE_PII: 'true' });
  const objects = (stdout: string) => Object.fromEntries((JSON.parse(stdout) as { objects: Record<string, unknown>[] }).objects.map((each) => [each.object, each]));

  it('is up to date right after a full dump: --fail-on-stale exits 0', async () => {
    assert.equal((await aspects('schema', 'init')).code, 0);
    const dump = await aspects('dump', '--object', 'all', '--sleep-time', '0');
    assert.equal(dump.code, 0, dump.stderr);
    const status = await aspects('status', '--fail-on-stale', '--json');
    assert.equal(status.code, 0, status.stderr);
    const profiles = objects(status.stdout).user_profile as Record<string, unknown>;
    assert.equal(profiles.mysql_keys, 60);
    assert.equal(profiles.clickhouse_keys, 60);
    assert.match(String(profiles.newest_dump), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?\+00:00$/);
  });

  it('counts 5 users never dumped and 2 courses changed: --fail-on-stale exits 3, then 0 after a dump', async () => {
    await insertUsers(lms.db, 61, 5, { users: 5 });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await lms.db.query('UPDATE course_overviews_courseoverview SET modified = UTC_TIMESTAMP(6) WHERE id IN (?, ?)', [courseKey(4), courseKey(9)]);
    const stale = await aspects('status', '--fail-on-stale', '--json');
    assert.equal(stale.code, 3, stale.stderr);
    const byObject = objects(stale.stdout);
    assert.deepEqual([byObject.user_profile?.mysql_keys, byObject.user_profile?.clickhouse_keys, byObject.user_profile?.missing_keys], [65, 60, 5]);
    assert.deepEqual([byObject.course_overviews?.missing_keys, byObject.course_overviews?.to_redump], [0, 2]);
    assert.equal(byObject.course_enrollment?.stale, false);
    assert.match(stale.stderr, /aspects: ClickHouse is behind the LMS for course_overviews, user_profile/);
    const table = await aspects('status');
    assert.match(table.stdout, /^object\s+mysql\s+clickhouse\s+missing\s+retired\s+deleted\s+re-dump\s+newest dump$/m);
    assert.match(table.stdout, /^user_profile\s+65\s+60\s+5\s+0\s+0\s/m);
    assert.equal((await aspects('dump', '--object', 'all', '--sleep-time', '0')).code, 0);
    assert.equal((await aspects('status', '--fail-on-stale')).code, 0);
  });

  it('without PII, status checks what dump --object all dumps, so it is not stale for ever; named PII objects are checked', async () => {
    const noPii = (...args: string[]) => runAspects(args, { ASPECTS_MYSQL_URL: lms.url, ASPECTS_CLICKHOUSE_URL: `chdb:${folder}` });
    await insertUsers(lms.db, 66, 3, { users: 3 });
    const dump = await noPii('dump', '--object', 'all', '--sleep-time', '0');
    assert.equal(dump.code, 0, dump.stderr);
    const status = await noPii('status', '--fail-on-stale', '--json');
    assert.equal(status.code, 0, status.stderr);
    const document = JSON.parse(status.stdout) as { objects: { object: string }[]; skipped: { object: string; reason: string }[] };
    assert.deepEqual(document.skipped.map((each) => each.object), ['user_profile', 'external_id']);
    assert.ok(!document.objects.some((each) => each.object === 'user_profile'));
    assert.match(status.stderr, /^not checking user_profile: holds PII and ASPECTS_ENABLE_PII is not true$/m);
    const named = await noPii('status', '--object', 'user_profile', '--fail-on-stale', '--json');
    assert.equal(named.code, 3, named.stderr);
    assert.equal(objects(named.stdout).user_profile?.missing_keys, 3);
  });

  it('aspects query prints results as a table, JSON or CSV', async () => {
    const json = await aspects('query', 'SELECT count() AS n FROM event_sink.user_profile', '--format', 'json');
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual((JSON.parse(json.stdout) as { n: unknown }[]).map((row) => Number(row.n)), [65]);
    const csv = await aspects('query', "SELECT 'a\"b' AS text, 2 AS two", '--format', 'csv');
    assert.equal(csv.stdout, '"text","two"\n"a""b","2"\n');
    const table = await aspects('query', 'SELECT name FROM system.tables WHERE database = \'event_sink\' AND name LIKE \'course%\' ORDER BY name LIMIT 2');
    assert.equal(table.stdout, 'name\ncourse_blocks\ncourse_enrollment\n');
  });
});
