import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openLmsDatabase, type LmsDatabase } from '../../src/lms/database.js';
import { parseMysqlUrl } from '../../src/config/urls.js';
import { RetirementWatch, sharedRetirementWatch } from '../../src/lms/retired-users.js';
import type { TestLms } from '../support/env.js';
import { retireInLms } from '../support/retirement-fixture.js';
import { filledLms } from '../support/scenario.js';

/** Statements the watch sends, to see that a refresh with nothing new reads nothing more. */
function counting(db: LmsDatabase): { db: LmsDatabase; statements: string[] } {
  const statements: string[] = [];
  return {
    statements,
    db: { select: (sql, params) => { statements.push(sql); return db.select(sql, params); }, close: () => db.close() },
  };
}

// The dump's view of retirements, kept up to date between batches, on the real MariaDB tables.
describe('RetirementWatch', () => {
  let lms: TestLms;
  let db: LmsDatabase;
  before(async () => {
    lms = await filledLms({ users: 40 });
    db = openLmsDatabase(parseMysqlUrl(lms.url));
  });
  after(async () => {
    await db.close();
    await lms.drop();
  });

  it('sees every way the LMS marks a retirement, and a quiet refresh costs one query', async () => {
    await retireInLms(lms.db, 3, 'requested');
    const { db: watched, statements } = counting(db);
    const watch = await RetirementWatch.open(watched);
    assert.deepEqual([...watch.ids].sort((a, b) => a - b), [3]);
    statements.length = 0;
    await watch.refresh();
    assert.equal(statements.length, 1, statements.join('\n'));
    await retireInLms(lms.db, 7, 'requested');
    await retireInLms(lms.db, 9, 'cleaned-up');
    await retireInLms(lms.db, 11, 'username-only');
    await watch.refresh();
    for (const id of [3, 7, 9, 11]) assert.ok(watch.has(id), `user ${id}`);
    assert.equal(watch.has(12), false);
  });

  it('finds a row that committed late with a lower id than one it has already read', async () => {
    const watch = await RetirementWatch.open(db);
    const [[{ next }]] = await lms.db.query('SELECT MAX(id) + 10 AS next FROM user_api_userretirementrequest') as unknown as [[{ next: number }]];
    const now = '2025-01-01 00:00:00.000000';
    await lms.db.query('INSERT INTO user_api_userretirementrequest (id, created, modified, user_id) VALUES (?, ?, ?, 20)', [next, now, now]);
    await watch.refresh();
    await lms.db.query('INSERT INTO user_api_userretirementrequest (id, created, modified, user_id) VALUES (?, ?, ?, 21)', [next - 5, now, now]);
    await watch.refresh();
    assert.ok(watch.has(20));
    assert.ok(watch.has(21), 'the late row with the lower id was missed');
  });

  it('shared across follow\'s batches: opened once, then each batch brings the same watch up to date with one query when no one retired', async () => {
    const { db: watched, statements } = counting(db);
    const watchFor = sharedRetirementWatch(watched);
    const first = await watchFor();
    const opening = statements.length;
    assert.equal(await watchFor(), first);
    assert.equal(statements.length, opening + 1, statements.slice(opening).join('\n'));
    await retireInLms(lms.db, 30, 'requested');
    const later = await watchFor();
    assert.equal(later, first);
    assert.ok(later.has(30), 'a learner retired between two batches');
  });
});
