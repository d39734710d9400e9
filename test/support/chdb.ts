/** The part of chdb's Session the tests use (the embedded modern ClickHouse engine). */
export interface ChdbSession {
  query(sql: string, format?: string): string;
  close(): void;
}

/**
 * Opens an embedded ClickHouse session on `path`. chdb is not a dependency of the tool yet (its
 * npm package pulls a 500 MB engine): `npm test` installs it without saving when it is missing.
 */
export async function openChdbSession(path: string): Promise<ChdbSession> {
  const packageName = 'chdb';
  let chdb: { Session: new (path: string) => ChdbSession };
  try {
    chdb = (await import(packageName)) as typeof chdb;
  } catch {
    throw new Error('the chdb package is not installed: run `npm install --no-save chdb@3.4.0` (npm test does it)');
  }
  return new chdb.Session(path);
}
