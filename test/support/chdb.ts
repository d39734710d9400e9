import { openChdbSession } from '../../src/clickhouse/embedded.js';

export { openChdbSession, type ChdbSession } from '../../src/clickhouse/embedded.js';

/** Rows of a query, as objects. */
export type ChdbQuery = (sql: string) => Record<string, unknown>[];

/** Runs SQL on a chdb folder from this process (the CLI must not be running on it), the session closed after. */
export async function onChdb<T>(folder: string, work: (query: ChdbQuery) => T): Promise<Awaited<T>> {
  const session = await openChdbSession(folder);
  try {
    return await work((sql) => session.query(sql, 'JSONEachRow').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>));
  } finally {
    session.close();
  }
}

/** A row read back from the modern engine as the contract wrote it: Bool as True/False. */
export function asWritten(row: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(row).map(([key, value]) => [key, value === true ? 'True' : value === false ? 'False' : value]));
}
