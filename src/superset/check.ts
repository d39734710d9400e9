import { describe, type SupersetClient } from './client.js';
import { embeddedCopies } from './dashboards.js';
import { tokenDashboards } from './guest-token.js';
import type { SupersetSettings } from './settings.js';

/** One configured dashboard copy and what Superset says about it. */
export interface DashboardCheck {
  readonly slug: string;
  /** The embedded UUID the LMS asks guest tokens for. */
  readonly uuid: string;
  readonly ok: boolean;
  /** "ok", or why an instructor would see a blank tab. */
  readonly reason: string;
}

async function checkCopy(client: SupersetClient, slug: string, uuid: string): Promise<DashboardCheck> {
  const path = `/dashboard/${encodeURIComponent(slug)}`;
  const dashboard = await client.get(path);
  if (dashboard.status === 404) return { slug, uuid, ok: false, reason: 'dashboard not found' };
  if (dashboard.status !== 200) return { slug, uuid, ok: false, reason: `dashboard lookup failed: ${describe(dashboard)}` };
  const embedded = await client.get(`${path}/embedded`);
  if (embedded.status === 404) return { slug, uuid, ok: false, reason: 'dashboard is not embeddable (no embedded configuration)' };
  if (embedded.status !== 200) return { slug, uuid, ok: false, reason: `embedded lookup failed: ${describe(embedded)}` };
  const actual = (embedded.body as { result?: { uuid?: unknown } } | null)?.result?.uuid;
  if (actual !== uuid) return { slug, uuid, ok: false, reason: `embedded as ${String(actual)}, but the LMS asks for ${uuid}` };
  return { slug, uuid, ok: true, reason: 'ok' };
}

/** Checks every dashboard a guest token covers, and each localized copy, on a logged-in client. */
export async function checkDashboards(client: SupersetClient, settings: SupersetSettings): Promise<DashboardCheck[]> {
  const copies = tokenDashboards(settings).flatMap((dashboard) => embeddedCopies(dashboard, settings.locales));
  const results: DashboardCheck[] = [];
  for (const { slug, uuid } of copies) results.push(await checkCopy(client, slug, uuid));
  return results;
}
