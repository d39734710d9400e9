// No real Kafka was available here: these tests run kafkajs against a thin local fake broker
// (test/support/kafka-fake.ts) that answers from configured offsets and records every request,
// so they check the requests kafkajs makes and the lag arithmetic, not a real broker's behaviour.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openBackend, type BackendOptions } from '../../src/loadtest/backends.js';
import { clickHouseRows, clickHouseSql } from '../support/clickhouse.js';
import { runAspects } from '../support/cli.js';
import { testClickHouseServer, uniqueName } from '../support/env.js';
import { freePort } from '../support/servers.js';
import { startFakeKafka, type FakeKafka, type FakePartition, type SeenRequest } from '../support/kafka-fake.js';

const NO_BACKEND: BackendOptions = { backend: 'none', celeryQueues: ['', ''], redisStream: '', vectorUrl: '', vectorSink: '' };

/** Partition 0: 40 of 100 read (lag 60); 1: nothing committed, 10…25 kept (15); 2: no high watermark (0, whatever was committed). */
const partitions = (): FakePartition[] => [{ low: 0, high: 100, committed: 40 }, { low: 10, high: 25 }, { low: 0, high: -1, committed: 5 }];

const EXPECTED_LAG = '{"topic":"dev-analytics","partitions":[{"partition":0,"lag":60},{"partition":1,"lag":15},{"partition":2,"lag":0}],"lag":75}';

function bodies(fake: FakeKafka, api: string): SeenRequest['body'][] {
  return fake.requests.filter((request) => request.api === api).map((request) => request.body);
}

/** What the fake must have been asked for a sample of dev-analytics by analytics-service. */
function assertSampleRequests(fake: FakeKafka): void {
  const spoken = ['ApiVersions', 'Metadata', 'ListOffsets', 'FindCoordinator', 'OffsetFetch'];
  assert.deepEqual(fake.requests.filter((request) => !spoken.includes(request.api)), []);
  assert.ok(fake.requests.every((request) => request.clientId === 'aspects-monitor'));
  for (const metadata of bodies(fake, 'Metadata')) assert.deepEqual(metadata, { topics: ['dev-analytics'], allowAutoTopicCreation: false });
  // The latest (-1) then the earliest (-2) offset of every partition, committed reads only.
  const asked = bodies(fake, 'ListOffsets').slice(0, 2).map((body) => {
    const { isolationLevel, topics } = body as { isolationLevel: number; topics: { topic: string; partitions: { partition: number; timestamp: number }[] }[] };
    return { isolationLevel, topics: topics.map(({ topic, partitions: each }) => ({ topic, asked: each.map((p) => [p.partition, p.timestamp]).sort() })) };
  });
  assert.deepEqual(asked, [-1, -2].map((timestamp) => ({ isolationLevel: 1, topics: [{ topic: 'dev-analytics', asked: [[0, timestamp], [1, timestamp], [2, timestamp]] }] })));
  assert.deepEqual(bodies(fake, 'FindCoordinator')[0], { key: 'analytics-service', keyType: 0 });
  assert.deepEqual(bodies(fake, 'OffsetFetch')[0], { groupId: 'analytics-service', topics: [{ topic: 'dev-analytics', partitions: [0, 1, 2] }] });
}

