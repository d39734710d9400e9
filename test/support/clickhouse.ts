import { rmSync } from 'node:fs';
import { eventSinkTables } from './clickhouse-schema.js';
import { testClickHouseServer, uniqueName } from './env.js';

/** Splits credentials off a ClickHouse URL for fetch. */
function endpoint(url: string): { base: string; headers: Record<string, string> } {
  const parsed = new URL(url);
  const headers: Record<string, string> = {};
  if (parsed.username) {
    const credentials = `${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`;
    headers.Authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
  }
  parsed.username = '';
  parsed.password = '';
  return { base: parsed.toString(), headers };
}

/** Runs SQL over plain HTTP (independent of the code under test); returns the body. */
export async function clickHouseSql(url: string, sql: string): Promise<string> {
  const { base, headers } = endpoint(url);
  let response: Response;
  try {
    response = await fetch(base, { method: 'POST', body: sql, headers });
  } catch {
    // The server closes idle keep-alive sockets after a few seconds; one more try gets a fresh one.
    response = await fetch(base, { method: 'POST', body: sql, headers });
  }
  const body = await response.text();
  if (!response.ok) throw new Error(`ClickHouse: ${body.split('\n')[0]}`);
  return body;
}

/** Rows of a SELECT as objects (JSONEachRow). */
export async function clickHouseRows(url: string, sql: string): Promise<Record<string, unknown>[]> {
  const body = await clickHouseSql(url, `${sql} FORMAT JSONEachRow`);
  return body.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** A test's own event_sink database on the test ClickHouse server. */
export interface TestEventSink {
  readonly url: string;
  readonly database: string;
  rows(sql: string): Promise<Record<string, unknown>[]>;
  count(table: string): Promise<number>;
  drop(): Promise<void>;
}

/**
 * Drops a test database. ClickHouse 18.16 killed (kill -9) while it created or dropped a table can
 * leave that table's data folder without its metadata, and then refuses DROP DATABASE ("Directory
 * not empty"): the test server's own leftover folder is removed and the drop tried once more.
 */
async function dropDatabase(url: string, database: string): Promise<void> {
  const drop = () => clickHouseSql(url, `DROP DATABASE IF EXISTS ${database}`);
  try {
    await drop();
  } catch (error) {
    const folder = /Directory not empty: (\/tmp\/aspects-clickhouse-[^,\s]+)/.exec(String(error))?.[1];
    if (folder === undefined) throw error;
    rmSync(folder, { recursive: true, force: true });
    await drop();
  }
}

/** Creates a uniquely named database with the event_sink tables the 18.16 server understands (on `server`, default the test server). */
export async function createTestEventSink(server?: string): Promise<TestEventSink> {
  const url = server ?? await testClickHouseServer();
  const database = uniqueName('aspects_sink');
  await clickHouseSql(url, `CREATE DATABASE ${database}`);
  for (const statement of eventSinkTables(database)) await clickHouseSql(url, statement);
  return {
    url,
    database,
    rows: (sql) => clickHouseRows(url, sql),
    count: async (table) => Number((await clickHouseRows(url, `SELECT count() AS n FROM ${database}.${table}`))[0]?.n),
    drop: () => dropDatabase(url, database),
  };
}
