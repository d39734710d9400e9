import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createClient } from 'redis';
import { pythonJson } from '../../src/format/python-json.js';
import { openBackend } from '../../src/loadtest/backends.js';
import { percentile, sampleFigures } from '../../src/loadtest/report.js';
import { openChdbSession } from '../support/chdb.js';
import { clickHouseRows, clickHouseSql } from '../support/clickhouse.js';
import { runAspects, startAspects } from '../support/cli.js';
import { logged } from '../faults/support.js';
import { testClickHouseServer, uniqueName } from '../support/env.js';

describe('load-test report figures from a hand-made series of samples', () => {
  it('computes rates between samples, the mean over the span and nearest-rank lag percentiles', () => {
    const figures = sampleFigures([
      { time: 100, totalRows: 0, lag: 0 }, { time: 110, totalRows: 500, lag: 4 }, { time: 120, totalRows: 1500, lag: 9 },
      { time: 130, totalRows: 1800, lag: 2 }, { time: 140, totalRows: 1800, lag: 0 },
    ]);
    assert.deepEqual(figures.series.map((each) => [each.at, each.rows_per_second, each.lag_seconds]),
      [[0, null, 0], [10, 50, 4], [20, 100, 9], [30, 30, 2], [40, 0, 0]]);
    assert.equal(figures.peak_rows_per_second, 100);
    assert.equal(figures.mean_rows_per_second, 45);
    assert.deepEqual([figures.lag_p50_seconds, figures.lag_p95_seconds, figures.lag_max_seconds], [2, 9, 9]);
    assert.equal(percentile([], 0.5), null);
  });
});

const NO_BACKEND = { backend: 'none', celeryQueues: ['', ''] as [string, string], redisStream: '', vectorUrl: '', vectorSink: '' };

