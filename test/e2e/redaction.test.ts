import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { oneErrorLine, runAspects, type CliResult } from '../support/cli.js';
import { freePort } from '../support/servers.js';

/** `aspects dump` of one object against a MySQL and a ClickHouse at these URLs, giving up at the first refusal. */
const dump = (mysqlUrl: string, clickhouseUrl: string, ...more: string[]) =>
  runAspects(['dump', '--object', 'course_enrollment', '--retry-for', '0', '--mysql-url', mysqlUrl, '--clickhouse-url', clickhouseUrl, ...more]);

/** Everything a run printed. */
const printed = (result: CliResult): string => result.stdout + result.stderr;

describe('aspects dump: secrets stay hidden, the words around them stay whole', () => {
  it('a password that is also a digit or a user name leaves the address and user of the refusal whole', async () => {
    const [mysqlPort, clickhousePort] = [await freePort(), await freePort()];
    const urls = [`mysql://root:1@127.0.0.1:${mysqlPort}/edxapp`, `http://default:default@127.0.0.1:${clickhousePort}`] as const;
    const refusal = `cannot connect to ClickHouse http://127.0.0.1:${clickhousePort} as default: connect ECONNREFUSED 127.0.0.1:${clickhousePort}`;

    const text = await dump(...urls);
    assert.equal(text.code, 1, text.stderr);
    assert.equal(oneErrorLine(text), `aspects: ${refusal}`);

    const json = await dump(...urls, '--json');
    assert.equal(json.code, 1, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout), { command: 'dump', status: 'error', exit_code: 1, error: refusal });

    const logs = await dump(...urls, '--log-format', 'json');
    assert.equal(logs.code, 1, logs.stderr);
    assert.ok(printed(logs).includes(refusal), printed(logs));
    for (const result of [text, json, logs]) assert.doesNotMatch(printed(result), /\*\*\*|:1@|:default@/);
  });

  it('a strong password in URLs and a flag never shows, literally, URL-encoded or JSON-escaped', async () => {
    const secret = 'S3cr3t!pa55w0rd"x';
    const spellings = [secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1), 'S3cr3t', 'pa55w0rd'];
    const [mysqlPort, clickhousePort] = [await freePort(), await freePort()];
    const mysqlUrl = `mysql://root:${encodeURIComponent(secret)}@127.0.0.1:${mysqlPort}/edxapp`;
    const clickhouseUrl = `http://default:${encodeURIComponent(secret)}@127.0.0.1:${clickhousePort}`;
    const runs = [
      await dump(mysqlUrl, clickhouseUrl),
      await dump(mysqlUrl, clickhouseUrl, '--json'),
      await dump(mysqlUrl, clickhouseUrl, '--log-format', 'json'),
      await dump(mysqlUrl, `http://127.0.0.1:${clickhousePort}`, '--clickhouse-password', secret, '--json'),
    ];
    for (const result of runs) {
      assert.equal(result.code, 1, result.stderr);
      assert.match(printed(result), new RegExp(`cannot connect to ClickHouse http://127\\.0\\.0\\.1:${clickhousePort} as default`));
      for (const spelling of spellings) assert.ok(!printed(result).includes(spelling), `${spelling} in ${printed(result)}`);
    }
  });
});
