import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { LockHeld, RuntimeFailure, UsageError, messageOf } from '../errors.js';
import { firstLine } from './classify.js';
import { csvAsTabSeparated } from './csv-to-tsv.js';
import { plainIdentifier } from './sql.js';
import { parseTsv } from './tsv.js';
import { ClickHouseFailure, type ClickHouseRow, type ClickHouseTarget } from './target.js';

/** The part of chdb's Session the tool uses. */
export interface ChdbSession {
  query(sql: string, format?: string): string;
  /** Raw insert: the payload goes to the engine as bytes, never through the SQL text. */
  insert(params: { table: string; columns: readonly string[]; values: Buffer; format: 'TabSeparated' }): Promise<unknown>;
  close(): void;
}

/**
 * Opens chdb's embedded ClickHouse engine on the folder `path`. chdb is optional (its npm package
 * carries a 500 MB engine), so it is loaded only here.
 */
export async function openChdbSession(path: string): Promise<ChdbSession> {
  const packageName = 'chdb';
  let chdb: { Session: new (path: string) => ChdbSession };
  try {
    chdb = (await import(packageName)) as typeof chdb;
  } catch {
    throw new UsageError('the embedded ClickHouse needs the chdb package: run `npm install chdb` where aspects is installed');
  }
  return new chdb.Session(path);
}

/** An engine error as a ClickHouseFailure (never transient in-process). */
function engineFailure(error: unknown): ClickHouseFailure {
  return new ClickHouseFailure(firstLine(messageOf(error).replace(/^Query failed: /, '')), false);
}

/** Runs one statement, turning engine errors into ClickHouseFailure. */
function run(session: ChdbSession, sql: string, format?: string): string {
  try {
    return session.query(sql, format);
  } catch (error) {
    throw engineFailure(error);
  }
}

/** The whole body of an insert (the engine takes it as one buffer). */
async function wholeBody(csv: readonly Buffer[] | Readable): Promise<Buffer> {
  if (!(csv instanceof Readable)) return Buffer.concat(csv);
  const pieces: Buffer[] = [];
  for await (const piece of csv) pieces.push(piece as Buffer);
  return Buffer.concat(pieces);
}

/** Bodies of embedded inserts stay below this: the engine takes each one whole, from memory. */
const EMBEDDED_INSERT_BYTES = 64 << 20;

/** The process holding the engine's lock on a store folder (from Linux's /proc/locks), if any. */
function storeHolder(path: string): number | undefined {
  try {
    const { dev, ino } = statSync(join(path, 'status'));
    const id = `${(dev >> 8).toString(16).padStart(2, '0')}:${(dev & 0xff).toString(16).padStart(2, '0')}:${ino}`;
    for (const line of readFileSync('/proc/locks', 'utf8').split('\n')) {
      const match = /\s(\d+)\s+([0-9a-f]+:[0-9a-f]+:\d+)\s/.exec(line);
      if (match?.[2] === id && Number(match[1]) !== process.pid) return Number(match[1]);
    }
  } catch {
    // No status file yet (a new store), or no /proc/locks (not Linux): the engine itself will tell.
  }
  return undefined;
}

/** The engine on a store folder, with one clear line when the folder is missing or in use. */
async function openStore(path: string, create: boolean): Promise<ChdbSession> {
  if (!create && !existsSync(path)) {
    throw new UsageError(`chdb:${path} does not exist: check the path, or create the store with aspects schema init --clickhouse-url chdb:${path}`);
  }
  const holder = storeHolder(path);
  if (holder !== undefined) throw new LockHeld(`chdb:${path} is in use by process ${holder} (the embedded engine serves one process per folder); wait for it to finish, or stop it`);
  try {
    return await openChdbSession(path);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new RuntimeFailure(`cannot open chdb:${path} (is another process using it?): ${firstLine(messageOf(error))}`);
  }
}

/**
 * ClickHouse embedded in this process (chdb), on a folder: `--clickhouse-url chdb:PATH`.
 * `create`: the folder may be new (schema init); otherwise it must exist.
 */
export async function openEmbeddedTarget(path: string, create = false): Promise<ClickHouseTarget> {
  const session = await openStore(path, create);
  // An empty field is the column's default, as an empty CSV field is (a NULL int is written as "").
  run(session, 'SET input_format_tsv_empty_as_default = 1');
  return {
    description: `chdb:${path}`,
    ping: async () => { run(session, 'SELECT 1'); },
    query: async (sql) => run(session, sql, 'JSONEachRow').split('\n').filter(Boolean).map((line) => JSON.parse(line) as ClickHouseRow),
    queryFields: async (sql) => parseTsv(run(session, sql, 'TabSeparated')),
    command: async (sql) => { run(session, sql); },
    // The rows go to the engine as bytes (inside the SQL text a NUL byte would end the query), as
    // TabSeparated: its raw insert ends inline data at an empty line, which a CSV value may hold.
    insertCsv: async (into, columns, csv) => {
      const table = `${plainIdentifier(into.database)}.${plainIdentifier(into.table)}`;
      const values = Buffer.from(csvAsTabSeparated((await wholeBody(csv)).toString('utf8')));
      await session.insert({ table, columns: columns.map(plainIdentifier), values, format: 'TabSeparated' })
        .catch((error: unknown) => { throw engineFailure(error); });
    },
    overNetwork: false,
    maxInsertBytes: EMBEDDED_INSERT_BYTES,
    close: async () => session.close(),
  };
}
