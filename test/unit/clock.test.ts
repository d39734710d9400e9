import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { ClickHouseRow, ClickHouseTarget } from '../../src/clickhouse/target.js';
import type { LmsDatabase, SourceRow } from '../../src/lms/database.js';
import {
  aheadNotice, floorAfter, hostClockMs, madeAhead, middle, narrowest, offsetOf, referenceMicros, skewNotice, stampClock, useStampClock,
  type ClockSample,
} from '../../src/pipeline/clock.js';
import { decideByModified } from '../../src/pipeline/decision.js';
import { setUpClock } from '../../src/pipeline/read-clocks.js';
import { stampText, stampTime } from '../../src/pipeline/stamp.js';

const SECOND = 1_000_000;
const HOUR = 3600 * SECOND;

/** A sample of a clock `offset` µs from this host's, read instantly at host time `at` (µs), to `resolution`. */
function reading(at: number, offset: number, resolution = 1, roundTrip = 400): ClockSample {
  const remote = Math.floor((at + roundTrip / 2 + offset) / resolution) * resolution;
  return { sent: at, remote, received: at + roundTrip, resolution };
}

afterEach(() => useStampClock({ offsetMicros: 0, floorMicros: 0 }));

describe('offsets between clocks', () => {
  it('a sample bounds the offset by its round trip and the remote clock\'s resolution', () => {
    assert.deepEqual(offsetOf({ sent: 1000, remote: 5000, received: 1010, resolution: 1 }), { low: 3990, high: 4001 });
    assert.deepEqual(offsetOf({ sent: 1000, remote: 5 * SECOND, received: 1010, resolution: SECOND }), { low: 5 * SECOND - 1010, high: 6 * SECOND - 1000 });
  });

  it('the quickest round trip wins, and its middle is the estimate', () => {
    const offset = narrowest([reading(0, -HOUR, 1, 9000), reading(10_000, -HOUR, 1, 200), reading(20_000, -HOUR, 1, 5000)]);
    assert.equal(offset.high - offset.low, 201);
    assert.ok(Math.abs(middle(offset) + HOUR) <= 1);
  });
});

