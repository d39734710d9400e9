import { hasColumn, type LmsDatabase } from './database.js';

/**
 * Users the LMS has retired or is retiring: a retirement status or request row (from the moment
 * the learner confirmed deletion), or the `retired__user_` username the LMS gives at RETIRING_LMS.
 */
export async function retiredUserIds(db: LmsDatabase): Promise<Set<number>> {
  const sources = ["SELECT id AS user_id FROM auth_user WHERE username LIKE 'retired\\_\\_user\\_%'"];
  for (const table of ['user_api_userretirementstatus', 'user_api_userretirementrequest']) {
    if (await hasColumn(db, table)) sources.push(`SELECT user_id FROM ${table}`);
  }
  const rows = await db.select(sources.join(' UNION '), []);
  return new Set(rows.map((row) => Number(row.user_id)));
}
