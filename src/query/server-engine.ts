import type { ClickHouseSettings } from '../config/settings.js';
import { failureFromError, failureFromResponse } from '../clickhouse/classify.js';
import { plainIdentifier } from '../clickhouse/sql.js';
import { ClickHouseFailure } from '../clickhouse/target.js';
import { hasDatabase } from './databases.js';
import type { QueryEngine } from './engine.js';

/** The URL parameters of one request: its database, default output format, and settings. */
type Parameters = Readonly<Record<string, string | undefined>>;

/** The Authorization header of the settings' user. */
function authorization(settings: ClickHouseSettings): Record<string, string> {
  return { Authorization: `Basic ${Buffer.from(`${settings.username}:${settings.password}`).toString('base64')}` };
}

/** The request URL: the server's, with the parameters that are set. */
function requestUrl(settings: ClickHouseSettings, parameters: Parameters): string {
  const url = new URL(settings.url);
  for (const [name, value] of Object.entries(parameters)) if (value !== undefined) url.searchParams.set(name, value);
  return url.toString();
}

/**
 * Sends one statement; resolves once the answer's headers say it succeeded. The statement's
 * own text is the body, unchanged: the output format goes as `default_format`, so messages
 * quote only what the operator wrote. The timeout covers the wait for the answer, not its reading.
 */
async function send(settings: ClickHouseSettings, sql: string, parameters: Parameters): Promise<Response> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(new Error(`no answer within ${settings.timeoutSeconds} s`)), settings.timeoutSeconds * 1000);
  let response: Response;
  try {
    response = await fetch(requestUrl(settings, parameters), { method: 'POST', body: sql, headers: authorization(settings), signal: abort.signal });
  } catch (error) {
    throw unreachable(settings, error);
  } finally {
    clearTimeout(timer);
  }
  if (!response.ok || response.headers.has('x-clickhouse-exception-code')) throw failureFromResponse(response.status, await response.text());
  return response;
}

/** A request that got no answer, naming the server (fetch hides the socket's error in `cause`). */
function unreachable(settings: ClickHouseSettings, error: unknown): ClickHouseFailure {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const failure = failureFromError(cause);
  return new ClickHouseFailure(`cannot reach ClickHouse ${settings.url} as ${settings.username}: ${failure.message}`, failure.transient);
}

/** The text of an answer's body, piece by piece. */
async function* bodyText(response: Response): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  for await (const bytes of response.body ?? []) yield decoder.decode(bytes as Uint8Array, { stream: true });
  const rest = decoder.decode();
  if (rest !== '') yield rest;
}

/** The ClickHouse server over HTTP; every request names the database unqualified table names resolve in. */
export function openServerEngine(settings: ClickHouseSettings): QueryEngine {
  let database: string | undefined;
  // The whole answer waits on the server, so a failure part-way is an error status, not a cut-off body.
  const parameters = (format?: string): Parameters => ({ database, default_format: format, wait_end_of_query: '1' });
  const output = async function* (sql: string, format?: string): AsyncGenerator<string> {
    yield* bodyText(await send(settings, sql, parameters(format)));
  };
  return {
    description: `${settings.url} as ${settings.username}`,
    keepsSettings: false,
    output,
    run: async (sql) => { await (await send(settings, sql, parameters())).arrayBuffer(); },
    // The server keeps no session between requests: `USE` becomes the later requests' database.
    use: async (name) => {
      if (!(await hasDatabase({ output }, name))) throw new ClickHouseFailure(`Database ${plainIdentifier(name)} doesn't exist`, false);
      database = name;
    },
    close: async () => undefined,
  };
}
