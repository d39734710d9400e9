import { readFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { messageOf } from '../errors.js';
import { redact } from '../config/secrets.js';

/** What the embed page shows and where its guest tokens come from. */
export interface EmbedPage {
  readonly courseKey: string;
  /** The embedded dashboard UUID (localized for the user's locale). */
  readonly dashboardId: string;
  readonly dashboardName: string;
  /** The Superset URL the browser loads the iframe from. */
  readonly supersetDomain: string;
  readonly mintToken: () => Promise<string>;
}

/** The token path the plugin serves in the LMS, so the page behaves like the Instructor Dashboard's. */
export function tokenPath(courseKey: string): string {
  return `/aspects/superset_guest_token/${encodeURIComponent(courseKey)}/`;
}

function sdkBundle(): Buffer {
  const require = createRequire(import.meta.url);
  return readFileSync(require.resolve('@superset-ui/embedded-sdk'));
}

/** JSON safe inside a <script> element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** The page: the embedded SDK with the plugin's UI options, fetching tokens from this server. */
export function embedPageHtml(page: EmbedPage): string {
  const config = { id: page.dashboardId, supersetDomain: page.supersetDomain, tokenUrl: tokenPath(page.courseKey) };
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(page.dashboardName)} · ${escapeHtml(page.courseKey)}</title>
<style>body{margin:0;font-family:sans-serif}#status{padding:6px 10px;background:#f3f3f3;font-size:13px}#dashboard,#dashboard iframe{width:100%;height:calc(100vh - 32px);border:0}</style>
</head><body>
<div id="status">requesting a guest token…</div>
<div id="dashboard"></div>
<script src="/embedded-sdk.js"></script>
<script>
const config = ${scriptJson(config)};
const status = document.getElementById('status');
async function fetchGuestToken() {
  const response = await fetch(config.tokenUrl);
  const body = await response.json();
  if (!response.ok) { status.textContent = 'guest token failed: ' + body.error; throw new Error(body.error); }
  status.textContent = 'guest token received; dashboard ' + config.id + ' from ' + config.supersetDomain;
  return body.guestToken;
}
supersetEmbeddedSdk.embedDashboard({
  id: config.id,
  supersetDomain: config.supersetDomain,
  mountPoint: document.getElementById('dashboard'),
  fetchGuestToken,
  dashboardUiConfig: { hideTitle: true, hideTab: true, hideChartControls: false, filters: { expanded: false } },
}).catch((error) => { status.textContent = 'embedding failed: ' + error.message; });
</script>
</body></html>
`;
}

function reply(response: ServerResponse, status: number, type: string, body: string | Buffer): void {
  response.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' });
  response.end(body);
}

/** Serves the page, the SDK and the token endpoint on 127.0.0.1 only. */
export async function serveEmbedPage(page: EmbedPage, port: number, log: (line: string) => void): Promise<Server> {
  const html = embedPageHtml(page);
  const sdk = sdkBundle();
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
    if (request.method !== 'GET') return reply(response, 405, 'text/plain', 'method not allowed\n');
    if (path === '/') return reply(response, 200, 'text/html; charset=utf-8', html);
    if (path === '/embedded-sdk.js') return reply(response, 200, 'text/javascript', sdk);
    if (path !== tokenPath(page.courseKey)) return reply(response, 404, 'text/plain', 'not found\n');
    page.mintToken().then(
      (guestToken) => { log('guest token issued'); reply(response, 200, 'application/json', JSON.stringify({ guestToken })); },
      (error: unknown) => {
        const message = redact(messageOf(error));
        log(`guest token failed: ${message}`);
        reply(response, 500, 'application/json', JSON.stringify({ error: message }));
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return server;
}
