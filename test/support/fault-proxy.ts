import { createServer, connect, type Server, type Socket } from 'node:net';
import { seededRandom } from './lms-fixture.js';

/** A loopback TCP proxy that cuts connections on demand, to inject real network faults. */
export interface FaultProxy {
  readonly port: number;
  /** How many faults were played. */
  readonly cuts: number;
  close(): Promise<void>;
}

/** What the proxy does to a chunk: reset the connection, or answer as an overloaded gateway. */
export type Fault = 'reset' | 'http-503';

const GATEWAY_503 = 'HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/html\r\nContent-Length: 19\r\n'
  + 'Connection: close\r\n\r\n<h1>503 busy</h1>\r\n';

/** The sockets and timers of a listening proxy, so `close` can end them all. */
interface Tracked {
  readonly server: Server;
  readonly sockets: Set<Socket>;
  readonly timers: Set<NodeJS.Timeout>;
}

function tracked(onConnection: (client: Socket, track: Tracked) => void): Tracked {
  const track: Tracked = { server: createServer((client) => onConnection(client, track)), sockets: new Set(), timers: new Set() };
  return track;
}

/** Remembers a socket until it closes, and ignores its errors (a fault's resets are expected). */
function watch(track: Tracked, socket: Socket): Socket {
  track.sockets.add(socket);
  socket.on('close', () => track.sockets.delete(socket));
  socket.on('error', () => undefined);
  return socket;
}

/** Runs `action` after `ms` unless the proxy closes first. */
function later(track: Tracked, ms: number, action: () => void): void {
  const timer = setTimeout(() => { track.timers.delete(timer); action(); }, ms);
  track.timers.add(timer);
}

/** Listens on a free loopback port; resolves with the port and a `close` that ends everything. */
function listen(track: Tracked): Promise<{ port: number; close(): Promise<void> }> {
  return new Promise((resolve) => {
    track.server.listen(0, '127.0.0.1', () => {
      const address = track.server.address();
      resolve({
        port: typeof address === 'object' && address ? address.port : 0,
        close: () => new Promise((done) => {
          for (const timer of track.timers) clearTimeout(timer);
          for (const socket of track.sockets) socket.destroy();
          track.server.close(() => done());
        }),
      });
    });
  });
}

/**
 * Forwards 127.0.0.1:<port> to target. `decide(chunk)` sees each client→server chunk; when it
 * names a fault the chunk is not forwarded and the fault is played instead.
 */
