import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createTableSql, dialectOf, EVENT_SINK_TABLES, tableStatements } from '../../src/clickhouse/ddl.js';
import { SINKS } from '../../src/sinks/index.js';
import { courseBlocks } from '../../src/sinks/course_blocks.js';

const table = (name: string) => EVENT_SINK_TABLES.find((each) => each.name === name) as (typeof EVENT_SINK_TABLES)[number];

describe('event_sink DDL', () => {
  it('writes Tutor\'s cluster variant: ON CLUSTER in single quotes, Replicated engines without arguments', () => {
    const sql = createTableSql(table('user_profile'), 'event_sink', dialectOf('25.8.1.1'), { cluster: 'main' });
    assert.match(sql, /^CREATE TABLE IF NOT EXISTS `event_sink`\.`user_profile` ON CLUSTER 'main' \(/);
    assert.match(sql, /\) ENGINE = ReplicatedReplacingMergeTree PARTITION BY user_id MOD 100 PRIMARY KEY \(id, time_last_dumped\) ORDER BY \(id, time_last_dumped\)$/);
    assert.match(sql, /`username` String DEFAULT '',\n {2}`email` String DEFAULT ''/);
  });

  it('gives a Replicated engine its ZooKeeper path and replica name where the server has no default_replica_path, or where asked', () => {
    const old = createTableSql(table('tag'), 'event_sink', dialectOf('18.16.1'), { cluster: 'c' });
    assert.match(old, /ENGINE = ReplicatedReplacingMergeTree\('\/clickhouse\/tables\/\{shard\}\/event_sink\/tag', '\{replica\}'\) ORDER BY \(id, time_last_dumped\)$/);
    const chosen = createTableSql(table('tag'), 'sink', dialectOf('24.3.1'), { cluster: 'c', zookeeperPath: '/ch/{layer}-{shard}/{table}', replicaName: 'r1' });
    assert.match(chosen, /ENGINE = ReplicatedReplacingMergeTree\('\/ch\/\{layer\}-\{shard\}\/tag', 'r1'\)/);
    assert.match(createTableSql(table('tag'), 'sink', dialectOf('20.10.1'), { cluster: 'c' }), /ENGINE = ReplicatedReplacingMergeTree PARTITION|ENGINE = ReplicatedReplacingMergeTree PRIMARY/);
  });

  it('lays a sharded table out as a local replicated table and a Distributed one over it, spread by the key', () => {
    const [local, distributed] = tableStatements(table('user_profile'), 'sink', dialectOf('18.16.1'), { cluster: 'c', sharded: true });
    assert.match(local ?? '', /^CREATE TABLE IF NOT EXISTS `sink`\.`user_profile_local` ON CLUSTER 'c' .*'\/clickhouse\/tables\/\{shard\}\/sink\/user_profile_local'/s);
    assert.equal(distributed, "CREATE TABLE IF NOT EXISTS `sink`.`user_profile` ON CLUSTER 'c' AS `sink`.`user_profile_local` ENGINE = Distributed('c', 'sink', 'user_profile_local', id)");
  });

  it('falls back to types and syntax an old server understands', () => {
    const sql = createTableSql(table('course_enrollment'), 'event_sink', dialectOf('18.16.1'));
    assert.match(sql, /`is_active` String,\n {2}`mode` String,/);
    assert.match(sql, /\) ENGINE = MergeTree ORDER BY \(course_key, user_id, time_last_dumped\)$/);
    assert.match(createTableSql(table('external_id'), 'x', dialectOf('18.16.1')), /PARTITION BY user_id % 100 ORDER BY/);
    assert.deepEqual(dialectOf('21.11.3'), { modernTypes: false, modernSyntax: true, lightweightDelete: false, defaultReplicaPath: true });
    assert.deepEqual(dialectOf('23.8.2.7'), { modernTypes: true, modernSyntax: true, lightweightDelete: true, defaultReplicaPath: true });
    assert.equal(dialectOf('23.2.1').lightweightDelete, false);
  });

  it('has the columns every sink writes, in the same order', () => {
    for (const sink of [...SINKS, courseBlocks]) {
      const names = 'source' in sink ? sink.columns.map((column) => column.name) : [...sink.columns];
      assert.deepEqual(table(sink.table).columns.map(([name]) => name), [...names, 'dump_id', 'time_last_dumped'], sink.table);
    }
  });
});
