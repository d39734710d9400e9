import { parse as parseYaml } from 'yaml';
import { UsageError, messageOf } from '../errors.js';
import { isMapping, type ConfigFile } from '../config/file.js';
import { parseSwitch } from '../config/settings.js';
import { registerSecret } from '../config/secrets.js';
import { DEFAULT_IN_CONTEXT_DASHBOARDS, DEFAULT_INSTRUCTOR_DASHBOARDS, type Dashboard } from './dashboards.js';

/** SUPERSET_CONFIG: where Superset is and the account that mints guest tokens. */
export interface SupersetAccount {
  /** The URL browsers use (the embed page's iframe). */
  readonly serviceUrl: string | undefined;
  /** The URL this tool talks to; falls back to serviceUrl. */
  readonly internalServiceUrl: string | undefined;
  readonly username: string;
  readonly password: string;
}

/** The plugin's Superset settings, with its defaults. */
export interface SupersetSettings {
  readonly account: SupersetAccount;
  readonly instructorDashboards: readonly Dashboard[];
  /** Keyed by block type: course, sequential, problem, video. */
  readonly inContextDashboards: Readonly<Record<string, Dashboard>>;
  readonly extraFilters: readonly string[];
  readonly locales: readonly string[];
  readonly studioInContextMetrics: boolean;
}

type Env = Readonly<Record<string, string | undefined>>;

/** A setting from the environment (JSON or YAML text) before the config file; undefined when neither has it. */
function rawSetting(name: keyof ConfigFile & string, env: Env, file: ConfigFile): unknown {
  const text = env[name];
  if (text === undefined || text === '') return file[name];
  try {
    return parseYaml(text);
  } catch (error) {
    throw new UsageError(`environment variable ${name} is not valid JSON: ${messageOf(error).split('\n')[0] ?? ''}`);
  }
}

function optionalText(value: unknown, name: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string' && typeof value !== 'number') throw new UsageError(`${name} must be text`);
  return String(value);
}

function account(raw: unknown): SupersetAccount {
  const config = raw ?? { internal_service_url: 'http://superset:8088', username: 'superset', password: 'superset' };
  if (!isMapping(config)) throw new UsageError('SUPERSET_CONFIG must be a mapping (service_url, internal_service_url, username, password)');
  const password = optionalText(config.password, 'SUPERSET_CONFIG password') ?? '';
  registerSecret(password);
  return {
    serviceUrl: optionalText(config.service_url, 'SUPERSET_CONFIG service_url'),
    internalServiceUrl: optionalText(config.internal_service_url, 'SUPERSET_CONFIG internal_service_url'),
    username: optionalText(config.username, 'SUPERSET_CONFIG username') ?? '',
    password,
  };
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function textList(value: unknown, name: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) throw new UsageError(`${name} must be a list of strings`);
  return value;
}

function dashboard(value: unknown, name: string): Dashboard {
  if (!isMapping(value)) throw new UsageError(`${name} must hold mappings with name, slug and uuid`);
  const uuid = optionalText(value.uuid, `${name} uuid`) ?? '';
  if (!UUID_PATTERN.test(uuid)) throw new UsageError(`${name} has uuid ${JSON.stringify(uuid)}, which is not a UUID`);
  const slug = optionalText(value.slug, `${name} slug`);
  if (slug === undefined) throw new UsageError(`${name} has a dashboard without a slug`);
  return {
    name: optionalText(value.name, `${name} name`) ?? slug,
    slug,
    uuid: uuid.toLowerCase(),
    allowTranslations: value.allow_translations === true,
  };
}

function instructorDashboards(raw: unknown): Dashboard[] {
  if (raw === undefined || raw === null) return [...DEFAULT_INSTRUCTOR_DASHBOARDS];
  if (!Array.isArray(raw)) throw new UsageError('ASPECTS_INSTRUCTOR_DASHBOARDS must be a list of dashboards');
  return raw.map((entry) => dashboard(entry, 'ASPECTS_INSTRUCTOR_DASHBOARDS'));
}

function inContextDashboards(raw: unknown): Record<string, Dashboard> {
  if (raw === undefined || raw === null) return { ...DEFAULT_IN_CONTEXT_DASHBOARDS };
  if (!isMapping(raw)) throw new UsageError('ASPECTS_IN_CONTEXT_DASHBOARDS must map block types to dashboards');
  return Object.fromEntries(Object.entries(raw).map(([type, entry]) => [type, dashboard(entry, 'ASPECTS_IN_CONTEXT_DASHBOARDS')]));
}

/** Reads the Superset settings: environment variables of the same names (JSON) over the config file. */
export function resolveSupersetSettings(env: Env, file: ConfigFile): SupersetSettings {
  const studioSwitch = rawSetting('ASPECTS_ENABLE_STUDIO_IN_CONTEXT_METRICS', env, file);
  return {
    account: account(rawSetting('SUPERSET_CONFIG', env, file)),
    instructorDashboards: instructorDashboards(rawSetting('ASPECTS_INSTRUCTOR_DASHBOARDS', env, file)),
    inContextDashboards: inContextDashboards(rawSetting('ASPECTS_IN_CONTEXT_DASHBOARDS', env, file)),
    extraFilters: textList(rawSetting('SUPERSET_EXTRA_FILTERS_FORMAT', env, file), 'SUPERSET_EXTRA_FILTERS_FORMAT') ?? [],
    locales: textList(rawSetting('SUPERSET_DASHBOARD_LOCALES', env, file), 'SUPERSET_DASHBOARD_LOCALES') ?? ['en'],
    studioInContextMetrics: studioSwitch === undefined || studioSwitch === null
      ? true : parseSwitch(studioSwitch as string | boolean, 'ASPECTS_ENABLE_STUDIO_IN_CONTEXT_METRICS'),
  };
}
