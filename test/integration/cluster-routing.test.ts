import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestEventSink, type TestEventSink } from '../support/clickhouse.js';
import { oneErrorLine, runAspects } from '../support/cli.js';
import { freePort } from '../support/servers.js';

// How a run on a cluster fails when it can reach none of the cluster's servers: the one test
// server is the entry, the "replicas" a port nothing listens on (the real cluster: npm run test:cluster).

describe('a cluster none of whose servers the tool can reach', () => {
  let sink: TestEventSink;
  before(async () => { sink = await createTestEventSink(); });
  after(async () => { await sink.drop(); });

  it('stops before reading or writing, naming each server, and says how to list reachable URLs', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const result = await runAspects(['retire', '--user-ids', '1'], {
      ASPECTS_CLICKHOUSE_URL: sink.url, ASPECTS_CLICKHOUSE_DATABASE: sink.database, ASPECTS_CLICKHOUSE_CLUSTER: 'openedx_cluster',
      ASPECTS_CLICKHOUSE_REPLICAS: closed, ASPECTS_CLICKHOUSE_TIMEOUT: '1',
    });
    assert.equal(result.code, 1);
    const host = new URL(closed).host.replaceAll('.', '\\.');
    assert.match(oneErrorLine(result), new RegExp(`^aspects: no replica of cluster openedx_cluster is up to date after 1 s \\(${host}: unreachable \\(.*ECONNREFUSED.*\\)\\); nothing was read or written: none answered: if the tool cannot reach them by these names, list their HTTP URLs in ASPECTS_CLICKHOUSE_REPLICAS$`));
  });
});
