import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clickHouseSql, type TestEventSink } from '../support/clickhouse.js';
import { runAspects } from '../support/cli.js';
import type { TestLms } from '../support/env.js';
import { retireInLms, scrubProfile, type RetirementStage } from '../support/retirement-fixture.js';
import { cliEnv, onLmsAndSink, scalar } from '../support/scenario.js';

/** Learners the LMS retired after the first dump, one per stage the dump's rule must recognise. */
const RETIRED: ReadonlyMap<number, RetirementStage> = new Map([[5, 'requested'], [6, 'cleaned-up'], [7, 'username-only'], [8, 'cleaned-up']]);
const RETIRED_IDS = [...RETIRED.keys()].join(', ');
const USERS = 40;

type Status = { stale: boolean; retire_pending: boolean; objects: Record<string, unknown>[] };

function statusDocument(stdout: string): Status {
  return JSON.parse(stdout) as Status;
}

function objectOf(document: Status, name: string): Record<string, unknown> {
  return document.objects.find((each) => each.object === name) as Record<string, unknown>;
}

/** The fields of one object that this file checks. */
function counts(document: Status, name: string): Record<string, unknown> {
  const { mysql_keys, clickhouse_keys, missing_keys, retired_keys, retired_rows_in_clickhouse, retired_users_in_clickhouse, stale } = objectOf(document, name);
  return { mysql_keys, clickhouse_keys, missing_keys, retired_keys, retired_rows_in_clickhouse, retired_users_in_clickhouse, stale };
}

/** Deletes rows from the 18.16 server and waits until its mutation is done (it has no mutations_sync). */
async function deleteAndWait(sink: TestEventSink, table: string, where: string): Promise<void> {
  await clickHouseSql(sink.url, `ALTER TABLE ${sink.database}.${table} DELETE WHERE ${where}`);
  const pending = async () => (await sink.rows(`SELECT count() AS n FROM system.mutations WHERE database = '${sink.database}' AND is_done = 0`))[0]?.n;
  while (Number(await pending()) > 0) await new Promise((resolve) => setTimeout(resolve, 50));
}

