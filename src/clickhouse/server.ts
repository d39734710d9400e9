import { Readable } from 'node:stream';
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import type { ClickHouseSettings } from '../config/settings.js';
import { failureFromError, failureFromResponse } from './classify.js';
import { quoteIdentifier } from './sql.js';
import { parseTsv } from './tsv.js';
import { qualifiedTable } from './sql.js';
import type { ClickHouseRow, ClickHouseTarget, InsertOptions, TableName } from './target.js';

async function readText(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks).toString('utf8');
}

/** How long a request may take once the run was told to stop now (the check of what landed). */
const AFTER_STOP_TIMEOUT_MS = 5000;

/** ClickHouse over its HTTP interface, through @clickhouse/client. */
export class ServerTarget implements ClickHouseTarget {
  readonly description: string;
  private readonly client: ClickHouseClient;

  /**
   * `signal` (a second SIGINT) abandons every request under way and every later one;
   * `requestSettings` go with every request (a cluster run's load balancing).
   */
  constructor(settings: ClickHouseSettings, private readonly signal?: AbortSignal, private readonly requestSettings: Readonly<Record<string, string>> = {}) {
    this.description = `${settings.url} as ${settings.username}`;
    this.client = createClient({
      url: settings.url,
      username: settings.username,
      password: settings.password,
      request_timeout: Math.round(settings.timeoutSeconds * 1000),
      // The library's own logger would print request details; errors are reported by us.
      log: { level: ClickHouseLogLevel.OFF },
      compression: { request: false, response: false },
    });
  }

  /** Runs one statement; the body is read in full and non-2xx answers become failures. */
  private async exec(query: string, values?: Readable, options: InsertOptions = {}): Promise<string> {
    let result;
    try {
      result = await this.client.exec({
        query, ignore_error_response: true, ...(values ? { values } : {}),
        ...(options.queryId ? { query_id: options.queryId } : {}),
        clickhouse_settings: { ...this.requestSettings, ...options.settings },
        ...(this.signal ? { abort_signal: this.signal.aborted ? AbortSignal.timeout(AFTER_STOP_TIMEOUT_MS) : this.signal } : {}),
      });
    } catch (error) {
      throw failureFromError(error);
    }
    let body: string;
    try {
      body = await readText(result.stream as Readable);
    } catch (error) {
      throw failureFromError(error);
    }
    const status = result.http_status_code ?? 200;
    if (status < 200 || status > 299 || result.response_headers['x-clickhouse-exception-code'] !== undefined) {
      throw failureFromResponse(status, body);
    }
    return body;
  }

  async ping(): Promise<void> {
    await this.exec('SELECT 1');
  }

  async query(sql: string): Promise<ClickHouseRow[]> {
    const body = await this.exec(`${sql} FORMAT JSONEachRow`);
    return body.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as ClickHouseRow);
  }

  async queryFields(sql: string): Promise<string[][]> {
    return parseTsv(await this.exec(`${sql} FORMAT TabSeparated`));
  }

  async command(sql: string, options?: InsertOptions): Promise<void> {
    await this.exec(sql, undefined, options);
  }

  readonly overNetwork = true;

  /** Set when the tables are replicated but no cluster could be chosen (see open.ts): a line for the log. */
  routing?: string;

  readonly maxInsertBytes = Number.POSITIVE_INFINITY;

  async insertCsv(into: TableName, columns: readonly string[], csv: readonly Buffer[] | Readable, options?: InsertOptions): Promise<void> {
    const columnList = columns.map(quoteIdentifier).join(', ');
    const body = csv instanceof Readable ? csv : Readable.from(csv);
    // No input_format_allow_errors_*: one bad row fails the whole insert.
    await this.exec(`INSERT INTO ${qualifiedTable(into.database, into.table)} (${columnList}) FORMAT CSV`, body, options);
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
