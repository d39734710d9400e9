import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { clickHouseRows, clickHouseSql } from '../support/clickhouse.js';
import { runAspects } from '../support/cli.js';
import { startTestCluster, TEST_CLUSTER_NAME, type ClusterReplica, type TestCluster } from '../support/cluster.js';
import { uniqueName, type TestLms } from '../support/env.js';
import { filledLms, scalar } from '../support/scenario.js';

// `retire` on a real cluster (ZooKeeper, ClickHouse 18.16: shard 1 = r1, r2; shard 2 = r3): it
// deletes on every shard, verifies every replica, and never says verified while one that may hold
// the rows does not answer.

const USERS = 120;
const RETIRED = Array.from({ length: 30 }, (_, index) => index + 1);
const PII = ['user_profile', 'external_id'];

interface RetireJson { status: string; tables: { table: string; status: string; rows_matched: number; rows_remaining: number | null; unreachable_replicas?: string[] }[] }

describe('retire on a replicated, sharded cluster', () => {
  let cluster: TestCluster;
  let lms: TestLms;
  let replicas: ClusterReplica[];
  const databases: string[] = [];
  before(async () => {
    [cluster, lms] = await Promise.all([startTestCluster(), filledLms({ users: USERS, seed: 17 })]);
    replicas = [...cluster.replicas];
  });
  after(async () => {
    for (const database of databases) await clickHouseSql(replicas[0]?.url ?? '', `DROP DATABASE IF EXISTS ${database} ON CLUSTER ${TEST_CLUSTER_NAME}`).catch(() => undefined);
    await lms?.drop();
    await cluster?.stop();
  });

  const env = (database: string): Record<string, string> => ({
    ASPECTS_MYSQL_URL: lms.url, ASPECTS_CLICKHOUSE_URL: cluster.roundRobinUrl, ASPECTS_CLICKHOUSE_DATABASE: database,
    ASPECTS_CLICKHOUSE_CLUSTER: TEST_CLUSTER_NAME, ASPECTS_ENABLE_PII: 'true',
  });
  /** A database made by `schema init --cluster` and filled by a dump of the PII objects. */
  async function dumped(layout: string[] = []): Promise<string> {
    const database = uniqueName('aspects_rt');
    databases.push(database);
    assert.equal((await runAspects(['schema', 'init', '--cluster', TEST_CLUSTER_NAME, ...layout], env(database))).code, 0);
    const dump = await runAspects(['dump', '--object', 'user_profile', '--object', 'external_id', '--sleep-time', '0'], env(database));
    assert.equal(dump.code, 0, dump.stderr);
    return database;
  }
  /** Rows of the retired users in one table as `replica` stores them (its local table in a sharded layout). */
  const retiredRowsOn = async (replica: ClusterReplica, table: string): Promise<number> =>
    Number((await clickHouseRows(replica.url, `SELECT count() AS n FROM ${table} WHERE user_id <= ${RETIRED.length}`))[0]?.n);
  // A server that does not answer is asked again for --clickhouse-timeout (here 8 s), once per run.
  const retire = (database: string) => runAspects(['retire', '--json', '--wait', '20', '--user-ids', RETIRED.join(',')], { ...env(database), ASPECTS_CLICKHOUSE_TIMEOUT: '8' });

  it('a replica down: the delete is not called verified (exit 1, the replica named); once it is back, a rerun verifies it', async () => {
    const database = await dumped();
    const [r1, r2] = replicas as [ClusterReplica, ClusterReplica];
    for (const table of PII) await clickHouseSql(r2.url, `SYSTEM SYNC REPLICA ${database}.${table}`);
    const before = await retiredRowsOn(r2, `${database}.user_profile`);
    assert.equal(before, RETIRED.length);
    await r2.kill();
    let down;
    try {
      down = await retire(database);
    } finally {
      await r2.start();
    }
    assert.equal(down.code, 1, down.stderr);
    assert.match(down.stderr, /not verified on 127\.0\.0\.12 \(.*\), which did not answer and may still hold their rows: run the same command again once it is up/);
    const first = JSON.parse(down.stdout) as RetireJson;
    assert.equal(first.status, 'failed');
    for (const result of first.tables) {
      assert.equal(result.status, 'failed');
      assert.equal(result.rows_remaining, 0, 'nothing left where it could be counted');
      assert.match(result.unreachable_replicas?.join() ?? '', /^127\.0\.0\.12 /);
    }
    for (const table of PII) assert.equal(await retiredRowsOn(r1, `${database}.${table}`), 0);

    const again = await retire(database);
    assert.equal(again.code, 0, again.stderr);
    assert.equal((JSON.parse(again.stdout) as RetireJson).status, 'success');
    for (const replica of [r1, r2]) for (const table of PII) assert.equal(await retiredRowsOn(replica, `${database}.${table}`), 0, `${replica.name} ${table}`);
  });

  it('Distributed tables over two shards: deletes on each shard\'s local tables, verified on every replica', async () => {
    const database = await dumped(['--sharded']);
    const local = (table: string) => `${database}.${table}_local`;
    const onShards = await Promise.all(replicas.map((replica) => retiredRowsOn(replica, local('user_profile'))));
    assert.ok(onShards[0]! > 0 && onShards[2]! > 0, `retired users' rows per server: ${onShards.join(', ')}`);
    const result = await retire(database);
    assert.equal(result.code, 0, result.stderr);
    const summary = JSON.parse(result.stdout) as RetireJson;
    assert.equal(summary.status, 'success');
    const externalIds = await scalar(lms, `SELECT COUNT(*) FROM external_user_ids_externalid WHERE user_id <= ${RETIRED.length}`);
    assert.deepEqual(summary.tables.map((each) => [each.table, each.rows_matched, each.rows_remaining]),
      [['user_profile', RETIRED.length, 0], ['external_id', externalIds, 0]]);
    for (const replica of replicas) for (const table of PII) assert.equal(await retiredRowsOn(replica, local(table)), 0, `${replica.name} ${table}`);
  });

  it('dump --prune on Distributed tables over two shards: the LMS\'s deleted keys leave every shard and replica, nothing else does', async () => {
    const database = uniqueName('aspects_pr');
    databases.push(database);
    assert.equal((await runAspects(['schema', 'init', '--cluster', TEST_CLUSTER_NAME, '--sharded'], env(database))).code, 0);
    const dump = await runAspects(['dump', '--object', 'course_enrollment', '--sleep-time', '0'], env(database));
    assert.equal(dump.code, 0, dump.stderr);
    const [rows] = await lms.db.query('SELECT id FROM student_courseenrollment ORDER BY id LIMIT 7 OFFSET 20') as unknown as [{ id: number }[]];
    const gone = rows.map((row) => row.id);
    await lms.db.query('DELETE FROM student_courseenrollment WHERE id IN (?)', [gone]);
    const pruned = await runAspects(['dump', '--object', 'course_enrollment', '--prune', '--sleep-time', '0', '--json'], env(database));
    assert.equal(pruned.code, 0, pruned.stderr);
    const object = (JSON.parse(pruned.stdout.trim().split('\n').pop() as string) as { objects: { keys_pruned: number; rows_pruned: number }[] }).objects[0];
    assert.deepEqual([object?.keys_pruned, object?.rows_pruned], [gone.length, gone.length]);
    for (const replica of replicas) {
      const left = await clickHouseRows(replica.url, `SELECT count() AS n FROM ${database}.course_enrollment_local WHERE id IN (${gone.join(', ')})`);
      assert.equal(Number(left[0]?.n), 0, replica.name);
    }
    const [total] = await clickHouseRows(replicas[0]?.url ?? '', `SELECT count() AS n, uniqExact(id) AS keys FROM ${database}.course_enrollment`);
    const inLms = await scalar(lms, 'SELECT COUNT(*) FROM student_courseenrollment');
    assert.deepEqual([Number(total?.n), Number(total?.keys)], [inLms, inLms]);
  });
});