describe('aspects status with learners the LMS retired, whose scrubbed profiles stay in MySQL', () => {
  let lms: TestLms;
  let sink: TestEventSink;
  onLmsAndSink({ users: USERS }, (made) => { ({ lms, sink } = made); });
  const aspects = (...args: string[]) => runAspects(args, cliEnv(lms, sink));
  let externalIds: number;
  let retiredExternalIds: number;

  it('before retire: their rows still in ClickHouse are named on stderr and in the JSON, and are neither missing nor stale', async () => {
    const dump = await aspects('dump', '--object', 'all', '--sleep-time', '0');
    assert.equal(dump.code, 0, dump.stderr);
    for (const [id, stage] of RETIRED) {
      await retireInLms(lms.db, id, stage);
      await scrubProfile(lms.db, id);
    }
    externalIds = await scalar(lms, 'SELECT COUNT(*) FROM external_user_ids_externalid');
    retiredExternalIds = await scalar(lms, `SELECT COUNT(*) FROM external_user_ids_externalid WHERE user_id IN (${RETIRED_IDS})`);
    assert.ok(retiredExternalIds >= RETIRED.size);
    const status = await aspects('status', '--fail-on-stale', '--json');
    assert.equal(status.code, 0, status.stderr);
    const document = statusDocument(status.stdout);
    assert.deepEqual([document.stale, document.retire_pending], [false, true]);
    assert.deepEqual(counts(document, 'user_profile'), {
      mysql_keys: USERS, clickhouse_keys: USERS, missing_keys: 0, retired_keys: 4, retired_rows_in_clickhouse: 4, retired_users_in_clickhouse: 4, stale: false,
    });
    assert.deepEqual(counts(document, 'external_id'), {
      mysql_keys: externalIds, clickhouse_keys: externalIds, missing_keys: 0, retired_keys: retiredExternalIds,
      retired_rows_in_clickhouse: retiredExternalIds, retired_users_in_clickhouse: 4, stale: false,
    });
    assert.deepEqual(status.stderr.trim().split('\n'), [
      'user_profile: 4 rows of 4 retired learners still in ClickHouse: run aspects retire --pending',
      `external_id: ${retiredExternalIds} rows of 4 retired learners still in ClickHouse: run aspects retire --pending`,
    ]);
  });

  it('after dump and retire --pending: missing 0, retired 4, --fail-on-stale exits 0, in JSON and in the table', async () => {
    const dump = await aspects('dump', '--object', 'all', '--sleep-time', '0');
    assert.equal(dump.code, 0, dump.stderr);
    const retire = await aspects('retire', '--pending');
    assert.equal(retire.code, 0, retire.stderr);
    const status = await aspects('status', '--fail-on-stale', '--json');
    assert.equal(status.code, 0, status.stderr);
    assert.equal(status.stderr, '');
    const document = statusDocument(status.stdout);
    assert.deepEqual([document.stale, document.retire_pending], [false, false]);
    assert.deepEqual(counts(document, 'user_profile'), {
      mysql_keys: USERS, clickhouse_keys: USERS - 4, missing_keys: 0, retired_keys: 4, retired_rows_in_clickhouse: 0, retired_users_in_clickhouse: 0, stale: false,
    });
    assert.deepEqual(counts(document, 'external_id'), {
      mysql_keys: externalIds, clickhouse_keys: externalIds - retiredExternalIds, missing_keys: 0, retired_keys: retiredExternalIds,
      retired_rows_in_clickhouse: 0, retired_users_in_clickhouse: 0, stale: false,
    });
    assert.equal(objectOf(document, 'course_enrollment').retired_keys, 0);
    const table = await aspects('status', '--fail-on-stale');
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^object\s+mysql\s+clickhouse\s+missing\s+retired\s+deleted\s+re-dump\s+newest dump$/m);
    assert.match(table.stdout, new RegExp(`^user_profile\\s+${USERS}\\s+${USERS - 4}\\s+0\\s+4\\s+0\\s`, 'm'));
    assert.match(table.stdout, new RegExp(`^external_id\\s+${externalIds}\\s+${externalIds - retiredExternalIds}\\s+0\\s+${retiredExternalIds}\\s+0\\s`, 'm'));
  });

  it('a learner who is not retired and whose row left ClickHouse is missing: --fail-on-stale exits 3', async () => {
    await deleteAndWait(sink, 'user_profile', 'user_id = 20');
    const status = await aspects('status', '--fail-on-stale', '--json');
    assert.equal(status.code, 3, status.stderr);
    assert.match(status.stderr, /^aspects: ClickHouse is behind the LMS for user_profile$/m);
    const document = statusDocument(status.stdout);
    assert.equal(document.retire_pending, false);
    assert.deepEqual(counts(document, 'user_profile'), {
      mysql_keys: USERS, clickhouse_keys: USERS - 5, missing_keys: 1, retired_keys: 4, retired_rows_in_clickhouse: 0, retired_users_in_clickhouse: 0, stale: true,
    });
    assert.equal(objectOf(document, 'external_id').stale, false);
    const table = await aspects('status', '--fail-on-stale');
    assert.equal(table.code, 3, table.stderr);
    assert.match(table.stdout, new RegExp(`^user_profile\\s+${USERS}\\s+${USERS - 5}\\s+1\\s+4\\s+0\\s`, 'm'));
  });
});

// Aspects' user_pii dictionary joins user_profile to external_id on user_id: a profile without
// an external id row is in ClickHouse but on no dashboard.
describe('aspects status says which profiles dashboards will not show', () => {
  let lms: TestLms;
  let sink: TestEventSink;
  onLmsAndSink({ users: 30, seed: 12 }, (made) => { ({ lms, sink } = made); });
  const aspects = (...args: string[]) => runAspects(args, cliEnv(lms, sink));
  const hidden = async (): Promise<{ count: unknown; stderr: string }> => {
    const result = await aspects('status', '--object', 'user_profile', '--json');
    assert.equal(result.code, 0, result.stderr);
    return { count: objectOf(statusDocument(result.stdout), 'user_profile').hidden_from_dashboards, stderr: result.stderr };
  };

  it('counts profiles in ClickHouse without an external_id row of their user, and names them on stderr', async () => {
    assert.equal((await aspects('dump', '--object', 'user_profile', '--object', 'external_id', '--sleep-time', '0')).code, 0);
    const withoutId = await scalar(lms, 'SELECT COUNT(*) FROM auth_userprofile WHERE user_id NOT IN (SELECT user_id FROM external_user_ids_externalid)');
    assert.equal((await hidden()).count, withoutId);
    const [first, second] = (await sink.rows(`SELECT DISTINCT user_id FROM ${sink.database}.external_id ORDER BY user_id LIMIT 2`)).map((row) => Number(row.user_id));
    await deleteAndWait(sink, 'external_id', `user_id IN (${first}, ${second})`);
    const after = await hidden();
    assert.equal(after.count, withoutId + 2);
    assert.match(after.stderr, new RegExp(`user_profile: ${withoutId + 2} keys in ClickHouse have no external_id row with the same user_id: dashboards join the two and do not show them`));
  });
});
