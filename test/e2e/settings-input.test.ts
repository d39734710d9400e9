import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createTestEventSink, type TestEventSink } from '../support/clickhouse.js';
import { oneErrorLine, runAspects } from '../support/cli.js';
import { uniqueName, type TestLms } from '../support/env.js';
import { cliEnv, onLmsAndSink, scalar } from '../support/scenario.js';
import { tempFolder } from '../support/temp.js';

// Settings an operator gets slightly wrong are named, not silently ignored.
describe('settings: misspelt names, Python files, a password of its own, a name not yet resolvable', () => {
  let lms: TestLms;
  let sink: TestEventSink;
  onLmsAndSink({ users: 12 }, (made) => ({ lms, sink } = made));
  const dump = (env: Record<string, string>, ...args: string[]) => runAspects(['dump', '--object', 'course_enrollment', '--sleep-time', '0', ...args], env);

  it('a misspelt ASPECTS_* variable is named with the one it resembles; the run goes on', async () => {
    const result = await dump({ ...cliEnv(lms, sink), ASPECTS_CLICKHOUSE_DATABSE: 'x', ASPECTS_SOMETHING_ELSE: 'y' });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /^aspects: warning: environment variable ASPECTS_CLICKHOUSE_DATABSE is not a setting of aspects and is ignored; did you mean ASPECTS_CLICKHOUSE_DATABASE\?$/m);
    assert.match(result.stderr, /^aspects: warning: environment variable ASPECTS_SOMETHING_ELSE is not a setting of aspects and is ignored$/m);
  });

  it('an unknown key of ours in the config file is named once; the LMS\'s own keys are not', async () => {
    const config = join(tempFolder('aspects-settings-'), 'lms.yml');
    writeFileSync(config, 'EVENT_SINK_CLICKHOUSE_PII_MODELZ: [user_profile]\nFEATURES: {ENABLE_X: true}\nSECRET_KEY: abc\n');
    const result = await dump({ ...cliEnv(lms, sink), ASPECTS_CONFIG: config });
    assert.equal(result.code, 0, result.stderr);
    const warnings = result.stderr.split('\n').filter((line) => line.includes('warning'));
    assert.deepEqual(warnings, [`aspects: warning: config file ${config}: key EVENT_SINK_CLICKHOUSE_PII_MODELZ is not a setting of aspects and is ignored; did you mean EVENT_SINK_CLICKHOUSE_PII_MODELS?`]);
  });

  it('a Django settings module (.py) is refused in one line saying what to give instead (exit 2)', async () => {
    const config = join(tempFolder('aspects-settings-'), 'production.py');
    writeFileSync(config, 'from .common import *\nEVENT_SINK_CLICKHOUSE_BACKEND_CONFIG = {"url": "http://clickhouse:8123"}\n');
    const result = await dump({ ...cliEnv(lms, sink), ASPECTS_CONFIG: config });
    assert.equal(result.code, 2, result.stderr);
    assert.match(oneErrorLine(result), /^aspects: config file \S+production\.py is Python \(a Django settings module\): aspects reads YAML or JSON, .*ASPECTS_CLICKHOUSE_URL/);
  });

  it('ASPECTS_MYSQL_PASSWORD gives the MySQL password unencoded (a / @ : % in it), and it never shows', async () => {
    const user = uniqueName('aspects_pw').slice(0, 30);
    const password = 'a/b@c:d%e f';
    await lms.db.query(`CREATE USER '${user}'@'%' IDENTIFIED BY ?`, [password]);
    try {
      await lms.db.query(`GRANT SELECT ON \`${lms.name}\`.* TO '${user}'@'%'`);
      await lms.db.query(`GRANT SELECT ON mysql.* TO '${user}'@'%'`).catch(() => undefined);
      const url = new URL(lms.url);
      const env = { ...cliEnv(lms, sink), ASPECTS_MYSQL_URL: `mysql://${user}@${url.host}${url.pathname}`, ASPECTS_MYSQL_PASSWORD: password };
      const result = await dump(env, '--force', '--json');
      assert.equal(result.code, 0, result.stderr);
      assert.equal(await sink.count('course_enrollment') >= await scalar(lms, 'SELECT COUNT(*) FROM student_courseenrollment'), true);
      const wrong = await dump({ ...env, ASPECTS_MYSQL_PASSWORD: `${password}x`, ASPECTS_MYSQL_URL: `mysql://${user}@${url.host}${url.pathname}` }, '--retry-for', '0');
      assert.equal(wrong.code, 1, wrong.stderr);
      assert.ok(!wrong.stderr.includes(password), wrong.stderr);
    } finally {
      await lms.db.query(`DROP USER '${user}'@'%'`);
    }
  });

  it('a host name that does not resolve (a Service just created) is retried, and the first retry says for how long', async () => {
    const result = await dump({ ...cliEnv(lms, sink), ASPECTS_MYSQL_URL: 'mysql://root@aspects-no-such-host.invalid:3306/openedx' }, '--retry-for', '2');
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /connect: attempt 1 failed \(.*(ENOTFOUND|EAI_AGAIN).*; trying again for up to 2s \(--retry-for\)\); retrying in/);
  });

  it('retire retries an unreachable ClickHouse aloud, for --retry-for, then fails (exit 1): no silent minutes', async () => {
    const { freePort } = await import('../support/servers.js');
    const closed = `http://127.0.0.1:${await freePort()}`;
    const result = await runAspects(['retire', '--pending', '--retry-for', '1'], { ...cliEnv(lms, sink), ASPECTS_CLICKHOUSE_URL: closed });
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /^aspects: connect: attempt 1 failed \(.*ECONNREFUSED.*; trying again for up to 1s \(--retry-for\)\); retrying in /m);
    assert.match(result.stderr.trim().split('\n').pop() ?? '', /^aspects: cannot connect to ClickHouse /);
  });

  it('a ClickHouse user who may insert but not create tables (Tutor\'s ch_cms) writes directly, says so once, and lands every row once', async () => {
    const { CLICKHOUSE_NO_DDL_USER } = await import('../support/servers.js');
    const fresh = await createTestEventSink();
    const result = await runAspects(['dump', '--object', 'user_profile', 'course_enrollment', '--sleep-time', '0', '--batch-size', '5', '--insert-rows', '5'],
      { ...cliEnv(lms, fresh), ASPECTS_CLICKHOUSE_USERNAME: CLICKHOUSE_NO_DDL_USER });
    assert.equal(result.code, 0, result.stderr);
    const notes = result.stderr.split('\n').filter((line) => line.includes('may not create tables'));
    assert.equal(notes.length, 1, result.stderr);
    assert.match(notes[0] ?? '', /user_profile: the ClickHouse user may not create tables \(Code 392\), so inserts are written directly, without staging tables: .*Grant CREATE TABLE and DROP TABLE/);
    for (const [table, source] of [['user_profile', 'auth_userprofile'], ['course_enrollment', 'student_courseenrollment']] as const) {
      const [row] = await fresh.rows(`SELECT count() AS n, uniqExact(id) AS keys FROM ${fresh.database}.${table}`);
      const rows = await scalar(lms, `SELECT COUNT(*) FROM ${source}`);
      assert.deepEqual([Number(row?.n), Number(row?.keys)], [rows, rows], table);
    }
    assert.deepEqual(await fresh.rows(`SELECT name FROM system.tables WHERE database = '${fresh.database}' AND name LIKE '%staging%'`), []);
    await fresh.drop();
  });
});
