import { existsSync } from 'node:fs';
import { LockHeld, RuntimeFailure, UsageError, messageOf } from '../errors.js';
import { firstLine } from '../clickhouse/classify.js';
import { openChdbSession, type ChdbSession } from '../clickhouse/embedded.js';
import { plainIdentifier } from '../clickhouse/sql.js';
import { ClickHouseFailure } from '../clickhouse/target.js';
import type { QueryEngine } from './engine.js';

/** The part of chdb's Session that streams a result chunk by chunk. */
interface StreamingSession extends ChdbSession {
  queryStream(sql: string, options: { format: string }): AsyncIterable<{ text(): string }>;
}

/** An engine error as a ClickHouseFailure: its first line, without chdb's prefix. */
function engineFailure(error: unknown): ClickHouseFailure {
  return new ClickHouseFailure(firstLine(messageOf(error).replace(/^Query failed: /, '')), false);
}

/** The engine on the store folder `path`, with one clear line when it is missing or in use. */
async function openSession(path: string): Promise<StreamingSession> {
  if (!existsSync(path)) throw new UsageError(`chdb:${path} does not exist: check the path, or create the store with aspects schema init --clickhouse-url chdb:${path}`);
  try {
    return (await openChdbSession(path)) as StreamingSession;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    if (/Cannot lock file/.test(messageOf(error))) throw new LockHeld(`chdb:${path} is in use by another process (the embedded engine serves one process per folder); wait for it to finish, or stop it`);
    throw new RuntimeFailure(`cannot open chdb:${path}: ${firstLine(messageOf(error))}`);
  }
}

/** A chunk after the first without the header line the engine repeats in each chunk of a …WithNames format. */
function withoutRepeatedHeader(text: string, format: string, chunk: number): string {
  return chunk > 0 && format.endsWith('WithNames') ? text.slice(text.indexOf('\n') + 1) : text;
}

/** A statement's output in `format`, chunk by chunk (bounded memory). */
async function* streamed(session: StreamingSession, sql: string, format: string): AsyncGenerator<string> {
  let chunk = 0;
  try {
    for await (const piece of session.queryStream(sql, { format })) yield withoutRepeatedHeader(piece.text(), format, chunk++);
  } catch (error) {
    throw engineFailure(error);
  }
}

/**
 * The output of a statement that names its own FORMAT, whole: streamed, each chunk would be a
 * document of its own (headers, JSON brackets, totals repeated).
 */
async function* whole(session: StreamingSession, sql: string): AsyncGenerator<string> {
  try {
    yield session.query(sql);
  } catch (error) {
    throw engineFailure(error);
  }
}

/** Runs one statement whose output is not wanted. */
function run(session: StreamingSession, sql: string): void {
  try {
    session.query(sql);
  } catch (error) {
    throw engineFailure(error);
  }
}

/** ClickHouse embedded in this process (`chdb:PATH`): one session, so `USE` and `SET` hold for later statements. */
export async function openEmbeddedEngine(path: string): Promise<QueryEngine> {
  const session = await openSession(path);
  return {
    description: `chdb:${path}`,
    keepsSettings: true,
    output: (sql, format) => (format === undefined ? whole(session, sql) : streamed(session, sql, format)),
    run: async (sql) => { run(session, sql); },
    use: async (name) => { run(session, `USE ${plainIdentifier(name)}`); },
    close: async () => session.close(),
  };
}
