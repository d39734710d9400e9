import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { clickHouseSql, type TestEventSink } from '../support/clickhouse.js';
import { oneErrorLine, runAspects } from '../support/cli.js';
import type { TestLms } from '../support/env.js';
import { freePort } from '../support/servers.js';
import { CLICKHOUSE_TEST_USER } from '../support/servers.js';
import { cliEnv, jsonSummary, onLmsAndSink } from '../support/scenario.js';
import { tempFolder } from '../support/temp.js';

const OBJECTS = ['user_profile', 'external_id', 'course_enrollment'];

describe('aspects dump: PII, configuration, bad input, secrets', () => {
  let lms: TestLms;
  let sink: TestEventSink;
  onLmsAndSink({ users: 60 }, (made) => ({ lms, sink } = made));

  async function assertNothingWritten(): Promise<void> {
    for (const object of OBJECTS) assert.equal(await sink.count(object), 0, object);
  }

  const run = (args: string[], env: Record<string, string> = {}, pii = 'true') =>
    runAspects(['dump', '--sleep-time', '0', ...args], cliEnv(lms, sink, { ASPECTS_ENABLE_PII: pii, ...env }));

  it('refuses a PII object when PII is not enabled: exit 2, one line saying how', async () => {
    for (const object of ['user_profile', 'external_id']) {
      const result = await run(['--object', object], {}, 'false');
      assert.equal(result.code, 2);
      assert.match(oneErrorLine(result), new RegExp(`${object} holds personal data.*ASPECTS_ENABLE_PII=true`));
    }
    await assertNothingWritten();
  });

  it('lets --object all skip PII objects with a notice when PII is off', async () => {
    const result = await run(['--object', 'all', '--json'], {}, '0');
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /skipping user_profile: holds PII/);
    assert.equal(await sink.count('user_profile'), 0);
    assert.equal(await sink.count('external_id'), 0);
    assert.ok(await sink.count('course_enrollment') > 60);
    assert.deepEqual(jsonSummary(result).skipped.map((skip) => skip.object), ['user_profile', 'external_id']);
    await clickHouseSql(sink.url, `TRUNCATE TABLE ${sink.database}.course_enrollment`);
  });

  it('takes settings from a YAML config file with the plugin\'s keys, switches included', async () => {
    const folder = tempFolder('aspects-cfg-');
    const path = join(folder, 'aspects.yml');
    writeFileSync(path, [
      'EVENT_SINK_CLICKHOUSE_BACKEND_CONFIG:',
      `  url: ${sink.url}`,
      `  database: ${sink.database}`,
      '  timeout_secs: 20',
      'ASPECTS_ENABLE_PII: true',
      'EVENT_SINK_CLICKHOUSE_COURSE_ENROLLMENT_ENABLED: false',
      `ASPECTS_MYSQL_URL: ${lms.url}`,
    ].join('\n'));
    const result = await runAspects(['dump', '--config', path, '--object', 'all', '--sleep-time', '0']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(await sink.count('user_profile'), 60);
    assert.ok(await sink.count('external_id') >= 60);
    assert.equal(await sink.count('course_enrollment'), 0);
    assert.match(result.stderr, /skipping course_enrollment: switched off/);
    const named = await runAspects(['dump', '--config', path, '--object', 'course_enrollment', '--dry-run', '--sleep-time', '0']);
    assert.equal(named.code, 0, named.stderr);
    assert.match(named.stderr, /course_enrollment is switched off in the config file; running it because --object names it/);
    for (const table of ['user_profile', 'external_id']) await clickHouseSql(sink.url, `TRUNCATE TABLE ${sink.database}.${table}`);
  });

  const usageCases: [string, string[], Record<string, string>, RegExp][] = [
    ['unknown object', ['--object', 'courses'], {}, /unknown object "courses"/],
    ['no object', [], {}, /choose what to dump with --object/],
    ['negative batch size', ['--object', 'course_enrollment', '--batch-size', '-5'], {}, /--batch-size.*-5.*whole number/],
    ['zero limit', ['--object', 'course_enrollment', '--limit', '0'], {}, /--limit/],
    ['non-numeric sleep', ['--object', 'course_enrollment', '--sleep-time', 'soon'], {}, /--sleep-time/],
    ['limit past exact integers', ['--object', 'course_enrollment', '--limit', '99999999999999999999'], {}, /--limit.*at most 9007199254740991/],
    ['sleep longer than a timer can wait', ['--object', 'course_enrollment', '--sleep-time', '3000000'], {}, /--sleep-time.*at most 2147483 seconds/],
    ['SQL in --ids', ['--object', 'course_enrollment', '--ids', '1 OR 1=1'], {}, /not a primary key/],
    ['an empty --ids', ['--object', 'course_enrollment', '--ids', ''], {}, /--ids names nothing/],
    ['--ids for every object', ['--object', 'all', '--ids', '1'], {}, /--ids takes primary keys of one object; name exactly one with --object/],
    ['--start-pk for two objects', ['--object', 'user_profile,external_id', '--start-pk', '9'], {}, /--start-pk takes primary keys of one object/],
    ['unknown flag', ['--object', 'course_enrollment', '--frobnicate'], {}, /unknown option '--frobnicate'/],
    ['malformed MySQL URL', ['--object', 'course_enrollment', '--mysql-url', 'mysql//nohost'], {}, /MySQL URL is not a valid URL/],
    ['malformed ClickHouse URL', ['--object', 'course_enrollment'], { ASPECTS_CLICKHOUSE_URL: 'clickhouse:8123' }, /ClickHouse URL must start with http/],
    ['bad PII switch', ['--object', 'course_enrollment'], { ASPECTS_ENABLE_PII: 'perhaps' }, /ASPECTS_ENABLE_PII must be true or false/],
    ['missing config file', ['--object', 'course_enrollment', '--config', '/nonexistent.yml'], {}, /cannot read config file/],
  ];
  for (const [name, args, env, message] of usageCases) {
    it(`bad input, ${name}: exit 2, one clear line, nothing written`, async () => {
      const result = await run(args, env);
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, /^aspects: [^\n]*\n$/);
      assert.match(result.stderr, message);
      assert.equal(result.stdout, '');
      const json = await run([...args, '--json'], env);
      assert.equal(json.code, 2, json.stderr);
      assert.deepEqual({ ...JSON.parse(json.stdout), error: '' }, { command: 'dump', status: 'error', exit_code: 2, error: '' });
      assert.match(JSON.parse(json.stdout).error, message);
      await assertNothingWritten();
    });
  }

  it('unreachable ClickHouse (no retries asked): exit 1, one line, nothing read', async () => {
    const port = await freePort();
    const result = await run(['--object', 'course_enrollment', '--retry-for', '0'], { ASPECTS_CLICKHOUSE_URL: `http://127.0.0.1:${port}` });
    assert.equal(result.code, 1);
    assert.match(oneErrorLine(result), new RegExp(`cannot connect to ClickHouse http://127.0.0.1:${port} as default: .*ECONNREFUSED`));
  });

  it('unreachable MySQL (no retries asked): exit 1, one line, nothing written', async () => {
    const port = await freePort();
    const result = await run(['--object', 'course_enrollment', '--retry-for', '0', '--mysql-url', `mysql://root@127.0.0.1:${port}/edxapp`]);
    assert.equal(result.code, 1);
    assert.match(oneErrorLine(result), /cannot connect to MySQL root@127.0.0.1:\d+\/edxapp: .*ECONNREFUSED/);
    const json = await run(['--object', 'course_enrollment', '--retry-for', '0', '--mysql-url', `mysql://root@127.0.0.1:${port}/edxapp`, '--json']);
    assert.equal(json.code, 1);
    const document = JSON.parse(json.stdout);
    assert.deepEqual([document.command, document.status, document.exit_code], ['dump', 'error', 1]);
    assert.match(document.error, /cannot connect to MySQL/);
    await assertNothingWritten();
  });

  it('missing ClickHouse table: exit 1 before reading', async () => {
    const result = await run(['--object', 'course_enrollment'], { ASPECTS_CLICKHOUSE_DATABASE: 'no_such_database' });
    assert.equal(result.code, 1);
    assert.match(oneErrorLine(result), /table no_such_database\.course_enrollment does not exist/);
  });

  it('never prints a password: wrong ClickHouse and MySQL passwords, flags, env and URLs', async () => {
    const secret = 'Zq9-very#secret';
    const attempts = [
      await run(['--object', 'course_enrollment', '--clickhouse-password', secret]),
      await run(['--object', 'course_enrollment'], { ASPECTS_CLICKHOUSE_PASSWORD: secret }),
      await run(['--object', 'course_enrollment'], { ASPECTS_CLICKHOUSE_URL: sink.url.replace('//', `//default:${encodeURIComponent(secret)}@`) }),
      await run(['--object', 'course_enrollment', '--mysql-url', lms.url.replace('//root@', `//root:${encodeURIComponent(secret)}@`)]),
    ];
    for (const result of attempts) {
      assert.equal(result.code, 1, result.stderr);
      const output = result.stdout + result.stderr;
      assert.ok(!output.includes(secret) && !output.includes(encodeURIComponent(secret)), output);
      oneErrorLine(result);
    }
    const help = await runAspects(['dump', '--help'], { ASPECTS_CLICKHOUSE_PASSWORD: secret });
    assert.ok(!help.stdout.includes(secret));
    await assertNothingWritten();
  });

  it('authenticates with a password from the URL and still never shows it', async () => {
    const { name, password } = CLICKHOUSE_TEST_USER;
    const url = sink.url.replace('//', `//${name}:${encodeURIComponent(password)}@`);
    const result = await run(['--object', 'course_enrollment', '--json'], { ASPECTS_CLICKHOUSE_URL: url });
    assert.equal(result.code, 0, result.stderr);
    assert.ok(!(result.stdout + result.stderr).includes(password));
    assert.ok(await sink.count('course_enrollment') > 0);
    await clickHouseSql(sink.url, `TRUNCATE TABLE ${sink.database}.course_enrollment`);
  });

  it('--help documents every option, the objects, examples and exit codes', async () => {
    const dumpHelp = await runAspects(['dump', '--help']);
    assert.equal(dumpHelp.code, 0);
    for (const flag of ['--object', '--batch-size', '--sleep-time', '--force', '--ids', '--skip-ids', '--start-pk', '--limit', '--dry-run', '--json', '--retries', '--config', '--mysql-url', '--clickhouse-url', '--clickhouse-username', '--clickhouse-password', '--clickhouse-database', '--clickhouse-timeout', '--concurrency', '--insert-rows', '--insert-mb', '--quiet', '--log-format', ...OBJECTS, 'Examples:', 'ASPECTS_ENABLE_PII', 'NO_COLOR', 'Exit codes:', '130']) {
      assert.ok(dumpHelp.stdout.includes(flag), flag);
    }
    const help = await runAspects(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Exit codes:[\s\S]*130/);
    assert.match(help.stdout, /Examples:/);
    for (const command of [['schema', 'init'], ['schema', 'status'], ['query'], ['load-test', 'report'], ['monitor']]) {
      const sub = await runAspects([...command, '--help']);
      assert.equal(sub.code, 0, sub.stderr);
      assert.ok(sub.stdout.includes('--clickhouse-url') && !sub.stdout.includes('--mysql-url'), `${command.join(' ')} lists an option it does not use`);
    }
  });
});

