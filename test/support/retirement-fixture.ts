import { createHash } from 'node:crypto';
import type { Connection } from 'mysql2/promise';

/** edx-platform's default retirement states, numbered 1, 11, 21, … in order. */
const STATES = ['PENDING', 'LOCKING_ACCOUNT', 'LOCKING_COMPLETE', 'RETIRING_LMS_MISC', 'LMS_MISC_COMPLETE', 'RETIRING_LMS', 'LMS_COMPLETE', 'ERRORED', 'ABORTED', 'COMPLETE'];

/** retired__user_<sha1(salt + lower(value))>, as user-util builds it with the current salt. */
export function retiredName(value: string): string {
  return `retired__user_${createHash('sha1').update(`123${value.toLowerCase()}`).digest('hex')}`;
}

/** How far a learner's retirement has gone, as the retirement driver leaves the LMS tables. */
export type RetirementStage =
  /** Confirmed deletion: status (PENDING) and request rows, email retired. */
  | 'requested'
  /** RETIRING_LMS done and the status row cleaned up: request row and retired username remain. */
  | 'cleaned-up'
  /** Only the retired username (e.g. an old retirement whose request was purged). */
  | 'username-only';

async function ensureStates(db: Connection): Promise<void> {
  const rows = STATES.map((name, index) => [name, 1 + index * 10, ['ERRORED', 'ABORTED', 'COMPLETE'].includes(name) ? 1 : 0, ['PENDING', 'ERRORED', 'ABORTED', 'COMPLETE'].includes(name) ? 1 : 0]);
  await db.query('INSERT IGNORE INTO user_api_retirementstate (state_name, state_execution_order, is_dead_end_state, required) VALUES ?', [rows]);
}

/** Marks `userId` as retired up to `stage` in the LMS tables. */
export async function retireInLms(db: Connection, userId: number, stage: RetirementStage): Promise<void> {
  await ensureStates(db);
  const [[user]] = await db.query('SELECT username, email FROM auth_user WHERE id = ?', [userId]) as unknown as [[{ username: string; email: string }]];
  const now = '2025-01-01 00:00:00.000000';
  if (stage !== 'username-only') {
    await db.query('INSERT INTO user_api_userretirementrequest (created, modified, user_id) VALUES (?, ?, ?)', [now, now, userId]);
  }
  if (stage === 'requested') {
    await db.query(`INSERT INTO user_api_userretirementstatus (created, modified, original_username, original_email, original_name,
      retired_username, retired_email, responses, current_state_id, last_state_id, user_id)
      SELECT ?, ?, ?, ?, '', ?, ?, '', id, id, ? FROM user_api_retirementstate WHERE state_name = 'PENDING'`,
    [now, now, user.username, user.email, retiredName(user.username), `${retiredName(user.email)}@retired.invalid`, userId]);
    await db.query('UPDATE auth_user SET email = ? WHERE id = ?', [`${retiredName(user.email)}@retired.invalid`, userId]);
  } else {
    await db.query("UPDATE auth_user SET username = ?, email = ?, first_name = '', last_name = '', is_active = 0 WHERE id = ?",
      [retiredName(user.username), `${retiredName(user.email)}@retired.invalid`, userId]);
  }
}

/** What RETIRING_LMS leaves of a profile (edx-platform's USER_PROFILE_PII): the row stays, its personal fields are cleared. */
export async function scrubProfile(db: Connection, userId: number): Promise<void> {
  await db.query(`UPDATE auth_userprofile SET name = '', meta = '', location = '', year_of_birth = NULL, gender = NULL,
    mailing_address = NULL, city = NULL, country = NULL, bio = NULL, phone_number = NULL WHERE user_id = ?`, [userId]);
}
