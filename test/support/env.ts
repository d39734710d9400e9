import { randomBytes } from 'node:crypto';
import { createConnection, type Connection } from 'mysql2/promise';
import { lmsSchema, type SchemaOptions } from './lms-schema.js';
import { reachable, startClickHouse, startMariaDb, type StartedServer } from './servers.js';

const started: StartedServer[] = [];

async function serverUrl(envName: string, local: () => Promise<string | undefined>, start: () => Promise<StartedServer>): Promise<string> {
  const fromEnv = process.env[envName];
  if (fromEnv) return fromEnv;
  const found = await local();
  if (found) return (process.env[envName] = found);
  const server = await start();
  started.push(server);
  return (process.env[envName] = server.url);
}

/** MariaDB for tests: ASPECTS_TEST_MYSQL_URL, else 127.0.0.1:3306, else a throwaway mariadbd. */
export function testMysqlServer(): Promise<string> {
  return serverUrl('ASPECTS_TEST_MYSQL_URL',
    async () => ((await reachable('127.0.0.1', 3306)) ? 'mysql://root@127.0.0.1:3306' : undefined), startMariaDb);
}

/** ClickHouse for tests: ASPECTS_TEST_CLICKHOUSE_URL, else a throwaway clickhouse-server. */
export function testClickHouseServer(): Promise<string> {
  return serverUrl('ASPECTS_TEST_CLICKHOUSE_URL', async () => undefined, startClickHouse);
}

/** Stops the servers this process started. */
export async function stopTestServers(): Promise<void> {
  await Promise.all(started.splice(0).map((server) => server.stop()));
}

/** A name no other test run uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
}

/** A test's own LMS database: created with the fixture DDL, dropped by `drop`. */
export interface TestLms {
  readonly name: string;
  /** mysql:// URL of this database, for --mysql-url. */
  readonly url: string;
  readonly db: Connection;
  /** A new connection for `db` (after the server was restarted under the old one). */
  reconnect(): Promise<void>;
  drop(): Promise<void>;
}

/** Creates a uniquely named LMS database with the production-like tables, empty (on `mysqlServer`, default the test server). */
export async function createTestLms(schema: SchemaOptions = {}, mysqlServer?: string): Promise<TestLms> {
  const server = mysqlServer ?? await testMysqlServer();
  const name = uniqueName('aspects_lms');
  const connect = () => createConnection({ uri: server, multipleStatements: false, charset: 'utf8mb4' });
  let admin = await connect();
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await admin.changeUser({ database: name });
  for (const statement of lmsSchema(schema)) await admin.query(statement);
  return {
    name,
    url: `${server.replace(/\/$/, '')}/${name}`,
    get db() { return admin; },
    async reconnect() {
      admin.destroy();
      admin = await connect();
      await admin.changeUser({ database: name });
    },
    async drop() {
      await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await admin.end();
    },
  };
}
