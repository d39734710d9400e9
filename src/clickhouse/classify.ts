import { messageOf } from '../errors.js';
import { ClickHouseFailure } from './target.js';

/**
 * ClickHouse error codes worth a retry: the server is overloaded, restarting or timed out,
 * not complaining about the data or the query.
 */
const TRANSIENT_CODES = new Set([
  159, // TIMEOUT_EXCEEDED
  202, // TOO_MANY_SIMULTANEOUS_QUERIES
  209, // SOCKET_TIMEOUT
  210, // NETWORK_ERROR
  216, // QUERY_WITH_SAME_ID_IS_ALREADY_RUNNING (an earlier attempt of the same insert still runs)
  225, // NO_ZOOKEEPER (the session expired or was lost: the server reconnects)
  242, // TABLE_IS_READ_ONLY
  252, // TOO_MANY_PARTS
  319, // UNKNOWN_STATUS_OF_INSERT
  425, // SYSTEM_ERROR
  999, // KEEPER_EXCEPTION
]);

/** Node socket errors that mean the connection, not the request, failed. */
const TRANSIENT_SOCKET_CODES = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH',
]);

/** The ClickHouse error code in a server message ("Code: 27. DB::Exception…"), if any. */
export function clickHouseCode(text: string): number | undefined {
  const match = /\bCode: (\d+)/.exec(text);
  return match ? Number(match[1]) : undefined;
}

/**
 * ClickHouse errors that mean the rows do not fit the table as it is (a column missing,
 * renamed or of another type): a re-run cannot help, `aspects schema status` shows why.
 */
const ROWS_DO_NOT_FIT = new Set([6, 16, 26, 27, 38, 41, 53, 72, 117, 467]);

/** Whether a failure's message is one of ROWS_DO_NOT_FIT. */
export function rowsDoNotFit(text: string): boolean {
  const code = clickHouseCode(text);
  return code !== undefined && ROWS_DO_NOT_FIT.has(code);
}

/** Whether a failure is ClickHouse running out of memory (MEMORY_LIMIT_EXCEEDED): the same insert fails the same way. */
export function memoryExceeded(text: string): boolean {
  return clickHouseCode(text) === 241 || /memory limit \(.*\) exceeded/i.test(text);
}

/** A parse error without the row text it quotes (learners' data must not reach logs). */
function withoutRowData(line: string): string {
  return line.replace(/ before: .*?(?=: \(at row \d+\)|$)/, '').replace(/,? ?parsed text: .*$/, '');
}

/** The words of an HTML page (a proxy's or a load balancer's error page), on one line. */
function htmlText(html: string): string {
  return html.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim();
}

/** The first meaningful line of a server message, without the stack ClickHouse appends or quoted rows. */
export function firstLine(text: string): string {
  const line = (/^\s*</.test(text) ? htmlText(text) : text.trim().split('\n')[0]) ?? '';
  return withoutRowData(line.replace(/, e\.what\(\) = DB::\w+$/, '')).trim().slice(0, 500);
}

/** Every line of a server message up to its stack trace, on one line, without quoted rows. */
export function wholeMessage(text: string): string {
  const lines = text.trim().split('\n');
  const end = lines.findIndex((line, index) => index > 0 && /^(Stack trace|\s*\d+\. )/.test(line));
  const kept = (end < 0 ? lines : lines.slice(0, end)).map((line) => withoutRowData(line.trim())).filter(Boolean);
  return kept.join(' ').replace(/, e\.what\(\) = DB::\w+/, '').slice(0, 2000);
}

/** ZooKeeper trouble of a replicated table, whatever code the server gave it: the server recovers by itself. */
function zooKeeperTrouble(text: string): boolean {
  return /ZooKeeper session has (been )?expired|Session expired|connection loss|is in readonly mode/i.test(text);
}

/** Failure for an HTTP answer that is not 2xx. */
export function failureFromResponse(status: number, body: string): ClickHouseFailure {
  const code = clickHouseCode(body);
  const transient = code === undefined ? status >= 500 || status === 429 : TRANSIENT_CODES.has(code) || zooKeeperTrouble(body);
  const line = firstLine(body) || `HTTP ${status}`;
  return new ClickHouseFailure(code === undefined ? `HTTP ${status}: ${line}` : line, transient, wholeMessage(body) || line);
}

/** Failure for an error thrown before any answer (socket, timeout, DNS). */
export function failureFromError(error: unknown): ClickHouseFailure {
  if (error instanceof ClickHouseFailure) return error;
  const code = (error as { code?: unknown }).code;
  const message = messageOf(error);
  const socketLevel = typeof code === 'string' && TRANSIENT_SOCKET_CODES.has(code);
  const timedOut = /timeout|socket hang up/i.test(message);
  const text = typeof code === 'string' && !message.includes(code) ? `${code}: ${message}` : message;
  return new ClickHouseFailure(firstLine(text), socketLevel || timedOut);
}
