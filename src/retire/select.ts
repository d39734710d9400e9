import { UsageError } from '../errors.js';
import type { LmsDatabase } from '../lms/database.js';

/** Whom `aspects retire` removes. */
export interface RetireSelection {
  readonly userIds: readonly number[];
  readonly usernames: readonly string[];
  /** Every retired user the LMS knows whose rows are still in ClickHouse. */
  readonly pending: boolean;
}

const MAX_USER_ID = 2_147_483_647;

/** Validates user ids from the command line: whole numbers from 1 to 2^31-1 (Int32 columns). */
export function parseUserIds(values: readonly string[]): number[] {
  return values.map((value) => {
    const id = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(id) || id < 1 || id > MAX_USER_ID) {
      throw new UsageError(`${JSON.stringify(value)} is not a user id (a whole number from 1 to ${MAX_USER_ID})`);
    }
    return id;
  });
}

/** The user ids of these original usernames: current usernames, or those kept by retirement. */
export async function idsOfUsernames(db: LmsDatabase, usernames: readonly string[]): Promise<number[]> {
  if (usernames.length === 0) return [];
  const rows = await db.select(
    'SELECT id AS user_id, username FROM auth_user WHERE username IN (?)'
    + ' UNION SELECT user_id, original_username AS username FROM user_api_userretirementstatus WHERE original_username IN (?)',
    [usernames, usernames]);
  const found = new Set(rows.map((row) => String(row.username).toLowerCase()));
  const unknown = usernames.filter((name) => !found.has(name.toLowerCase()));
  if (unknown.length > 0) throw new UsageError(`no such user: ${unknown.map((name) => JSON.stringify(name)).join(', ')}`);
  return rows.map((row) => Number(row.user_id));
}
