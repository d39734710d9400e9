import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { BinlogMariaDb } from '../support/binlog-server.js';
import type { TestEventSink } from '../support/clickhouse.js';
import type { TestLms } from '../support/env.js';
import { startControlledClickHouse, type ControlledClickHouse } from '../support/fault-server.js';
import { FOLLOWED, binlogScenario, caughtUp, endBinlogScenario, startFollow, stopFollow, twiceWritten, type BinlogScenario } from '../support/follow.js';
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
  let made: BinlogScenario | undefined;
  let server: BinlogMariaDb;
  let lms: TestLms;
  let sink: TestEventSink;
  before(async () => {
    made = await binlogScenario(40);
    ({ server, lms, sink } = made);
  });
  after(() => endBinlogScenario(made));

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
  let made: BinlogScenario | undefined;
  let clickhouse: ControlledClickHouse;
  let lms: TestLms;
  let sink: TestEventSink;
  before(async () => {
    clickhouse = await startControlledClickHouse();
    made = await binlogScenario(40, clickhouse.url);
    ({ lms, sink } = made);
  });
  after(async () => {
    await endBinlogScenario(made);
    await clickhouse?.stop();
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
