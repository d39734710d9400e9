import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTableSql, dialectOf, EVENT_SINK_TABLES } from '../../src/clickhouse/ddl.js';
import { clickHouseRows, clickHouseSql } from '../support/clickhouse.js';
import { oneErrorLine, runAspects } from '../support/cli.js';
import { startTestCluster, TEST_CLUSTER_NAME, type TestCluster } from '../support/cluster.js';
import { uniqueName } from '../support/env.js';

// `schema init --cluster` and `schema status` on a real cluster: ZooKeeper, three ClickHouse 18.16
// servers (shard 1: r1, r2; shard 2: r3) and haproxy round-robin over shard 1.

const TABLES = EVENT_SINK_TABLES.map((table) => table.name).sort();

describe('schema on a replicated, sharded cluster (ClickHouse 18.16)', () => {
  let cluster: TestCluster;
  const databases: string[] = [];
  before(async () => { cluster = await startTestCluster(); });
  after(async () => {
    for (const database of databases) await clickHouseSql(cluster.replicas[0]?.url ?? '', `DROP DATABASE IF EXISTS ${database} ON CLUSTER ${TEST_CLUSTER_NAME}`).catch(() => undefined);
    await cluster.stop();
  });
  const newDatabase = (): string => {
    const database = uniqueName('aspects_cluster');
    databases.push(database);
    return database;
  };
  const env = (database: string, extra: Record<string, string> = {}) => ({ ASPECTS_CLICKHOUSE_URL: cluster.roundRobinUrl, ASPECTS_CLICKHOUSE_DATABASE: database, ...extra });

  it('init --cluster makes replicated tables with explicit ZooKeeper paths on every server, and status checks each server\'s engines', async () => {
    const database = newDatabase();
    const init = await runAspects(['schema', 'init', '--cluster', TEST_CLUSTER_NAME], env(database));
    assert.equal(init.code, 0, init.stderr);
    assert.match(init.stdout, new RegExp(`event_sink tables ready in ${database} on every server of cluster ${TEST_CLUSTER_NAME}`));
    for (const replica of cluster.replicas) {
      const rows = await clickHouseRows(replica.url, `SELECT t.name AS name, t.engine AS engine, r.zookeeper_path AS path, r.replica_name AS replica FROM system.tables AS t
        LEFT JOIN system.replicas AS r ON r.database = t.database AND r.table = t.name WHERE t.database = '${database}' ORDER BY name`);
      // The tool's own marks table: on every server, each its own (a server's older marks only make a run read more).
      const marks = rows.filter((row) => row.name === 'aspects_run_marks');
      assert.deepEqual(marks.map((row) => row.engine), ['ReplacingMergeTree'], replica.name);
      const contract = rows.filter((row) => row.name !== 'aspects_run_marks');
      assert.deepEqual(contract.map((row) => row.name), TABLES, replica.name);
      for (const row of contract) {
        const table = EVENT_SINK_TABLES.find((each) => each.name === row.name);
        assert.equal(row.engine, `Replicated${table?.engine}`, `${replica.name} ${row.name}`);
        assert.equal(row.path, `/clickhouse/tables/${replica.shard}/${database}/${row.name}`);
        assert.equal(row.replica, replica.name);
      }
    }
    const status = await runAspects(['schema', 'status', '--json'], env(database, { ASPECTS_CLICKHOUSE_CLUSTER: TEST_CLUSTER_NAME }));
    assert.equal(status.code, 0, status.stderr);
    assert.deepEqual(JSON.parse(status.stdout), { command: 'schema status', database, cluster: TEST_CLUSTER_NAME, matches: true, differences: [] });

    // One server's table made plain (as a hand-made table on one replica would be): named, with its server.
    const r2 = cluster.replicas[1] ?? assert.fail('no r2');
    const profile = EVENT_SINK_TABLES.find((each) => each.name === 'user_profile') ?? assert.fail('no user_profile');
    await clickHouseSql(r2.url, `DROP TABLE ${database}.user_profile`);
    await clickHouseSql(r2.url, createTableSql(profile, database, dialectOf('18.16.1')));
    const drift = await runAspects(['schema', 'status'], env(database, { ASPECTS_CLICKHOUSE_CLUSTER: TEST_CLUSTER_NAME }));
    assert.equal(drift.code, 3, drift.stderr);
    assert.equal(drift.stdout.trim(), `${r2.host}: other engine: user_profile (expected ReplicatedReplacingMergeTree, found ReplacingMergeTree)`);
  });

  it('init --sharded makes local replicated tables on each shard and Distributed tables over them; status follows them', async () => {
    const database = newDatabase();
    const init = await runAspects(['schema', 'init', '--cluster', TEST_CLUSTER_NAME, '--sharded'], env(database));
    assert.equal(init.code, 0, init.stderr);
    for (const replica of cluster.replicas) {
      const engines = await clickHouseRows(replica.url, `SELECT name, engine FROM system.tables WHERE database = '${database}' AND name = 'user_profile' OR name = 'user_profile_local' AND database = '${database}' ORDER BY name`);
      assert.deepEqual(engines, [{ name: 'user_profile', engine: 'Distributed' }, { name: 'user_profile_local', engine: 'ReplicatedReplacingMergeTree' }], replica.name);
    }
    const status = await runAspects(['schema', 'status'], env(database, { ASPECTS_CLICKHOUSE_CLUSTER: TEST_CLUSTER_NAME }));
    assert.equal(status.code, 0, status.stdout + status.stderr);
    assert.equal(status.stdout.trim(), `schema of ${database} matches on every server of cluster ${TEST_CLUSTER_NAME}`);
  });

  it('shows a server\'s error whole on one line, and refuses layout flags without a cluster', async () => {
    const database = newDatabase();
    const failed = await runAspects(['schema', 'init', '--cluster', TEST_CLUSTER_NAME, '--replica-name', '{no_such_macro}'], env(database));
    assert.equal(failed.code, 1);
    assert.match(oneErrorLine(failed), /^aspects: schema init failed: .*no_such_macro/);
    const usage = await runAspects(['schema', 'init', '--sharded'], env(database));
    assert.equal(usage.code, 2);
    assert.equal(oneErrorLine(usage), 'aspects: --sharded needs --cluster (or ASPECTS_CLICKHOUSE_CLUSTER)');
  });
});
