import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BinlogMariaDb } from '../support/binlog-server.js';
import { createTestEventSink, type TestEventSink } from '../support/clickhouse.js';
import { createTestLms, type TestLms } from '../support/env.js';
import { startControlledClickHouse, type ControlledClickHouse } from '../support/fault-server.js';
import { FOLLOWED, caughtUp, killFollowers, startFollow, stopFollow, twiceWritten } from '../support/follow.js';
import { fillLms } from '../support/lms-fixture.js';
import { logged } from './support.js';

/**
 * aspects follow under faults: the LMS database killed (kill -9) and restarted under it, and
 * ClickHouse killed and restarted under it. Each case ends with ClickHouse's newest rows equal to
 * the LMS field by field and no state of a key written twice, and follow still running.
 */

/** Commits `count` changes of enrollment modes, one transaction each, unique values. */
async function changes(lms: TestLms, label: string, count: number): Promise<void> {
  for (let step = 1; step <= count; step += 1) {
    await lms.db.query('UPDATE student_courseenrollment SET mode = ? WHERE id = ?', [`${label}-${step}`, 1 + (step % 9)]);
  }
}

describe('aspects follow when the LMS database restarts under it', () => {
  let server: BinlogMariaDb;
  let lms: TestLms;
  let sink: TestEventSink;
  before(async () => {
    server = await BinlogMariaDb.start();
    lms = await createTestLms({}, server.url);
    await fillLms(lms.db, { users: 40 });
    sink = await createTestEventSink();
  });
  after(async () => {
    await killFollowers();
    await sink?.drop();
    await lms?.drop().catch(() => undefined);
    await server?.stop();
  });

  it('reads the binlog again from its checkpoint once MariaDB is back: nothing lost, nothing twice', async () => {
    const running = await startFollow(lms, sink);
    await changes(lms, 'before', 10);
    await caughtUp(sink, lms, running);
    await server.restart();
    await lms.reconnect();
    await logged(running, /follow: the connection to the LMS database was lost \(.*\); reading the binlog again from checkpoint 0-1-\d+ in \d+\.\d s/);
    await changes(lms, 'after', 10);
    await caughtUp(sink, lms, running);
    const stderr = await stopFollow(running);
    assert.match(stderr, /follow: reading the binlog from 0-1-\d+[\s\S]*follow: reading the binlog from 0-1-\d+/);
    for (const object of FOLLOWED) assert.equal(await twiceWritten(sink, object), 0, object);
  });
});

describe('aspects follow when ClickHouse is killed and restarted under it', () => {
  let server: BinlogMariaDb;
  let clickhouse: ControlledClickHouse;
  let lms: TestLms;
  let sink: TestEventSink;
  before(async () => {
    server = await BinlogMariaDb.start();
    clickhouse = await startControlledClickHouse();
    lms = await createTestLms({}, server.url);
    await fillLms(lms.db, { users: 40 });
    sink = await createTestEventSink(clickhouse.url);
  });
  after(async () => {
    await killFollowers();
    await sink?.drop().catch(() => undefined);
    await lms?.drop();
    await clickhouse?.stop();
    await server?.stop();
  });

  it('the batch retries until ClickHouse is back (within --retry-for): every change once', async () => {
    const running = await startFollow(lms, sink, '--retry-for', '120');
    await changes(lms, 'up', 5);
    await caughtUp(sink, lms, running);
    await clickhouse.kill9();
    await changes(lms, 'down', 10);
    await logged(running, /course_enrollment: attempt \d+ failed/);
    await clickhouse.restart();
    await caughtUp(sink, lms, running);
    await stopFollow(running);
    for (const object of FOLLOWED) assert.equal(await twiceWritten(sink, object), 0, object);
  });
});
