import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { clickHouseRows, clickHouseSql } from '../support/clickhouse.js';
import { oneErrorLine, runAspects, startAspects, type CliResult } from '../support/cli.js';
import { startTestCluster, TEST_CLUSTER_NAME, type ClusterReplica, type TestCluster } from '../support/cluster.js';
import { uniqueName, type TestLms } from '../support/env.js';
import { assertSameRows, expectedRows } from '../support/expected.js';
import { randomShareOfRequests, startHttpFaultProxy } from '../support/fault-proxy.js';
import { filledLms, jsonSummary } from '../support/scenario.js';
import { logged } from '../faults/support.js';

// Dumps into a real replicated cluster (ZooKeeper, ClickHouse 18.16: shard 1 = r1, r2; shard 2 = r3)
// through haproxy. A replica is made to lag with SYSTEM STOP FETCHES after a run wrote through the
// other one; what a run reads must still be everything earlier runs wrote, so no unchanged row is
// written again and every count is true.

const USERS = 600;
const DUMP = ['dump', '--object', 'user_profile', '--sleep-time', '0', '--json'];

describe('dumps on a replicated cluster behind a load balancer', () => {
  let cluster: TestCluster;
  let lms: TestLms;
  let r1: ClusterReplica;
  let r2: ClusterReplica;
  const databases: string[] = [];
  let changes = 0;
  before(async () => {
    [cluster, lms] = await Promise.all([startTestCluster(), filledLms({ users: USERS, seed: 91 })]);
    [r1, r2] = cluster.replicas as [ClusterReplica, ClusterReplica];
  });
  after(async () => {
    for (const database of databases) await clickHouseSql(r1.url, `DROP DATABASE IF EXISTS ${database} ON CLUSTER ${TEST_CLUSTER_NAME}`).catch(() => undefined);
    await lms?.drop();
    await cluster?.stop();
  });

  const env = (database: string, url: string, extra: Record<string, string> = {}): Record<string, string> => ({
    ASPECTS_MYSQL_URL: lms.url, ASPECTS_CLICKHOUSE_URL: url, ASPECTS_CLICKHOUSE_DATABASE: database,
    ASPECTS_CLICKHOUSE_CLUSTER: TEST_CLUSTER_NAME, ASPECTS_ENABLE_PII: 'true', ...extra,
  });
  /** A new database made by the tool's own `schema init --cluster`, through the balancer. */
  async function clusterDatabase(layout: string[] = []): Promise<string> {
    const database = uniqueName('aspects_cl');
    databases.push(database);
    const init = await runAspects(['schema', 'init', '--cluster', TEST_CLUSTER_NAME, ...layout], env(database, cluster.roundRobinUrl));
    assert.equal(init.code, 0, init.stderr);
    return database;
  }
  const written = (result: CliResult): unknown => jsonSummary(result).objects[0]?.rows_written;
  const rowsOn = async (replica: ClusterReplica, database: string, table = 'user_profile'): Promise<number> =>
    Number((await clickHouseRows(replica.url, `SELECT count() AS n FROM ${database}.${table}`))[0]?.n);
  /** Changes `count` profiles in the LMS (new names), so that the next incremental run has exactly that many to write. */
  async function changeProfiles(count: number): Promise<void> {
    changes += 1;
    await lms.db.query(`UPDATE auth_userprofile SET name = CONCAT('change ${changes} of ', id) WHERE id IN (SELECT id FROM (SELECT id FROM auth_userprofile ORDER BY id LIMIT ${count}) AS first)`);
  }
  const stopFetches = (replica: ClusterReplica, database: string) => clickHouseSql(replica.url, `SYSTEM STOP FETCHES ${database}.user_profile`);
  async function catchUp(replica: ClusterReplica, database: string): Promise<void> {
    await clickHouseSql(replica.url, `SYSTEM START FETCHES ${database}.user_profile`);
    await clickHouseSql(replica.url, `SYSTEM SYNC REPLICA ${database}.user_profile`);
  }
  /** A database with every profile dumped, then `changes` of them written through r2 alone while r1 fetches nothing: r1 lags. */
  async function withLaggingR1(changes: number): Promise<string> {
    const database = await clusterDatabase();
    assert.equal(written(await runAspects(DUMP, env(database, cluster.roundRobinUrl))), USERS);
    await clickHouseSql(r2.url, `SYSTEM SYNC REPLICA ${database}.user_profile`);
    await stopFetches(r1, database);
    await changeProfiles(changes);
    assert.equal(written(await runAspects(DUMP, env(database, cluster.roundRobinUrl, { ASPECTS_CLICKHOUSE_REPLICAS: r2.url }))), changes);
    return database;
  }
  /** The run succeeded, and both replicas of shard 1 hold every profile exactly once (count() = uniqExact(id) = rows in the LMS). */
  async function assertEveryRowOnce(result: CliResult, database: string): Promise<void> {
    assert.equal(result.code, 0, result.stderr);
    assert.equal(written(result), USERS);
    await clickHouseSql(r2.url, `SYSTEM SYNC REPLICA ${database}.user_profile`);
    for (const replica of [r1, r2]) {
      const [row] = await clickHouseRows(replica.url, `SELECT count() AS rows, uniqExact(id) AS keys FROM ${database}.user_profile`);
      assert.deepEqual({ rows: Number(row?.rows), keys: Number(row?.keys) }, { rows: USERS, keys: USERS }, replica.name);
    }
  }
  /** Each profile's newest version on `replica` equals the LMS, field by field. */
  async function assertNewestRight(replica: ClusterReplica, database: string, table = 'user_profile'): Promise<void> {
    const newest = await clickHouseRows(replica.url, `SELECT * FROM ${database}.${table} WHERE (id, time_last_dumped) GLOBAL IN (SELECT id, max(time_last_dumped) FROM ${database}.${table} GROUP BY id)`);
    assertSameRows(newest, await expectedRows(lms.db, 'user_profile'), 'id');
  }

  it('a replica that lags is passed over: the run reads the one that has every part, writes nothing unchanged', async () => {
    const database = await withLaggingR1(93);
    for (let run = 0; run < 4; run += 1) {
      // The last run names no cluster: the tool finds the only one this server belongs to.
      const again = await runAspects(DUMP, env(database, cluster.roundRobinUrl, run === 3 ? { ASPECTS_CLICKHOUSE_CLUSTER: '' } : {}));
      assert.equal(again.code, 0, again.stderr);
      assert.equal(written(again), 0, `run ${run} wrote unchanged rows:\n${again.stderr}`);
      assert.match(again.stderr, new RegExp(`reading and writing replica ${r2.host.replaceAll('.', '\\.')} of cluster ${TEST_CLUSTER_NAME} \\(passed over ${r1.host.replaceAll('.', '\\.')}: user_profile: \\d+ (inserted part|replication log entr)`));
      if (run === 3) assert.match(again.stderr, /\(found in system\.clusters as the only one of this server: name it with ASPECTS_CLICKHOUSE_CLUSTER\)/);
    }
    assert.deepEqual([await rowsOn(r1, database), await rowsOn(r2, database)], [USERS, USERS + 93], 'r1 still lags, r2 holds every version once');
    const status = await runAspects(['status', '--object', 'user_profile', '--json', '--fail-on-stale'], env(database, cluster.roundRobinUrl));
    assert.equal(status.code, 0, status.stdout + status.stderr);
    const [profiles] = (JSON.parse(status.stdout) as { objects: { clickhouse_keys: number; missing_keys: number }[] }).objects;
    assert.deepEqual([profiles?.clickhouse_keys, profiles?.missing_keys], [USERS, 0]);
    await catchUp(r1, database);
    assert.equal(await rowsOn(r1, database), USERS + 93);
    await assertNewestRight(r1, database);
  });

  it('random balancing with a lagging replica: six runs of 90 changes write 540 rows, none fails (the first through r2 alone)', async () => {
    const database = await withLaggingR1(90);
    const counts: unknown[] = [];
    for (let run = 1; run < 6; run += 1) {
      await changeProfiles(90);
      const result = await runAspects(DUMP, env(database, cluster.randomUrl));
      assert.equal(result.code, 0, result.stderr);
      counts.push(written(result));
    }
    assert.deepEqual(counts, [90, 90, 90, 90, 90]);
    assert.equal(await rowsOn(r2, database), USERS + 540);
    await catchUp(r1, database);
    assert.equal(await rowsOn(r1, database), USERS + 540);
    await assertNewestRight(r2, database);
  });

  it('insert answers lost while a replica lags: the check of what landed reads the run\'s replica, nothing is sent twice', async () => {
    const database = await withLaggingR1(50);
    const port = Number(new URL(r2.url).port);
    const proxy = await startHttpFaultProxy(port, randomShareOfRequests('INSERT INTO', 0.5, 7, 'drop-response'), r2.host);
    try {
      await changeProfiles(400);
      const replicas = `http://127.0.0.1:${proxy.port},${r1.url}`;
      const result = await runAspects([...DUMP, '--batch-size', '50', '--insert-rows', '50'], env(database, cluster.roundRobinUrl, { ASPECTS_CLICKHOUSE_REPLICAS: replicas }));
      assert.equal(result.code, 0, result.stderr);
      assert.ok(proxy.played['drop-response'] >= 2, `only ${proxy.played['drop-response']} answers lost`);
      assert.match(result.stderr, /the answer to an insert into user_profile was lost \(.*\); all \d+ rows had landed/);
      assert.equal(written(result), 400);
    } finally {
      await proxy.close();
    }
    assert.equal(await rowsOn(r2, database), USERS + 450);
    await catchUp(r1, database);
    assert.equal(await rowsOn(r1, database), USERS + 450);
    await assertNewestRight(r1, database);
  });

  it('no replica up to date within the timeout: one line naming each and why, nothing written', async () => {
    const database = await withLaggingR1(20);
    await r2.kill();
    try {
      const result = await runAspects(DUMP.filter((arg) => arg !== '--json'), env(database, r1.url, { ASPECTS_CLICKHOUSE_TIMEOUT: '3' }));
      assert.equal(result.code, 1, result.stderr);
      const line = oneErrorLine(result);
      assert.match(line, new RegExp(`^aspects: no replica of cluster ${TEST_CLUSTER_NAME} is up to date after 3 s \\(127\\.0\\.0\\.11: user_profile: \\d+ (inserted part|replication log entr).*; 127\\.0\\.0\\.12: unreachable \\(.*ECONNREFUSED.*\\); 127\\.0\\.0\\.13: holds other tables \\(another shard\\)\\); nothing was read or written`));
      assert.equal(await rowsOn(r1, database), USERS);
    } finally {
      await r2.start();
    }
    await catchUp(r1, database);
    assert.equal(await rowsOn(r1, database), USERS + 20);
  });

  it('the run\'s replica paused (SIGSTOP) during its writes: the run waits for it and every row lands once', async () => {
    const database = await clusterDatabase();
    const run = startAspects([...DUMP, '--batch-size', '50', '--insert-rows', '50', '--sleep-time', '0.2', '--retry-for', '120'],
      env(database, cluster.roundRobinUrl, { ASPECTS_CLICKHOUSE_TIMEOUT: '2' }));
    await logged(run, /user_profile: batch 2,/);
    r1.pause();
    try {
      await logged(run, /retrying|timed out|Timeout/i);
    } finally {
      r1.resume();
    }
    await assertEveryRowOnce(await run.done, database);
  });

  it('ZooKeeper paused past its session timeout during a dump: the expired session is retried, every row lands once', async () => {
    const database = await clusterDatabase();
    const run = startAspects([...DUMP, '--batch-size', '50', '--insert-rows', '50', '--sleep-time', '0.2', '--retry-for', '120'], env(database, cluster.roundRobinUrl));
    await logged(run, /user_profile: batch 2,/);
    cluster.zookeeper.pause();
    try {
      await logged(run, /retrying/i);
      // The fault's length, not a wait for readiness: past the 6 s session timeout, so that the session expires.
      await new Promise((resolve) => setTimeout(resolve, 8000));
    } finally {
      cluster.zookeeper.resume();
    }
    await assertEveryRowOnce(await run.done, database);
  });

  it('an earlier run\'s staging table on another replica is dropped before the run writes, and said so', async () => {
    const database = await clusterDatabase();
    // What a run that died while talking to r2 leaves there: a staging table nobody will publish.
    const staging = `_aspects_staging_user_profile_${'0'.repeat(31)}1_1`;
    await clickHouseSql(r2.url, `CREATE TABLE ${database}.${staging} AS ${database}.user_profile ENGINE = StripeLog`);
    await clickHouseSql(r2.url, `INSERT INTO ${database}.${staging} (id, user_id, name) VALUES (1, 1, 'left over')`);
    const result = await runAspects(DUMP, env(database, cluster.roundRobinUrl));
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /user_profile: dropped 1 staging table of an earlier run, so nothing of it can land any more/);
    assert.match(result.stderr, new RegExp(`reading and writing replica ${r1.host.replaceAll('.', '\\.')} `));
    assert.equal(Number((await clickHouseRows(r2.url, `SELECT count() AS n FROM system.tables WHERE database = '${database}' AND name = '${staging}'`))[0]?.n), 0);
  });

  it('through Distributed tables over two shards: every key stored once, and the next run writes nothing', async () => {
    const database = await clusterDatabase(['--sharded']);
    const first = await runAspects(DUMP, env(database, cluster.roundRobinUrl));
    assert.equal(first.code, 0, first.stderr);
    assert.equal(written(first), USERS);
    const again = await runAspects(DUMP, env(database, cluster.roundRobinUrl));
    assert.equal(again.code, 0, again.stderr);
    assert.equal(written(again), 0, again.stderr);
    const [row] = await clickHouseRows(r1.url, `SELECT count() AS rows, uniqExact(id) AS keys FROM ${database}.user_profile`);
    assert.deepEqual({ rows: Number(row?.rows), keys: Number(row?.keys) }, { rows: USERS, keys: USERS });
    const r3 = cluster.replicas[2] as ClusterReplica;
    const onShards = [await rowsOn(r1, database, 'user_profile_local'), await rowsOn(r3, database, 'user_profile_local')];
    assert.ok(onShards.every((rows) => rows > 0), `rows per shard: ${onShards.join(', ')}`);
    assert.equal(onShards[0]! + onShards[1]!, USERS);
    await assertNewestRight(r1, database);
  });

  it('through Distributed tables, another shard is read and written on its first replica, checked up to date; when that one lags, the run says so', async () => {
    const database = await clusterDatabase(['--sharded']);
    const r3 = cluster.replicas[2] as ClusterReplica;
    const viaShard2 = (extra: Record<string, string> = {}) => runAspects(DUMP, env(database, r3.url, extra));
    assert.equal(written(await viaShard2()), USERS);
    await clickHouseSql(r2.url, `SYSTEM SYNC REPLICA ${database}.user_profile_local`);
    await clickHouseSql(r2.url, `SYSTEM STOP FETCHES ${database}.user_profile_local`);
    const counts: unknown[] = [];
    for (let run = 0; run < 4; run += 1) {
      await changeProfiles(30);
      // A run right after the changes, then one with none: a read of lagging r2 would find 30 "changed" again.
      for (const result of [await viaShard2(), await viaShard2()]) {
        assert.equal(result.code, 0, result.stderr);
        counts.push(written(result));
      }
    }
    assert.deepEqual(counts, [30, 0, 30, 0, 30, 0, 30, 0], 'no unchanged row written again');
    // Now the first replica of shard 1 misses a part its peer took: no run may read it.
    await clickHouseSql(r2.url, `SYSTEM START FETCHES ${database}.user_profile_local`);
    await clickHouseSql(r2.url, `SYSTEM SYNC REPLICA ${database}.user_profile_local`);
    await clickHouseSql(r1.url, `SYSTEM STOP FETCHES ${database}.user_profile_local`);
    await clickHouseSql(r2.url, `INSERT INTO ${database}.user_profile_local (id, user_id, name) VALUES (${USERS + 1000}, ${USERS + 1000}, 'written elsewhere')`);
    const stale = await runAspects(DUMP.filter((arg) => arg !== '--json'), env(database, r3.url, { ASPECTS_CLICKHOUSE_TIMEOUT: '3' }));
    assert.equal(stale.code, 1, stale.stderr);
    assert.match(oneErrorLine(stale), /^aspects: no replica of cluster aspects_cluster is up to date after 3 s \(127\.0\.0\.11 \(read first for its shard\): user_profile_local: \d+ (inserted part|replication log entr)[^;]*\); nothing was read or written/);
    await clickHouseSql(r1.url, `SYSTEM START FETCHES ${database}.user_profile_local`);
  });
});
