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