// Vector cannot run here: a thin local fake of its GraphQL endpoint checks the request instead.
describe('monitor backend vector, against a fake of Vector\'s GraphQL API', () => {
  it('asks for the sink\'s received and sent totals and reports the difference as lag', async () => {
    const requests: { method?: string; url?: string; type?: string; body: string }[] = [];
    const server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => { body += chunk.toString(); });
      request.on('end', () => {
        requests.push({ method: request.method, url: request.url, type: request.headers['content-type'], body });
        response.setHeader('Content-Type', 'application/json');
        response.end(JSON.stringify({ data: { sinks: { nodes: [{ componentId: 'clickhouse_xapi', metrics: {
          receivedEventsTotal: { receivedEventsTotal: 120 }, sentEventsTotal: { sentEventsTotal: null } } }] } } }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      const probe = await openBackend({ ...NO_BACKEND, backend: 'vector', vectorUrl: `http://127.0.0.1:${port}/graphql`, vectorSink: 'clickhouse_xapi' });
      const sample = await probe.sample();
      assert.equal(sample.lag, 120);
      assert.equal(pythonJson(sample.data), '{"events_received": 120.0, "events_sent": 0.0, "lag": 120.0}');
      assert.equal(requests.length, 1);
      assert.deepEqual([requests[0]?.method, requests[0]?.url, requests[0]?.type], ['POST', '/graphql', 'application/json']);
      assert.match(String((JSON.parse(String(requests[0]?.body)) as { query: string }).query), /componentId: \{equals: "clickhouse_xapi"\}.*receivedEventsTotal.*sentEventsTotal/);
    } finally {
      server.close();
    }
  });
});

describe('monitor backends on the real Redis at 127.0.0.1:6379', () => {
  const prefix = uniqueName('aspects');
  const client = createClient({ url: 'redis://127.0.0.1:6379' });
  before(async () => { await client.connect(); });
  after(async () => {
    for (const key of await client.keys(`${prefix}*`)) await client.del(key);
    await client.quit();
  });

  it('celery: the LMS and CMS queue lengths and their sum', async () => {
    await client.rPush(`${prefix}.lms`, ['a', 'b', 'c']);
    await client.rPush(`${prefix}.cms`, ['d', 'e']);
    const probe = await openBackend({ ...NO_BACKEND, backend: 'celery', redisUrl: 'redis://127.0.0.1:6379', celeryQueues: [`${prefix}.lms`, `${prefix}.cms`] });
    try {
      assert.deepEqual(await probe.sample(), { data: { lms_queue_length: 3, cms_queue_length: 2, lag: 5 }, lag: 5 });
    } finally {
      await probe.close();
    }
  });

  it('redis_bus: the stream length and the consumer groups\' lag', async () => {
    const stream = `${prefix}.analytics`;
    for (let index = 0; index < 10; index += 1) await client.xAdd(stream, '*', { event: String(index) });
    await client.xGroupCreate(stream, 'analytics-service', '0');
    await client.xReadGroup('analytics-service', 'consumer-1', { key: stream, id: '>' }, { COUNT: 4 });
    const probe = await openBackend({ ...NO_BACKEND, backend: 'redis_bus', redisUrl: 'redis://127.0.0.1:6379', redisStream: stream });
    try {
      assert.deepEqual(await probe.sample(), { data: { total_events: 10, lag: 6 }, lag: 6 });
    } finally {
      await probe.close();
    }
  });
});

describe('load-test and monitor side by side on the ClickHouse server', () => {
  let url: string;
  let database: string;
  before(async () => {
    url = await testClickHouseServer();
    database = uniqueName('aspects_lt');
  });
  after(async () => {
    await clickHouseSql(url, `DROP DATABASE IF EXISTS ${database}`);
    await clickHouseSql(url, 'DROP TABLE IF EXISTS xapi.xapi_events_all');
  });
  const connection = () => ['--clickhouse-url', url, '--clickhouse-database', database];

  it('report: the figures of a hand-made run and its samples, as JSON and as a self-contained page', async () => {
    assert.equal((await runAspects(['schema', 'init', '--xapi', ...connection()])).code, 0);
    await clickHouseSql(url, `INSERT INTO ${database}.load_test_runs (run_id, timestamp, event_type, extra) VALUES `
      + `('hand01', '2025-01-01 10:00:00', 'start', '{"tags": null, "course_id": "course-v1:Hand+Made+1", "num_users": 3, "username_prefix": "lt_"}'), `
      + `('hand01', '2025-01-01 10:00:40', 'end', '{"sent_event_count": 1800}')`);
    const samples = [[0, 0, 0], [10, 500, 4], [20, 1500, 9], [30, 1800, 2], [40, 1800, 0]];
    await clickHouseSql(url, `INSERT INTO ${database}.load_test_stats (run_id, timestamp, stats) VALUES ${samples.map(([at, rows, lag]) =>
      `('hand01', toDateTime('2025-01-01 10:00:00') + ${at}, '{"clickhouse": {"total_rows": ${rows}, "most_recent_event": null, "lag_seconds": ${lag}}}')`).join(', ')}`);
    const folder = mkdtempSync(join(tmpdir(), 'aspects-report-'));
    try {
      const html = join(folder, 'report.html');
      const report = await runAspects(['load-test', 'report', '--run-id', 'hand01', '--json', '--html', html, ...connection()]);
      assert.equal(report.code, 0, report.stderr);
      const [run] = (JSON.parse(report.stdout) as { runs: Record<string, unknown>[] }).runs;
      assert.deepEqual({ ...run, series: undefined, started: undefined }, {
        run_id: 'hand01', course_id: 'course-v1:Hand+Made+1', started: undefined, ended: '2025-01-01 10:00:40', duration_seconds: 40,
        events_sent: 1800, rows_in_clickhouse: 0, samples: 5, peak_rows_per_second: 100, mean_rows_per_second: 45,
        lag_p50_seconds: 2, lag_p95_seconds: 9, lag_max_seconds: 9, series: undefined,
      });
      const page = readFileSync(html, 'utf8');
      assert.equal((page.match(/<svg /g) ?? []).length, 2);
      assert.match(page, /Run hand01/);
      assert.equal(/<script|src=|href=/.test(page), false);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('--target log appends tracking log lines that Aspects\' Vector configuration parses', async () => {
    // Its own database: a recent unsampled run here would be the monitor test's to find.
    const logDatabase = uniqueName('aspects_log');
    const logConnection = ['--clickhouse-url', url, '--clickhouse-database', logDatabase];
    assert.equal((await runAspects(['schema', 'init', ...logConnection])).code, 0);
    const folder = mkdtempSync(join(tmpdir(), 'aspects-log-'));
    try {
      const file = join(folder, 'tracking.log');
      const result = await runAspects(['load-test', '--target', 'log', '--log-file', file, '--yes', '--num-events', '12', '--sleep-time', '0',
        '--course-id', 'course-v1:Log+Target+1', '--json', ...logConnection]);
      assert.equal(result.code, 0, result.stderr);
      const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
      assert.equal(lines.length, 12);
      // The msg_regex of Aspects' Vector common-post.toml.
      const vectorRegex = /^.* \[xapi_tracking\] [^{}]* (?<message>\{.*\})$/;
      for (const line of lines) {
        assert.match(line, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO \d+ \[xapi_tracking\] /);
        const statement = JSON.parse(vectorRegex.exec(line)?.groups?.message ?? '') as { object: { id: string } };
        assert.equal(statement.object.id, 'http://localhost:18000/course/course-v1:Log+Target+1');
      }
      const runId = (JSON.parse(result.stdout) as { run_id: string }).run_id;
      const [end] = await clickHouseRows(url, `SELECT extra FROM ${logDatabase}.load_test_runs WHERE run_id = '${runId}' AND event_type = 'end'`);
      assert.equal(end?.extra, '{"sent_event_count": 12}');
    } finally {
      rmSync(folder, { recursive: true, force: true });
      await clickHouseSql(url, `DROP DATABASE IF EXISTS ${logDatabase}`);
    }
  });

  it('refuses to start without --yes', async () => {
    const result = await runAspects(['load-test', '--num-events', '1', ...connection()]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /confirm with --yes/);
  });

  it('the monitor finds the run, samples, and stops by itself after the end row; the report shows the run', async () => {
    assert.equal((await runAspects(['schema', 'init', '--xapi', ...connection()])).code, 0);
    const monitor = startAspects(['monitor', '--backend', 'none', '--sleep-time', '0.5', ...connection()]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const load = await runAspects(['load-test', '--target', 'clickhouse', '--yes', '--num-events', '60', '--sleep-time', '0.02', '--json', ...connection()]);
    assert.equal(load.code, 0, load.stderr);
    const runId = (JSON.parse(load.stdout) as { run_id: string }).run_id;
    const watched = await Promise.race([monitor.done, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 30_000))]);
    if (!watched) monitor.kill('SIGKILL');
    assert.ok(watched, 'the monitor did not stop by itself');
    assert.equal(watched.code, 0, watched.stderr);
    assert.match(watched.stdout, new RegExp(`monitored run ${runId}`));
    const runs = await clickHouseRows(url, `SELECT event_type, extra FROM ${database}.load_test_runs WHERE run_id = '${runId}' ORDER BY event_type DESC`);
    assert.deepEqual(runs.map((row) => row.event_type), ['start', 'end']);
    assert.equal(runs[1]?.extra, '{"sent_event_count": 60}');
    const stats = await clickHouseRows(url, `SELECT stats FROM ${database}.load_test_stats WHERE run_id = '${runId}'`);
    assert.ok(stats.length >= 1);
    for (const row of stats) assert.match(String(row.stats), /^\{"clickhouse": \{"total_rows": \d+, "most_recent_event": (null|"[^"]+"), "lag_seconds": -?\d+\}\}$/);
    const report = await runAspects(['load-test', 'report', '--run-id', runId, '--json', ...connection()]);
    assert.equal(report.code, 0, report.stderr);
    const [figures] = (JSON.parse(report.stdout) as { runs: Record<string, unknown>[] }).runs;
    assert.equal(figures?.events_sent, 60);
    assert.equal(figures?.rows_in_clickhouse, 60);
    assert.equal(figures?.samples, stats.length);
  });
});

// No LMS can run here: a thin local fake of its three endpoints checks every request instead.
describe('load-test --target lms, against a fake of the LMS token, registration and enrollment APIs', () => {
  it('gets a JWT once, registers (or reuses) the learners, toggles enrollments with the JWT, records the run', async () => {
    const url = await testClickHouseServer();
    const database = uniqueName('aspects_lms');
    const seen: { path?: string; auth?: string; type?: string; body: string }[] = [];
    const server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => { body += chunk.toString(); });
      request.on('end', () => {
        seen.push({ path: request.url, auth: request.headers.authorization, type: request.headers['content-type'], body });
        const form = new URLSearchParams(body);
        if (request.url === '/oauth2/access_token' && form.get('grant_type') === 'client_credentials' && form.get('token_type') === 'jwt'
          && form.get('client_id') === 'aspects-lt' && form.get('client_secret') === 'lt-Secret-9') {
          response.end(JSON.stringify({ access_token: 'header.payload.signature', token_type: 'JWT', expires_in: 3600 }));
        } else if (request.url === '/api/user/v2/account/registration/') {
          response.statusCode = form.get('username') === 'lt_2' ? 409 : 200;
          response.end('{}');
        } else if (request.url === '/api/enrollment/v1/enrollment' && request.headers.authorization === 'JWT header.payload.signature') {
          response.end(body);
        } else {
          response.statusCode = 403;
          response.end('{"detail": "unexpected request"}');
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const connection = ['--clickhouse-url', url, '--clickhouse-database', database];
      assert.equal((await runAspects(['schema', 'init', ...connection])).code, 0);
      const result = await runAspects(['load-test', '--target', 'lms', '--yes', '--num-users', '3', '--num-events', '7', '--sleep-time', '0',
        '--course-id', 'course-v1:Real+Course+2025', '--lms-url', `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
        '--json', ...connection], { ASPECTS_LMS_CLIENT_ID: 'aspects-lt', ASPECTS_LMS_CLIENT_SECRET: 'lt-Secret-9' });
      assert.equal(result.code, 0, result.stderr);
      assert.ok(!(result.stdout + result.stderr).includes('lt-Secret-9'));
      assert.deepEqual(seen.map((each) => each.path), ['/oauth2/access_token', ...Array(3).fill('/api/user/v2/account/registration/'), ...Array(7).fill('/api/enrollment/v1/enrollment')]);
      assert.deepEqual(seen.slice(1, 4).map((each) => new URLSearchParams(each.body).get('username')), ['lt_1', 'lt_2', 'lt_3']);
      const state = new Map<string, boolean>();
      for (const call of seen.slice(4)) {
        assert.equal(call.type, 'application/json');
        const body = JSON.parse(call.body) as { user: string; course_details: { course_id: string }; is_active: boolean; mode: string };
        assert.equal(body.course_details.course_id, 'course-v1:Real+Course+2025');
        assert.equal(body.is_active, !(state.get(body.user) ?? false), `toggle of ${body.user}`);
        state.set(body.user, body.is_active);
      }
      const runId = (JSON.parse(result.stdout) as { run_id: string }).run_id;
      const runs = await clickHouseRows(url, `SELECT event_type, extra FROM ${database}.load_test_runs WHERE run_id = '${runId}' ORDER BY event_type DESC`);
      assert.deepEqual(runs.map((row) => row.extra), [
        '{"tags": null, "course_id": "course-v1:Real+Course+2025", "num_users": 3, "username_prefix": "lt_"}', '{"sent_event_count": 7}',
      ]);
    } finally {
      server.close();
      await clickHouseSql(url, `DROP DATABASE IF EXISTS ${database}`);
    }
  });
});

describe('load-test into the embedded modern ClickHouse', () => {
  it('writes valid xAPI enrollment statements and, stopped by SIGINT, still the end row', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'aspects-lt-'));
    try {
      const connection = ['--clickhouse-url', `chdb:${folder}`];
      assert.equal((await runAspects(['schema', 'init', '--xapi', ...connection])).code, 0);
      const load = startAspects(['load-test', '--yes', '--run-until-killed', '--sleep-time', '0.05', '--course-id', 'course-v1:Load+Test+2025', ...connection]);
      // Stopped once it says it is sending, not after a fixed time (a busy machine may take longer to start).
      await logged(load, /load-test: run \w+, 1 event sent/);
      load.kill('SIGINT');
      const result = await load.done;
      assert.equal(result.code, 0, result.stderr);
      // README's way on an embedded store: the report once the run is over (no monitor beside it).
      const report = await runAspects(['load-test', 'report', '--json', ...connection]);
      assert.equal(report.code, 0, report.stderr);
      assert.match(report.stdout, /"run_id":"\w+"/);
      const session = await openChdbSession(folder);
      try {
        const [end] = session.query("SELECT extra FROM event_sink.load_test_runs WHERE event_type = 'end'", 'JSONEachRow').split('\n').filter(Boolean).map((line) => JSON.parse(line) as { extra: string });
        const sent = (JSON.parse(String(end?.extra)) as { sent_event_count: number }).sent_event_count;
        assert.ok(sent > 0);
        const rows = session.query('SELECT event_id, toString(emission_time) AS at, event FROM xapi.xapi_events_all', 'JSONEachRow').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, string>);
        assert.equal(rows.length, sent);
        for (const row of rows) {
          const statement = JSON.parse(String(row.event)) as { id: string; verb: { id: string }; actor: { account: { name: string } }; object: { id: string }; timestamp: string };
          assert.equal(statement.id, row.event_id);
          assert.match(statement.verb.id, /\/(registered|unregistered)$/);
          assert.match(statement.actor.account.name, /^[0-9a-f-]{36}$/);
          assert.equal(statement.object.id, 'http://localhost:18000/course/course-v1:Load+Test+2025');
          assert.equal(`${String(row.at).replace(' ', 'T')}+00:00`, statement.timestamp);
        }
      } finally {
        session.close();
      }
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