export async function startFaultProxy(targetPort: number, decide: (chunk: Buffer) => Fault | undefined): Promise<FaultProxy> {
  let cuts = 0;
  const track = tracked((client) => {
    const upstream = watch(track, connect(targetPort, '127.0.0.1'));
    watch(track, client);
    client.on('data', (chunk: Buffer) => {
      const fault = decide(chunk);
      if (fault === undefined) return void upstream.write(chunk);
      cuts += 1;
      upstream.destroy();
      if (fault === 'reset') client.resetAndDestroy();
      else client.end(GATEWAY_503);
    });
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  const { port, close } = await listen(track);
  return { port, get cuts() { return cuts; }, close };
}

/** Plays `fault` on the `nth` chunk containing `marker` (1-based), once. */
export function nthMatching(marker: string, nth: number, fault: Fault = 'reset'): (chunk: Buffer) => Fault | undefined {
  let seen = 0;
  return (chunk) => {
    if (!chunk.includes(marker)) return undefined;
    seen += 1;
    return seen === nth ? fault : undefined;
  };
}

/**
 * What the HTTP proxy does to one request:
 * - 'reset', 'http-503': as startFaultProxy (the request never reaches the server);
 * - 'drop-response': the server gets and answers the whole request; once its response has fully
 *   arrived it is swallowed and the client connection reset (the client sees ECONNRESET);
 * - delay-request: the request's bytes reach the server `ms` late, even if the client has given up
 *   by then (its response is then discarded);
 * - delay-response: the server's response reaches the client `ms` late;
 * - hold-request: the request's bytes after the first `pass` (default: its head) are held
 *   until `until` resolves, then delivered even if the client is gone by then, and a gone
 *   client's side is then closed with a FIN, as a dead process's socket queue would be;
 * - cut-request: the head and the first `bodyBytes` raw body bytes (chunk framing included;
 *   'first-chunk': the body bytes that came in the same TCP chunk as the head; `atLineEnd`: moved
 *   back to just after the last newline before that, a row boundary for JSONEachRow, TSV and CSV
 *   without quoted newlines) reach the server, then both sides are reset. The body is held until
 *   the cut point has arrived, so it must be longer than `bodyBytes`. On a reset Linux drops the bytes the server has not read yet, so
 *   ClickHouse 18.16 usually sees nothing ("Code: 23 ... Cannot read from istream at offset 0").
 *   `upstream: 'end'` closes the server side with a FIN instead: ClickHouse parses the truncated
 *   body, and one cut at a row boundary is INSERTED AS IF COMPLETE (chunked without its last
 *   chunk, or shorter than Content-Length); a cut mid-row fails to parse (Code 26 / 33).
 */
export type HttpFault =
  | Fault
  | 'drop-response'
  | { readonly mode: 'delay-request' | 'delay-response'; readonly ms: number }
  | HoldRequest
  | CutRequest;

/** The hold-request fault; see HttpFault. */
export interface HoldRequest {
  readonly mode: 'hold-request';
  readonly until: Promise<void>;
  readonly pass?: number;
}

/** The cut-request fault; see HttpFault. */
export interface CutRequest {
  readonly mode: 'cut-request';
  readonly bodyBytes: number | 'first-chunk';
  readonly atLineEnd?: boolean;
  readonly upstream?: 'reset' | 'end';
}

/** The name of a fault, for counting. */
export type HttpFaultMode = 'reset' | 'http-503' | 'drop-response' | 'delay-request' | 'delay-response' | 'hold-request' | 'cut-request';

/** Picks one request's fault from its start: the whole request head plus any body bytes sent with it. */
export type HttpDecide = (start: Buffer, index: number) => HttpFault | undefined;

/** A fault proxy for HTTP/1.1 (keep-alive) that decides once per request. */
export interface HttpFaultProxy extends FaultProxy {
  /** HTTP requests seen. */
  readonly requests: number;
  /** The answers ClickHouse gave to held requests delivered after their client was gone. */
  readonly lateAnswers: readonly string[];
  /** Faults played per mode (`cuts` is their sum). */
  readonly played: Readonly<Record<HttpFaultMode, number>>;
}

/** The mode of a fault. */
export function faultMode(fault: HttpFault): HttpFaultMode {
  return typeof fault === 'string' ? fault : fault.mode;
}

const REQUEST_START = /^(GET|POST|PUT|HEAD|DELETE|OPTIONS|PATCH) /;

/** Whether a client chunk starts a new request (clients do not pipeline, so a request starts a chunk). */
function startsRequest(chunk: Buffer): boolean {
  return REQUEST_START.test(chunk.subarray(0, 8).toString('latin1'));
}

/** Whether a chunked body holds its last (zero-size) chunk and the blank line after any trailers. */
function chunkedComplete(body: Buffer): boolean {
  let at = 0;
  for (;;) {
    const lineEnd = body.indexOf('\r\n', at);
    if (lineEnd < 0) return false;
    const size = parseInt(body.subarray(at, lineEnd).toString('latin1'), 16);
    if (Number.isNaN(size)) return false;
    if (size === 0) return body.indexOf('\r\n\r\n', lineEnd) >= 0;
    at = lineEnd + 2 + size + 2;
    if (at > body.length) return false;
  }
}

/**
 * Whether `bytes` hold a whole HTTP response (skipping 1xx interim ones), by Content-Length or
 * chunked framing; a response with neither ends only with its connection.
 */
export function responseComplete(bytes: Buffer): boolean {
  const headEnd = bytes.indexOf('\r\n\r\n');
  if (headEnd < 0) return false;
  const head = bytes.subarray(0, headEnd).toString('latin1');
  const body = bytes.subarray(headEnd + 4);
  if (/^HTTP\/1\.[01] 1\d\d/.test(head)) return responseComplete(body);
  const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  if (length) return body.length >= Number(length[1]);
  return /\r\ntransfer-encoding:\s*chunked/i.test(head) && chunkedComplete(body);
}

/** One client connection of the HTTP proxy and the request now on it. */
interface Exchange {
  readonly client: Socket;
  readonly upstream: Socket;
  readonly track: Tracked;
  /** Bytes of a request whose head is not complete yet. */
  head: Buffer | undefined;
  fault: HttpFault | undefined;
  /** cut-request: body bytes to forward, and those held until they have all come. */
  cutAt: number;
  held: Buffer;
  /** Response bytes so far (drop-response and delay-request need to know when it is complete). */
  response: Buffer;
  /** delay-request: the client is gone but the late request's response has not come. */
  orphaned: boolean;
  /** hold-request: bytes still to pass before holding starts, and whether the hold has ended. */
  passing: number;
  healed: boolean;
  /** Called with the response of a late request whose client is gone. */
  readonly late: (response: Buffer) => void;
}

function delayOf(x: Exchange, mode: 'delay-request' | 'delay-response'): number | undefined {
  return typeof x.fault === 'object' && x.fault.mode === mode ? x.fault.ms : undefined;
}

function holdOf(x: Exchange): HoldRequest | undefined {
  return typeof x.fault === 'object' && x.fault.mode === 'hold-request' ? x.fault : undefined;
}

/** Whether the request's bytes may reach the server after its client is gone. */
function deliversLate(x: Exchange): boolean {
  return delayOf(x, 'delay-request') !== undefined || holdOf(x) !== undefined;
}

/** Holds request bytes past the first `pass` until the hold ends; then a gone client's side is closed. */
function hold(x: Exchange, fault: HoldRequest, bytes: Buffer): void {
  if (x.healed) return void x.upstream.write(bytes);
  const passed = bytes.subarray(0, x.passing);
  x.passing -= passed.length;
  if (passed.length > 0) x.upstream.write(passed);
  const held = bytes.subarray(passed.length);
  if (held.length === 0) return;
  if (x.held.length === 0) void fault.until.then(() => deliverHeld(x));
  x.held = Buffer.concat([x.held, held]);
}

/** Delivers what a hold kept back, all at once, and closes a gone client's side after it. */
function deliverHeld(x: Exchange): void {
  if (x.upstream.destroyed) return;
  x.upstream.write(x.held);
  x.healed = true;
  if (x.client.destroyed) x.upstream.end();
}

function cutOf(x: Exchange): CutRequest | undefined {
  return typeof x.fault === 'object' && x.fault.mode === 'cut-request' ? x.fault : undefined;
}

/** Resets both sides, after `last` (if any) has been handed to the server. */
function cut(x: Exchange, fault: CutRequest, last?: Buffer): void {
  const closeUpstream = (): void => {
    if (fault.upstream === 'end') x.upstream.end();
    else x.upstream.resetAndDestroy();
  };
  x.client.resetAndDestroy();
  if (last && last.length > 0) x.upstream.write(last, closeUpstream);
  else closeUpstream();
}

/** Holds a cut request's body until the cut point has come, then sends the part before it and cuts. */
function holdForCut(x: Exchange, fault: CutRequest, bytes: Buffer): void {
  x.held = Buffer.concat([x.held, bytes]);
  if (x.held.length < x.cutAt || x.client.destroyed) return;
  const end = fault.atLineEnd && x.cutAt > 0 ? x.held.lastIndexOf('\n', x.cutAt - 1) + 1 : x.cutAt;
  cut(x, fault, x.held.subarray(0, end));
}

/** Sends request bytes on as the current fault says. */
function forward(x: Exchange, bytes: Buffer): void {
  const delay = delayOf(x, 'delay-request');
  if (delay !== undefined) return later(x.track, delay, () => { if (!x.upstream.destroyed) x.upstream.write(bytes); });
  const holding = holdOf(x);
  if (holding) return hold(x, holding, bytes);
  const cutting = cutOf(x);
  if (cutting) return holdForCut(x, cutting, bytes);
  x.upstream.write(bytes);
}

/** Plays the fault picked for a request whose head (up to `headEnd`) is complete in `start`. */
function beginRequest(x: Exchange, start: Buffer, headEnd: number, fault: HttpFault | undefined): void {
  x.fault = fault;
  x.response = Buffer.alloc(0);
  x.passing = typeof fault === 'object' && fault.mode === 'hold-request' ? fault.pass ?? headEnd : 0;
  x.held = Buffer.alloc(0);
  x.healed = false;
  const mode = fault === undefined ? undefined : faultMode(fault);
  if (mode === 'reset') return void (x.upstream.destroy(), x.client.resetAndDestroy());
  if (mode === 'http-503') return void (x.upstream.destroy(), x.client.end(GATEWAY_503));
  if (typeof fault === 'object' && fault.mode === 'cut-request') {
    x.cutAt = fault.bodyBytes === 'first-chunk' ? start.length - headEnd : fault.bodyBytes;
    x.held = Buffer.alloc(0);
    x.upstream.write(start.subarray(0, headEnd));
    return forward(x, start.subarray(headEnd));
  }
  forward(x, start);
}

/** Collects a response the client must not see; true once it is complete. */
function collected(x: Exchange, chunk: Buffer): boolean {
  x.response = Buffer.concat([x.response, chunk]);
  return responseComplete(x.response);
}

/** Passes response bytes to the client as the current fault says. */
function onResponse(x: Exchange, chunk: Buffer): void {
  const cutting = cutOf(x);
  if (cutting) return cut(x, cutting);
  if (x.fault === 'drop-response') {
    if (collected(x, chunk)) { x.client.resetAndDestroy(); x.upstream.destroy(); }
    return;
  }
  if (deliversLate(x) && collected(x, chunk) && x.orphaned) return void (x.late(x.response), x.upstream.destroy());
  if (x.orphaned) return;
  const delay = delayOf(x, 'delay-response');
  if (delay !== undefined) return later(x.track, delay, () => { if (!x.client.destroyed) x.client.write(chunk); });
  x.client.write(chunk);
}

/** Feeds a client chunk: a request start is held until its head is complete, then decided. */
function onRequestBytes(x: Exchange, chunk: Buffer, decide: (start: Buffer) => HttpFault | undefined): void {
  if (x.head === undefined && !startsRequest(chunk)) return forward(x, chunk);
  const start = x.head === undefined ? chunk : Buffer.concat([x.head, chunk]);
  const headEnd = start.indexOf('\r\n\r\n');
  if (headEnd < 0) return void (x.head = start);
  x.head = undefined;
  beginRequest(x, start, headEnd + 4, decide(start));
}

/** Wires one client connection: the server side closes with it, unless a late request is still due. */
function exchange(client: Socket, track: Tracked, target: { port: number; host: string }, decide: (start: Buffer) => HttpFault | undefined, late: (response: Buffer) => void): void {
  const x: Exchange = {
    client: watch(track, client), upstream: watch(track, connect(target.port, target.host)), track,
    head: undefined, fault: undefined, cutAt: 0, held: Buffer.alloc(0), response: Buffer.alloc(0), orphaned: false, passing: 0, healed: false, late,
  };
  client.on('data', (chunk: Buffer) => onRequestBytes(x, chunk, decide));
  x.upstream.on('data', (chunk: Buffer) => onResponse(x, chunk));
  client.on('close', () => {
    if (deliversLate(x) && !responseComplete(x.response)) x.orphaned = true;
    else x.upstream.destroy();
  });
  x.upstream.on('close', () => {
    const delay = delayOf(x, 'delay-response');
    if (x.fault === 'drop-response') x.client.resetAndDestroy();
    else if (delay !== undefined) later(track, delay, () => x.client.end());
    else x.client.end();
  });
}

function emptyCounts(): Record<HttpFaultMode, number> {
  return { 'reset': 0, 'http-503': 0, 'drop-response': 0, 'delay-request': 0, 'delay-response': 0, 'hold-request': 0, 'cut-request': 0 };
}

/**
 * Forwards 127.0.0.1:<port> to an HTTP server on targetPort (ClickHouse; at targetHost, default loopback). For each request,
 * `decide(start, index)` sees the request head (and any body bytes sent with it) once; the fault
 * it names is played on that request, every other request passes unchanged.
 */
export async function startHttpFaultProxy(targetPort: number, decide: HttpDecide, targetHost = '127.0.0.1'): Promise<HttpFaultProxy> {
  let requests = 0;
  const played = emptyCounts();
  const count = (start: Buffer): HttpFault | undefined => {
    const fault = decide(start, requests++);
    if (fault !== undefined) played[faultMode(fault)] += 1;
    return fault;
  };
  const lateAnswers: string[] = [];
  const late = (response: Buffer) => { lateAnswers.push(response.toString('utf8')); };
  const { port, close } = await listen(tracked((client, track) => exchange(client, track, { port: targetPort, host: targetHost }, count, late)));
  return {
    port,
    close,
    lateAnswers,
    get requests() { return requests; },
    get played() { return { ...played }; },
    get cuts() { return Object.values(played).reduce((sum, n) => sum + n, 0); },
  };
}

/** What a request must mention: text or a pattern, looked for in its raw start and its decoded URL. */
export type RequestMarker = string | RegExp;

/** The request start as text, with the percent-decoded request target in front (`+` read as space). */
function requestText(start: Buffer): string {
  const raw = start.toString('latin1');
  const target = raw.slice(0, raw.indexOf('\r\n')).replaceAll('+', ' ');
  try {
    return `${decodeURIComponent(target)}\n${raw}`;
  } catch {
    return raw;
  }
}

/** Whether a request start mentions `marker` (e.g. 'INSERT INTO', 'system.processes'). */
export function requestMentions(start: Buffer, marker: RequestMarker): boolean {
  const text = requestText(start);
  return typeof marker === 'string' ? text.includes(marker) : marker.test(text);
}

/** Plays `fault` on every `n`th request that mentions `marker` (the nth, 2nth, 3nth…). */
export function everyNthRequest(marker: RequestMarker, n: number, fault: HttpFault): HttpDecide {
  let seen = 0;
  return (start) => {
    if (!requestMentions(start, marker)) return undefined;
    seen += 1;
    return seen % n === 0 ? fault : undefined;
  };
}

/** Plays `fault` on a seeded-random share (0..1) of the requests that mention `marker`; one seed, same requests. */
export function randomShareOfRequests(marker: RequestMarker, share: number, seed: number, fault: HttpFault): HttpDecide {
  const random = seededRandom(seed);
  return (start) => (requestMentions(start, marker) && random() < share ? fault : undefined);
}
