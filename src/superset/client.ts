import { RuntimeFailure, UsageError, messageOf } from '../errors.js';
import { registerSecret } from '../config/secrets.js';
import type { SupersetAccount } from './settings.js';

/** A request as sent, for `--json` (credentials replaced by "***"). */
export interface SentRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | undefined;
}

interface Reply {
  readonly status: number;
  readonly body: unknown;
}

const REQUEST_TIMEOUT_MS = 15_000;
const HIDDEN_HEADERS = new Set(['authorization', 'x-csrftoken', 'cookie']);

/** internal_service_url, else service_url, with the trailing slash the plugin forces. */
export function supersetHost(account: SupersetAccount): string {
  const url = account.internalServiceUrl ?? account.serviceUrl;
  if (url === undefined) throw new UsageError('SUPERSET_CONFIG needs service_url or internal_service_url');
  if (!/^https?:\/\//.test(url)) throw new UsageError(`SUPERSET_CONFIG URL ${JSON.stringify(url)} must start with http:// or https://`);
  return url.endsWith('/') ? url : `${url}/`;
}

function shown(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, HIDDEN_HEADERS.has(name.toLowerCase()) ? '***' : value]));
}

/** Superset's REST API as the plugin's client uses it: JWT login, CSRF token with its session cookie, refresh on expiry. */
export class SupersetClient {
  readonly host: string;
  readonly apiBase: string;
  private accessToken = '';
  private refreshToken = '';
  private csrfToken: string | undefined;
  private readonly cookies = new Map<string, string>();
  /** The newest request, as `--json` shows it. */
  private lastSent: SentRequest | undefined;

  constructor(private readonly account: SupersetAccount) {
    this.host = supersetHost(account);
    this.apiBase = `${this.host.replace(/\/+$/, '')}/api/v1`;
  }

  /** POST /security/login with the db provider; keeps the access and refresh tokens. */
  async login(): Promise<void> {
    const body = JSON.stringify({ username: this.account.username, password: this.account.password, provider: 'db', refresh: 'true' });
    const reply = await this.send('POST', `${this.apiBase}/security/login`, { 'Content-Type': 'application/json' }, body);
    if (reply.status !== 200) throw new RuntimeFailure(`Superset login as ${JSON.stringify(this.account.username)} failed: ${describe(reply)}`);
    this.keepTokens(reply.body);
  }

  /** GET with the bearer token; a 401 "Token has expired" refreshes once and retries. */
  async get(path: string): Promise<Reply> {
    return this.withRefresh(() => this.send('GET', `${this.apiBase}${path}`, this.authHeaders(), undefined));
  }

  /** POST /security/guest_token/ with the CSRF token and session cookie; returns the token and the request as sent. */
  async guestToken(body: string): Promise<{ token: string; request: SentRequest }> {
    this.csrfToken ??= await this.fetchCsrfToken();
    const url = `${this.host}api/v1/security/guest_token/`;
    const reply = await this.withRefresh(() => this.send('POST', url, { ...this.authHeaders(), 'X-CSRFToken': this.csrfToken ?? '', 'Content-Type': 'application/json' }, body));
    const token = (reply.body as { token?: unknown } | null)?.token;
    if (reply.status !== 200 || typeof token !== 'string') throw new RuntimeFailure(`Superset refused the guest token: ${describe(reply)}`);
    return { token, request: this.lastSent as SentRequest };
  }

  private async fetchCsrfToken(): Promise<string> {
    const reply = await this.get('/security/csrf_token/');
    const token = (reply.body as { result?: unknown } | null)?.result;
    if (reply.status !== 200 || typeof token !== 'string') throw new RuntimeFailure(`Superset gave no CSRF token: ${describe(reply)}`);
    registerSecret(token);
    return token;
  }

  private authHeaders(): Record<string, string> {
    return { Authorization: `Bearer ${this.accessToken}`, Referer: this.apiBase };
  }

  private cookieHeader(): Record<string, string> {
    if (this.cookies.size === 0) return {};
    return { Cookie: [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ') };
  }

  private keepTokens(body: unknown): void {
    const tokens = (body ?? {}) as { access_token?: unknown; refresh_token?: unknown };
    if (typeof tokens.access_token !== 'string') throw new RuntimeFailure('Superset login answered without an access_token');
    this.accessToken = tokens.access_token;
    if (typeof tokens.refresh_token === 'string') this.refreshToken = tokens.refresh_token;
    registerSecret(this.accessToken);
    registerSecret(this.refreshToken);
  }

  private async withRefresh(call: () => Promise<Reply>): Promise<Reply> {
    const reply = await call();
    const expired = reply.status === 401 && (reply.body as { msg?: unknown } | null)?.msg === 'Token has expired';
    if (!expired || this.refreshToken === '') return reply;
    const refreshed = await this.send('POST', `${this.apiBase}/security/refresh`, { Authorization: `Bearer ${this.refreshToken}` }, undefined);
    if (refreshed.status !== 200) throw new RuntimeFailure(`Superset token refresh failed: ${describe(refreshed)}`);
    this.keepTokens({ refresh_token: this.refreshToken, ...(refreshed.body as object) });
    return call();
  }

  private async send(method: string, url: string, headers: Record<string, string>, body: string | undefined): Promise<Reply> {
    const sentHeaders = { ...headers, ...this.cookieHeader() };
    this.lastSent = { method, url, headers: shown(sentHeaders), body };
    let response: Response;
    try {
      response = await fetch(url, { method, headers: sentHeaders, body, redirect: 'manual', signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    } catch (error) {
      throw new RuntimeFailure(`cannot reach Superset at ${url}: ${messageOf((error as { cause?: unknown }).cause ?? error)}`);
    }
    for (const cookie of response.headers.getSetCookie()) {
      const [pair = ''] = cookie.split(';');
      const split = pair.indexOf('=');
      if (split > 0) this.cookies.set(pair.slice(0, split).trim(), pair.slice(split + 1).trim());
    }
    const text = await response.text();
    return { status: response.status, body: parseJson(text) };
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** "HTTP 404 Not found" from a reply, with Superset's message when it gave one. */
export function describe(reply: Reply): string {
  const body = reply.body as { message?: unknown; msg?: unknown } | string | null;
  const message = typeof body === 'string' ? body.slice(0, 200) : body?.message ?? body?.msg;
  return `HTTP ${reply.status}${message === undefined || message === '' ? '' : ` ${typeof message === 'string' ? message : JSON.stringify(message)}`}`;
}
