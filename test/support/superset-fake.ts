/**
 * A thin fake of the Superset endpoints `aspects superset` calls (Superset cannot run here): login,
 * CSRF token (with the session cookie), guest token, dashboard and embedded-config lookups, token
 * refresh, and the /embedded/<uuid> page the SDK puts in its iframe. It checks what real Superset
 * checks (bearer token, CSRF header, the cookie of the CSRF call) and records every request; it
 * does not render dashboards or apply RLS.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

export interface SupersetFakeOptions {
  readonly username: string;
  readonly password: string;
  /** slug → embedded uuid (null: the dashboard exists but is not embedded). */
  readonly dashboards: ReadonlyMap<string, string | null>;
  /** Answer the first authorized call with 401 "Token has expired". */
  readonly expireFirstAccessToken?: boolean;
}

export interface SupersetFake {
  readonly url: string;
  readonly requests: FakeRequest[];
  /** Guest-token bodies as received, byte for byte. */
  readonly guestTokenBodies: string[];
  readonly issuedTokens: string[];
  /** What the /embedded page received from the SDK: the dashboard id, its query and the guest token. */
  readonly iframeReports: { id: string; query: string; guestToken: string }[];
  close(): Promise<void>;
}

const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A JWT-shaped guest token (the SDK decodes `exp` to schedule refreshes). */
function guestJwt(): string {
  return `${base64url({ alg: 'HS256', typ: 'JWT' })}.${base64url({ exp: Math.floor(Date.now() / 1000) + 300, type: 'guest' })}.${randomBytes(8).toString('hex')}`;
}

const EMBEDDED_PAGE = `<!doctype html><html><body>fake embedded dashboard<script>
window.addEventListener('message', (event) => {
  if (!event.data || event.data.type !== '__embedded_comms__' || !event.ports[0]) return;
  const port = event.ports[0];
  port.onmessage = (message) => {
    const data = message.data;
    if (data.switchboardAction !== 'emit' || data.method !== 'guestToken') return;
    fetch('/__report', { method: 'POST', body: JSON.stringify({ id: location.pathname.split('/')[2], query: location.search, guestToken: data.args.guestToken }) });
  };
});
</script></body></html>`;

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
}

/** Starts the fake on a free loopback port. */
export async function startSupersetFake(options: SupersetFakeOptions): Promise<SupersetFake> {
  const requests: FakeRequest[] = [];
  const guestTokenBodies: string[] = [];
  const issuedTokens: string[] = [];
  const iframeReports: SupersetFake['iframeReports'] = [];
  const access = new Set<string>();
  const refresh = new Set<string>();
  const sessions = new Map<string, string>(); // session cookie → csrf token
  let expireNext = options.expireFirstAccessToken === true;
  let baseUrl = '';

  const bearer = (request: IncomingMessage) => /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1] ?? '';
  const newTokens = () => {
    const tokens = { access_token: `access-${randomBytes(6).toString('hex')}`, refresh_token: `refresh-${randomBytes(6).toString('hex')}` };
    access.add(tokens.access_token);
    refresh.add(tokens.refresh_token);
    return tokens;
  };

  function authorized(request: IncomingMessage, response: ServerResponse): boolean {
    if (!access.has(bearer(request))) {
      send(response, 401, { msg: 'Bad Authorization header. Expected \'Authorization: Bearer <JWT>\'' });
      return false;
    }
    if (expireNext) {
      expireNext = false;
      access.delete(bearer(request));
      send(response, 401, { msg: 'Token has expired' });
      return false;
    }
    return true;
  }

  function login(body: string, response: ServerResponse): void {
    const credentials = JSON.parse(body) as Record<string, unknown>;
    const expected = { username: options.username, password: options.password, provider: 'db', refresh: 'true' };
    if (JSON.stringify(credentials) !== JSON.stringify(expected)) return send(response, 401, { message: 'Not authorized' });
    send(response, 200, newTokens());
  }

  function csrf(request: IncomingMessage, response: ServerResponse): void {
    if (request.headers.referer !== `${baseUrl}/api/v1`) return send(response, 400, { message: 'Referer must be the API base' });
    const session = randomBytes(8).toString('hex');
    const token = `csrf-${randomBytes(6).toString('hex')}`;
    sessions.set(session, token);
    send(response, 200, { result: token }, { 'Set-Cookie': `session=${session}; HttpOnly; Path=/; SameSite=Lax` });
  }

  function guestToken(request: IncomingMessage, body: string, response: ServerResponse): void {
    const session = /(?:^|; )session=([^;]+)/.exec(request.headers.cookie ?? '')?.[1] ?? '';
    const csrfToken = sessions.get(session);
    if (csrfToken === undefined || request.headers['x-csrftoken'] !== csrfToken) return send(response, 400, { message: 'The CSRF session token is missing.' });
    if (request.headers['content-type'] !== 'application/json') return send(response, 400, { message: 'Request is not JSON' });
    guestTokenBodies.push(body);
    const token = guestJwt();
    issuedTokens.push(token);
    send(response, 200, { token });
  }

  function dashboard(path: string, response: ServerResponse): void {
    const [, slug = '', embedded] = /^\/api\/v1\/dashboard\/([^/]+)(\/embedded)?$/.exec(path) ?? [];
    const uuid = options.dashboards.get(decodeURIComponent(slug));
    if (uuid === undefined || (embedded && uuid === null)) return send(response, 404, { message: 'Not found' });
    if (!embedded) return send(response, 200, { result: { slug, dashboard_title: slug } });
    send(response, 200, { result: { uuid, allowed_domains: [], dashboard_id: '1', changed_on: '2024-01-01T00:00:00' } });
  }

  function route(request: IncomingMessage, body: string, response: ServerResponse): void {
    const url = new URL(request.url ?? '/', baseUrl);
    const path = url.pathname;
    const method = request.method ?? 'GET';
    if (method === 'POST' && path === '/api/v1/security/login') return login(body, response);
    if (method === 'POST' && path === '/api/v1/security/refresh') {
      if (!refresh.has(bearer(request))) return send(response, 401, { msg: 'bad refresh token' });
      return send(response, 200, { access_token: newTokens().access_token });
    }
    if (method === 'GET' && path.startsWith('/embedded/')) {
      response.writeHead(200, { 'Content-Type': 'text/html' });
      return void response.end(EMBEDDED_PAGE);
    }
    if (method === 'POST' && path === '/__report') {
      iframeReports.push(JSON.parse(body) as SupersetFake['iframeReports'][number]);
      return send(response, 200, {});
    }
    if (!authorized(request, response)) return;
    if (method === 'GET' && path === '/api/v1/security/csrf_token/') return csrf(request, response);
    if (method === 'POST' && path === '/api/v1/security/guest_token/') return guestToken(request, body, response);
    if (method === 'GET' && path.startsWith('/api/v1/dashboard/')) return dashboard(path, response);
    send(response, 404, { message: 'Not found' });
  }

  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => { body += chunk.toString('utf8'); });
    request.on('end', () => {
      requests.push({ method: request.method ?? '', path: request.url ?? '', headers: request.headers, body });
      route(request, body, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: baseUrl, requests, guestTokenBodies, issuedTokens, iframeReports,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
