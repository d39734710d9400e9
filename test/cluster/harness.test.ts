import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { clickHouseSql } from '../support/clickhouse.js';
import { askZooKeeper, startTestCluster, TEST_CLUSTER_NAME, type ClusterReplica, type TestCluster } from '../support/cluster.js';
import { uniqueName } from '../support/env.js';
import { reachable } from '../support/servers.js';

/** Resolves once `check` holds (asked every 100 ms; throwing counts as not yet); rejects naming `what` and the last error after `timeoutMs`. */
async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'none';
  for (;;) {
    try {
      if (await check()) return;
    } catch (error) {
      last = (error as Error).message;
    }
    if (Date.now() >= deadline) throw new Error(`${what}: not within ${timeoutMs / 1000}s (last error: ${last})`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

// ClickHouse 18.16 has no getMacro().
const WHO_ANSWERS = "SELECT substitution FROM system.macros WHERE macro = 'replica'";

// The harness itself: a real ZooKeeper, shard 1 = r1 + r2, shard 2 = r3, and haproxy before r1 and r2.
describe('the test cluster', () => {
  let cluster: TestCluster;
  const db = uniqueName('aspects_cluster');
  const replica = (name: string): ClusterReplica => cluster.replicas.find((candidate) => candidate.name === name) ?? assert.fail(`no replica ${name}`);
  const sql = (name: string, text: string): Promise<string> => clickHouseSql(replica(name).url, text).then((body) => body.trim());
  const count = async (name: string, k: number): Promise<number> => Number(await sql(name, `SELECT count() FROM ${db}.t WHERE k = ${k}`));
  const insert = (name: string, k: number): Promise<string> => sql(name, `INSERT INTO ${db}.t VALUES (${k})`);
  const arrives = (name: string, k: number): Promise<void> => eventually(async () => (await count(name, k)) === 1, `row ${k} on ${name}`);

  before(async () => { cluster = await startTestCluster(); });
  after(async () => { await cluster?.stop(); });

  it('ON CLUSTER creates the database and the replicated table on all three servers, each with its own shard and replica', async () => {
    await sql('r1', `CREATE DATABASE ${db} ON CLUSTER ${TEST_CLUSTER_NAME}`);
    const answer = await sql('r1', `CREATE TABLE ${db}.t ON CLUSTER ${TEST_CLUSTER_NAME} (k UInt32) `
      + `ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/${db}/t', '{replica}') ORDER BY k`);
    // One line per host: host, port, status, error, hosts remaining, hosts active.
    assert.deepEqual(answer.split('\n').map((line) => line.split('\t')[2]), ['0', '0', '0'], answer);
    for (const { name, shard } of cluster.replicas) {
      const path = await sql(name, `SELECT zookeeper_path, replica_name FROM system.replicas WHERE database = '${db}' AND table = 't'`);
      assert.equal(path, `/clickhouse/tables/${shard}/${db}/t\t${name}`);
    }
  });

  it('an insert on r1 reaches r2 (same shard) and not r3 (the other shard)', async () => {
    await insert('r1', 10);
    await arrives('r2', 10);
    assert.equal(await count('r3', 10), 0);
    assert.equal(await sql('r3', `SELECT count() FROM ${db}.t`), '0');
  });

  it('the round-robin balancer alternates between r1 and r2; the random one answers from both and only them', async () => {
    const roundRobin: string[] = [];
    for (let i = 0; i < 6; i += 1) roundRobin.push((await clickHouseSql(cluster.roundRobinUrl, WHO_ANSWERS)).trim());
    assert.deepEqual(new Set(roundRobin), new Set(['r1', 'r2']), roundRobin.join(' '));
    assert.ok(roundRobin.every((name, i) => i === 0 || name !== roundRobin[i - 1]), roundRobin.join(' '));
    const random = new Set<string>();
    for (let i = 0; i < 30; i += 1) random.add((await clickHouseSql(cluster.randomUrl, WHO_ANSWERS)).trim());
    assert.deepEqual(random, new Set(['r1', 'r2']));
  });

  it('SYSTEM STOP FETCHES on r2 keeps a new r1 insert off r2 until SYSTEM START FETCHES', async (t) => {
    await sql('r2', `SYSTEM STOP FETCHES ${db}.t`);
    try {
      await insert('r1', 20);
      // r2 has tried to fetch the part and been refused, so the row is off r2 for that reason.
      const refused = `SELECT count() FROM system.replication_queue WHERE database = '${db}' AND table = 't' AND type = 'GET_PART' AND num_tries > 0`;
      await eventually(async () => (await sql('r2', refused)) !== '0', 'r2 tried to fetch the new part');
      assert.equal(await count('r2', 20), 0);
    } finally {
      await sql('r2', `SYSTEM START FETCHES ${db}.t`);
    }
    const started = Date.now();
    await arrives('r2', 20);
    t.diagnostic(`r2 fetched the part ${Date.now() - started} ms after SYSTEM START FETCHES`);
  });

  it('r2 killed (kill -9) and started again catches up with what r1 took meanwhile', async (t) => {
    await replica('r2').kill();
    await assert.rejects(sql('r2', 'SELECT 1'), /fetch failed/);
    await insert('r1', 30);
    const started = Date.now();
    await replica('r2').start();
    t.diagnostic(`r2 answered /ping ${Date.now() - started} ms after start()`);
    await arrives('r2', 30);
    t.diagnostic(`r2 had the row ${Date.now() - started} ms after start()`);
    await insert('r2', 31);
    await arrives('r1', 31);
  });

  it('a paused replica answers nothing until resumed', async () => {
    replica('r3').pause();
    try {
      await assert.rejects(fetch(`${replica('r3').url}/ping`, { signal: AbortSignal.timeout(1000) }), { name: 'TimeoutError' });
    } finally {
      replica('r3').resume();
    }
    assert.equal(await sql('r3', 'SELECT 1'), '1');
  });

  it('a paused ZooKeeper answers nothing and fails replicated inserts; once resumed, inserts work and replicate again', async (t) => {
    cluster.zookeeper.pause();
    try {
      assert.equal(await askZooKeeper(cluster.zookeeper.port, 'ruok', 500), '');
      await assert.rejects(insert('r1', 40), /ZooKeeper/);
    } finally {
      cluster.zookeeper.resume();
    }
    assert.equal(await askZooKeeper(cluster.zookeeper.port, 'ruok'), 'imok');
    const resumed = Date.now();
    // The replicas' sessions expired while it was paused: inserts fail (session expired) until they have new ones.
    await eventually(async () => { await insert('r1', 41); return true; }, 'an insert on r1 after ZooKeeper resumed');
    t.diagnostic(`r1 took inserts again ${Date.now() - resumed} ms after ZooKeeper resumed`);
    await arrives('r2', 41);
  });

  it('stop() ends every process and removes the folder; a second stop() is harmless', async () => {
    const { folder } = cluster;
    const endpoints = [...cluster.replicas.map((member) => new URL(member.url)), new URL(cluster.roundRobinUrl), new URL(cluster.randomUrl)];
    await cluster.stop();
    assert.equal(existsSync(folder), false);
    assert.equal(spawnSync('pgrep', ['-af', folder], { encoding: 'utf8' }).stdout, '');
    for (const { hostname, port } of endpoints) assert.equal(await reachable(hostname, Number(port)), false, `${hostname}:${port} still accepts`);
    assert.equal(await reachable('127.0.0.1', cluster.zookeeper.port), false);
    await cluster.stop();
  });
});