describe('monitor backend kafka_bus, against a thin fake Kafka broker', () => {
  it('reads each partition\'s lag: high − committed, high − low when nothing is committed, 0 without a high watermark', async () => {
    const fake = await startFakeKafka({ topic: 'dev-analytics', group: 'analytics-service', partitions: partitions() });
    try {
      const probe = await openBackend({ ...NO_BACKEND, backend: 'kafka_bus', kafka: { brokers: [`127.0.0.1:${fake.port}`], topic: 'dev-analytics', group: 'analytics-service' } });
      try {
        const sample = await probe.sample();
        assert.equal(probe.name, 'kafka_bus');
        assert.equal(JSON.stringify(sample.data), EXPECTED_LAG);
        assert.equal(sample.lag, 75);
      } finally {
        await probe.close();
      }
      assert.equal(fake.requests[0]?.api, 'ApiVersions');
      assertSampleRequests(fake);
    } finally {
      await fake.close();
    }
  });

  it('logs in with SASL PLAIN', async () => {
    const fake = await startFakeKafka({ topic: 'dev-analytics', group: 'analytics-service', partitions: partitions(), sasl: { username: 'aspects', password: 'kafka-Secret-3' } });
    try {
      const sasl = { mechanism: 'plain', username: 'aspects', password: 'kafka-Secret-3' } as const;
      const probe = await openBackend({ ...NO_BACKEND, backend: 'kafka_bus', kafka: { brokers: [`127.0.0.1:${fake.port}`], topic: 'dev-analytics', group: 'analytics-service', sasl } });
      try {
        assert.equal((await probe.sample()).lag, 75);
      } finally {
        await probe.close();
      }
      assert.deepEqual(fake.requests.slice(0, 3).map((request) => [request.api, request.body]), [
        ['ApiVersions', {}], ['SaslHandshake', { mechanism: 'PLAIN' }], ['SaslAuthenticate', { username: 'aspects', password: 'kafka-Secret-3' }],
      ]);
    } finally {
      await fake.close();
    }
  });

  it('fails within seconds, not minutes, when no broker listens', async () => {
    const port = await freePort();
    const started = performance.now();
    await assert.rejects(
      openBackend({ ...NO_BACKEND, backend: 'kafka_bus', kafka: { brokers: [`127.0.0.1:${port}`], topic: 'dev-analytics', group: 'analytics-service' } }),
      new RegExp(`cannot connect to Kafka 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`),
    );
    assert.ok(performance.now() - started < 10_000, `took ${Math.round(performance.now() - started)} ms`);
  });

  it('the CLI without brokers: exit 2 and one line', async () => {
    const result = await runAspects(['monitor', '--backend', 'kafka_bus']);
    assert.equal(result.code, 2);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /^aspects: this backend reads Kafka: pass --kafka-brokers[^\n]*\n$/);
  });

  it('the CLI with a wrong SASL password: exit 1, one line, the password nowhere', async () => {
    const fake = await startFakeKafka({ topic: 'dev-analytics', group: 'analytics-service', partitions: partitions(), sasl: { username: 'aspects', password: 'right-Secret-1' } });
    try {
      const result = await runAspects(['monitor', '--backend', 'kafka_bus', '--kafka-brokers', `127.0.0.1:${fake.port}`, '--kafka-sasl', 'plain', '--kafka-username', 'aspects'],
        { ASPECTS_MONITOR_KAFKA_PASSWORD: 'wrong-Secret-7' });
      assert.equal(result.code, 1);
      assert.match(result.stderr, /^aspects: cannot connect to Kafka [^\n]*SASL PLAIN authentication failed[^\n]*\n$/);
      assert.ok(!(result.stdout + result.stderr).includes('wrong-Secret-7'));
      assert.deepEqual(bodies(fake, 'SaslAuthenticate'), [{ username: 'aspects', password: 'wrong-Secret-7' }]);
    } finally {
      await fake.close();
    }
  });

  it('the monitor, brokers from the config file, stores the lag of dev-analytics in its samples and stops once it is drained', async () => {
    const url = await testClickHouseServer();
    const database = uniqueName('aspects_kafka');
    const offsets = partitions();
    const fake = await startFakeKafka({ topic: 'dev-analytics', group: 'analytics-service', partitions: offsets });
    const folder = mkdtempSync(join(tmpdir(), 'aspects-kafka-'));
    try {
      const config = join(folder, 'lms.yml');
      // Its own xAPI database too, so no other test's tables are in the way.
      writeFileSync(config, JSON.stringify({
        EVENT_SINK_CLICKHOUSE_BACKEND_CONFIG: { url, database, xapi_database: database }, EVENT_BUS_KAFKA_BOOTSTRAP_SERVERS: `127.0.0.1:${fake.port}`,
      }));
      assert.equal((await runAspects(['schema', 'init', '--xapi', '--config', config])).code, 0);
      let step: 'connecting' | 'sampling' | 'drained' = 'connecting';
      let stop: ((signal: NodeJS.Signals) => void) | undefined;
      let load: Promise<unknown> = Promise.resolve();
      const timer = setTimeout(() => stop?.('SIGKILL'), 30_000);
      const monitor = await runAspects(['monitor', '--backend', 'kafka_bus', '--sleep-time', '0.2', '--config', config], {}, (stderr, kill) => {
        stop = kill;
        if (step === 'connecting' && stderr.includes('waiting for a load-test run')) {
          step = 'sampling';
          load = runAspects(['load-test', '--target', 'clickhouse', '--yes', '--num-events', '5', '--sleep-time', '0', '--config', config]);
        } else if (step === 'sampling' && stderr.includes('"lag": 75}}')) {
          step = 'drained';
          offsets[0] = { low: 0, high: 100, committed: 100 };
          offsets[1] = { low: 10, high: 25, committed: 25 };
        }
      });
      clearTimeout(timer);
      await load;
      assert.equal(monitor.code, 0, monitor.stderr);
      assert.equal(step, 'drained');
      const runId = /monitored run (\S+)/.exec(monitor.stdout)?.[1];
      assert.ok(runId, monitor.stdout);
      // Samples taken in the same second share a timestamp: compare the set of what was stored.
      const stored = await clickHouseRows(url, `SELECT stats FROM ${database}.load_test_stats WHERE run_id = '${runId}'`);
      const kafkaSamples = new Set(stored.map((row) => JSON.stringify((JSON.parse(String(row.stats)) as { kafka_bus: unknown }).kafka_bus)));
      const drained = { topic: 'dev-analytics', partitions: [0, 1, 2].map((partition) => ({ partition, lag: 0 })), lag: 0 };
      assert.deepEqual([...kafkaSamples].sort(), [EXPECTED_LAG, JSON.stringify(drained)].sort());
      assertSampleRequests(fake);
    } finally {
      await fake.close();
      rmSync(folder, { recursive: true, force: true });
      await clickHouseSql(url, `DROP DATABASE IF EXISTS ${database}`);
    }
  });
});