// A ClickHouse table that is not as Aspects defines it: found before anything is read where the
// catalogue shows it, and otherwise told without quoting learners' data.
describe('aspects dump on tables that differ from the contract', () => {
  let lms: TestLms;
  let sink: TestEventSink;
  onLmsAndSink({ users: 20 }, (made) => ({ lms, sink } = made));
  const dump = (object: string) => runAspects(['dump', '--object', object, '--sleep-time', '0', '--retry-for', '0'], cliEnv(lms, sink));

  it('a missing course_blocks table stops a course dump before it reads anything', async () => {
    await clickHouseSql(sink.url, `RENAME TABLE ${sink.database}.course_blocks TO ${sink.database}.course_blocks_old`);
    try {
      const result = await dump('course_overviews');
      assert.equal(result.code, 1);
      assert.equal(oneErrorLine(result), `aspects: ClickHouse table ${sink.database}.course_blocks does not exist; create it with aspects schema init`);
    } finally {
      await clickHouseSql(sink.url, `RENAME TABLE ${sink.database}.course_blocks_old TO ${sink.database}.course_blocks`);
    }
  });

  it('a missing column is named, with where to look (aspects schema status)', async () => {
    await clickHouseSql(sink.url, `ALTER TABLE ${sink.database}.external_id DROP COLUMN external_id_type`);
    const result = await dump('external_id');
    assert.equal(result.code, 1);
    assert.equal(oneErrorLine(result), `aspects: ClickHouse table ${sink.database}.external_id has no column external_id_type, which aspects writes; aspects schema status lists how the table differs from Aspects'`);
  });

  it('a column of another type: the failure quotes no row and points at aspects schema status', async () => {
    await clickHouseSql(sink.url, `ALTER TABLE ${sink.database}.course_enrollment MODIFY COLUMN is_active UInt8`);
    const result = await dump('course_enrollment');
    assert.equal(result.code, 1);
    const line = result.stderr.trim().split('\n').pop() as string;
    assert.match(line, /^aspects: course_enrollment failed: Code: 27\b.*Cannot parse input.* nothing of course_enrollment was written; the rows do not fit the ClickHouse table as it is: aspects schema status lists how it differs from Aspects'; once it is fixed, run the same command again$/);
    const [learner] = await lms.db.query('SELECT username FROM auth_user LIMIT 1') as unknown as [[{ username: string }]];
    for (const data of ['True', 'False', learner[0].username, 'course-v1:']) assert.ok(!result.stderr.includes(data), `stderr quotes ${data}`);
  });
});
