import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseManifests } from './deploy-manifests.js';

/** Debian's Python (python3-jinja2 installs Jinja2 for it), not whatever python3 comes first on PATH. */
const PYTHON = '/usr/bin/python3';

/** A Tutor YAML plugin: its name, config defaults (unprefixed) and patches (Jinja templates). */
export interface TutorPlugin {
  readonly name: string;
  readonly config: { readonly defaults: Record<string, unknown> };
  readonly patches: Record<string, string>;
}

export const readTutorPlugin = (path: string): TutorPlugin => parseManifests(readFileSync(path, 'utf8'), path)[0] as TutorPlugin;

/**
 * The settings Tutor gives templates that the plugin uses: Tutor's own (LMS database) and
 * tutor-contrib-aspects' (ClickHouse), at their defaults, passwords made up.
 */
const TUTOR_SETTINGS: Record<string, unknown> = {
  RUN_MYSQL: true, MYSQL_HOST: 'mysql', MYSQL_PORT: 3306,
  OPENEDX_MYSQL_DATABASE: 'openedx', OPENEDX_MYSQL_USERNAME: 'openedx', OPENEDX_MYSQL_PASSWORD: 'Xq3kL9mN',
  CLICKHOUSE_HOST: 'clickhouse', CLICKHOUSE_INTERNAL_HTTP_PORT: 8123, CLICKHOUSE_SECURE_CONNECTION: false,
  ASPECTS_CLICKHOUSE_CMS_USER: 'ch_cms', ASPECTS_CLICKHOUSE_CMS_PASSWORD: 'Vb7pR2sT', ASPECTS_EVENT_SINK_DATABASE: 'event_sink',
  ASPECTS_ENABLE_PII: false,
};

/** Tutor's configuration with the plugin on: its defaults under the plugin's prefix (as Tutor's v0 loader does), then `settings`. */
export function tutorConfig(plugin: TutorPlugin, settings: Record<string, unknown> = {}): Record<string, unknown> {
  const prefix = `${plugin.name.toUpperCase()}_`;
  const defaults = Object.fromEntries(Object.entries(plugin.config.defaults).map(([key, value]) => [`${prefix}${key}`, value]));
  return { ...TUTOR_SETTINGS, ...defaults, ...settings };
}

/**
 * Renders each patch as Tutor does (a Jinja2 template of its own, StrictUndefined: a name Tutor
 * does not define is an error), and places the compose patch under `services:` with Tutor's
 * `indent(2)` as its docker-compose.yml does.
 */
const RENDER_SCRIPT = `
import json, sys
import jinja2
request = json.load(sys.stdin)
env = jinja2.Environment(undefined=jinja2.StrictUndefined, extensions=["jinja2.ext.do"])
patches = {name: env.from_string(text).render(**request["config"]) for name, text in request["patches"].items()}
compose = env.from_string("services:\\n  {{ patch|indent(2) }}\\n").render(patch=patches.get("local-docker-compose-services", ""))
json.dump({"jinja2": jinja2.__version__, "filters": sorted(env.filters), "patches": patches, "compose": compose}, sys.stdout)
`;

/** What real Jinja2 made of the plugin's patches. */
export interface RenderedPlugin {
  readonly jinja2: string;
  readonly filters: string[];
  readonly patches: Record<string, string>;
  /** The compose patch inside a docker-compose.yml `services:` mapping. */
  readonly compose: string;
}

/** Renders the plugin's patches with Debian's Jinja2 and `config` (see RENDER_SCRIPT). */
export function renderTutorPlugin(plugin: TutorPlugin, config: Record<string, unknown>): RenderedPlugin {
  const result = spawnSync(PYTHON, ['-c', RENDER_SCRIPT], { input: JSON.stringify({ config, patches: plugin.patches }), encoding: 'utf8' });
  if (result.error) throw new Error(`${PYTHON} is needed to render the Tutor plugin: ${result.error.message}`);
  if (/No module named 'jinja2'/.test(result.stderr)) throw new Error(`Jinja2 is missing: apt-get install python3-jinja2`);
  if (result.status !== 0) throw new Error(`rendering the Tutor plugin failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as RenderedPlugin;
}