describe('the skew notice', () => {
  const now = 1_800_000_000 * SECOND + 123_456;

  it('is silent while this host, MySQL and a second-resolution ClickHouse agree within a second', () => {
    for (const chOffset of [0, 400_000, -400_000]) {
      assert.equal(skewNotice({ mysql: offsetOf(reading(now, 300_000)), clickhouse: offsetOf(reading(now, chOffset, SECOND)) }), undefined);
    }
  });

  it('names this host\'s clock and its offset from MySQL\'s, behind or ahead', () => {
    const behind = skewNotice({ mysql: offsetOf(reading(now, HOUR)), clickhouse: offsetOf(reading(now, HOUR, SECOND)) });
    assert.match(behind ?? '', /^clock skew: this host's clock is 3600\.0s behind MySQL's, ClickHouse's is within a second of MySQL's; time_last_dumped follows MySQL's clock/);
    const ahead = skewNotice({ mysql: offsetOf(reading(now, -HOUR)) });
    assert.match(ahead ?? '', /^clock skew: this host's clock is 3600\.0s ahead of MySQL's; /);
  });

  it('reports ClickHouse apart from MySQL even when this host agrees with MySQL', () => {
    const notice = skewNotice({ mysql: offsetOf(reading(now, 0)), clickhouse: offsetOf(reading(now, 5 * SECOND, SECOND)) });
    assert.match(notice ?? '', /this host's clock is within a second of MySQL's, ClickHouse's is 5\.\ds ahead of MySQL's/);
  });
});

describe('stamps from the one clock', () => {
  const host = Date.UTC(2001, 0, 1, 12, 0, 0);

  it('follow the reference clock, never go back, and start after the floor', () => {
    useStampClock({ offsetMicros: -HOUR, floorMicros: 0 });
    assert.equal(stampTime(host), '2001-01-01 11:00:00+00:00');
    assert.equal(stampTime(host), '2001-01-01 11:00:00.000001+00:00');
    const floor = floorAfter({ table: 'user_profile', text: '2001-01-01 13:00:00+00:00', micros: host * 1000 + HOUR });
    useStampClock({ offsetMicros: -HOUR, floorMicros: floor });
    assert.equal(stampTime(host + 1000), '2001-01-01 13:00:00.000001+00:00');
    assert.equal(stampTime(host + 2000), '2001-01-01 13:00:00.000002+00:00');
    assert.equal(stampClock().offsetMicros, -HOUR);
  });

  it('stamp text is Python\'s str() of the time, no fraction when it is zero', () => {
    assert.equal(stampText(Date.UTC(2024, 4, 1, 12, 34, 56) * 1000 + 789_012), '2024-05-01 12:34:56.789012+00:00');
    assert.equal(stampText(Date.UTC(2024, 4, 1, 12, 34, 56) * 1000), '2024-05-01 12:34:56+00:00');
  });

  it('says so when the tables hold a stamp ahead of the reference clock', () => {
    const now = Date.UTC(2031, 0, 1) * 1000;
    const newest = { table: 'course_overviews', text: '2031-01-01 01:00:00+00:00', micros: now + HOUR };
    assert.match(aheadNotice(newest, now) ?? '', /^course_overviews already holds time_last_dumped 2031-01-01 01:00:00\+00:00, 3600\.0s ahead of MySQL's clock/);
    assert.equal(aheadNotice({ ...newest, micros: now + 500_000 }, now), undefined);
    assert.equal(aheadNotice(undefined, now), undefined);
    assert.equal(floorAfter(undefined), 0);
  });
});

describe('the course rule on one clock', () => {
  const now = Date.UTC(2031, 0, 1, 12) * 1000;
  const published = '2031-01-01 11:30:00.000000';

  it('a last dump made by a clock running ahead (up to a day) does not hide a later publish', () => {
    const ahead = decideByModified('Course', published, '2031-01-01 12:40:00+00:00', now);
    assert.equal(ahead.dump, true);
    assert.equal(ahead.reason, 'Last dump time in ClickHouse is later than now');
    assert.match(ahead.detail, /last dumped 2031-01-01 12:40:00\+00:00 > now 2031-01-01 12:00:00\+00:00, last published 2031-01-01 11:30:00\+00:00/);
  });

  it('a last dump before now is compared with modified as the plugin does; far-future ones too', () => {
    assert.equal(decideByModified('Course', published, '2031-01-01 11:45:00+00:00', now).dump, false);
    assert.equal(decideByModified('Course', published, '2031-01-01 11:15:00+00:00', now).dump, true);
    assert.equal(decideByModified('Course', published, '2999-01-01 00:00:00+00:00', now).dump, false);
    assert.equal(decideByModified('Course', published, '2031-01-01 12:40:00+00:00').dump, false);
    assert.equal(madeAhead(now + 24 * HOUR, now), true);
    assert.equal(madeAhead(now + 24 * HOUR + 1, now), false);
    assert.equal(madeAhead(now, now), false);
  });
});

/** MySQL and ClickHouse stand-ins whose clocks run `mysqlOffset` / `clickhouseOffset` µs from this host's (ClickHouse embedded unless `overNetwork`). */
function fakeServers(mysqlOffset: number, clickhouseOffset: number, stored: readonly ClickHouseRow[], overNetwork = true) {
  const queries: string[] = [];
  const micros = () => Math.floor(hostClockMs() * 1000);
  const lms = {
    select: async (): Promise<SourceRow[]> => [{ now: stampText(micros() + mysqlOffset).replace('+00:00', '') }],
    close: async () => undefined,
  } as LmsDatabase;
  const clickhouse = {
    description: 'fake',
    overNetwork,
    query: async (sql: string) => {
      queries.push(sql);
      const clickhouse_now = Math.floor((micros() + clickhouseOffset) / SECOND);
      return sql.includes('time_last_dumped') ? stored.map((row) => ({ ...row, clickhouse_now })) : [{ clickhouse_now }];
    },
  } as unknown as ClickHouseTarget;
  return { lms, clickhouse, queries };
}

describe('setting up the clock of a run', () => {
  it('takes MySQL\'s clock, reports the skew once, and follows the newest stored stamp in one query', async () => {
    const ahead = stampText(Math.floor(hostClockMs() * 1000) - HOUR + 2 * SECOND * 60);
    const stored = [
      { written_table: 'user_profile', followed: ahead, newest: ahead },
      { written_table: 'external_id', followed: '', newest: '' },
      { written_table: 'course_overviews', followed: '2020-01-01 00:00:00+00:00', newest: '2999-01-01 00:00:00+00:00' },
    ];
    const { lms, clickhouse, queries } = fakeServers(-HOUR, -HOUR, stored);
    const notices: string[] = [];
    await setUpClock({ lms, clickhouse, database: 'event_sink', tables: ['user_profile', 'external_id', 'course_overviews'], notice: (text) => notices.push(text) });
    assert.ok(Math.abs(referenceMicros() - (Math.floor(hostClockMs() * 1000) - HOUR)) < 50_000);
    assert.equal(notices.length, 3, notices.join('\n'));
    assert.match(notices[0] ?? '', /^clock skew: this host's clock is 3600\.0s ahead of MySQL's, ClickHouse's is within a second of MySQL's/);
    assert.match(notices[1] ?? '', /^course_overviews holds time_last_dumped 2999-01-01 00:00:00\+00:00, more than a day ahead of MySQL's clock/);
    assert.match(notices[2] ?? '', /^user_profile already holds time_last_dumped .*, 1[12]\d\.\ds ahead of MySQL's clock/);
    assert.ok(stampTime() > ahead, 'a new stamp sorts after the stored one');
    assert.equal(queries.length, 1, 'ClickHouse\'s clock and the stored stamps in one query');
    assert.match(queries[0] ?? '', /UNION ALL/);
  });

  it('a dry run reads ClickHouse\'s clock alone', async () => {
    const { lms, clickhouse, queries } = fakeServers(0, 5 * SECOND, []);
    const notices: string[] = [];
    await setUpClock({ lms, clickhouse, database: 'event_sink', tables: [], notice: (text) => notices.push(text) });
    assert.deepEqual(queries, ['SELECT materialize(toUnixTimestamp(now())) AS clickhouse_now']);
    assert.match(notices.join('\n'), /^clock skew: this host's clock is within a second of MySQL's, ClickHouse's is [45]\.\ds ahead of MySQL's/);
  });

  it('an embedded destination runs on this host\'s clock: only MySQL is read, and a dry run reads no stored stamps', async () => {
    const { lms, clickhouse, queries } = fakeServers(0, HOUR, [], false);
    const notices: string[] = [];
    await setUpClock({ lms, clickhouse, database: 'event_sink', tables: [], notice: (text) => notices.push(text) });
    assert.deepEqual(notices, []);
    assert.deepEqual(queries, []);
    assert.equal(stampClock().floorMicros, 0);
  });
});
