import { UsageError } from '../errors.js';
import type { LmsDatabase } from './database.js';

/** auth_user columns a Superset filter may use as {user.<column>}, with Python's types. */
export type AuthUser = Readonly<Record<string, string | number | boolean | null>> & { readonly username: string };

const FLAGS = ['is_staff', 'is_superuser', 'is_active'];

/** One LMS user by username (exit 2 when there is none). */
export async function authUserByName(db: LmsDatabase, username: string): Promise<AuthUser> {
  const rows = await db.select(
    'SELECT id, username, email, first_name, last_name, is_staff, is_superuser, is_active FROM auth_user WHERE username = ?',
    [username],
  );
  const row = rows[0];
  if (row === undefined) throw new UsageError(`the LMS has no user ${JSON.stringify(username)}`);
  return Object.fromEntries(Object.entries(row).map(([column, value]) => [
    column,
    FLAGS.includes(column) ? Boolean(Number(value)) : column === 'id' ? Number(value) : (value as string | null),
  ])) as AuthUser;
}

/** User ids per lookup of auth_user. */
const IDS_PER_LOOKUP = 10_000;

/** Of these user ids, those auth_user no longer has (the learner was deleted from the LMS). */
export async function usersGoneFromLms(db: LmsDatabase, ids: readonly number[]): Promise<number[]> {
  const gone: number[] = [];
  for (let start = 0; start < ids.length; start += IDS_PER_LOOKUP) {
    const chunk = ids.slice(start, start + IDS_PER_LOOKUP);
    const present = new Set((await db.select('SELECT id FROM auth_user WHERE id IN (?)', [chunk])).map((row) => Number(row.id)));
    gone.push(...chunk.filter((id) => !present.has(id)));
  }
  return gone;
}
