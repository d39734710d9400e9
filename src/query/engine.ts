import type { ClickHouseSettings } from '../config/settings.js';
import { openEmbeddedEngine } from './embedded-engine.js';
import { openServerEngine } from './server-engine.js';

/** Where `aspects query` runs statements: the ClickHouse server over HTTP, or the embedded engine. */
export interface QueryEngine {
  readonly description: string;
  /** Whether `SET` holds for later statements (one session), rather than ending with its own request. */
  readonly keepsSettings: boolean;
  /** The output of a statement that returns rows, in `format` (undefined: the statement's own FORMAT clause), in pieces. */
  output(sql: string, format?: string): AsyncIterable<string>;
  /** Runs a statement that returns nothing. */
  run(sql: string): Promise<void>;
  /** Makes `database` (a plain identifier) the one unqualified table names resolve in. */
  use(database: string): Promise<void>;
  close(): Promise<void>;
}

/** Opens the engine the settings name: `chdb:PATH` embedded, else the server at the URL. */
export async function openQueryEngine(settings: ClickHouseSettings): Promise<QueryEngine> {
  if (settings.url.startsWith('chdb:')) return openEmbeddedEngine(settings.url.slice('chdb:'.length));
  return openServerEngine(settings);
}
