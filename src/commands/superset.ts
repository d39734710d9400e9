import { Command } from 'commander';
import { configFileOf, resolveSettings } from '../config/settings.js';
import { RuntimeFailure, UsageError, messageOf } from '../errors.js';
import { authUserByName } from '../lms/auth-user.js';
import { connectLmsDatabase } from '../lms/database.js';
import { timestamp, writeLine } from '../output/streams.js';
import { textTable } from '../output/table.js';
import { checkDashboards } from '../superset/check.js';
import { SupersetClient } from '../superset/client.js';
import { parseCourseKey } from '../superset/course-key.js';
import { dashboardLocale, userDashboards, type UserDashboard } from '../superset/dashboards.js';
import { serveEmbedPage, tokenPath } from '../superset/embed-server.js';
import { filterFields, type FilterUser } from '../superset/filters.js';
import { filterFormats, guestTokenBody } from '../superset/guest-token.js';
import { resolveSupersetSettings, type SupersetSettings } from '../superset/settings.js';
import type { CommandContext } from './context.js';
import { portNumber } from './parse.js';

interface SupersetFlags {
  config?: string;
  mysqlUrl?: string;
  json?: boolean;
  /** Absent on `check`, which covers every locale. */
  locale: string;
}

interface LearnerFlags extends SupersetFlags {
  courseKey: string;
  username: string;
}

interface EmbedFlags extends LearnerFlags {
  port: number;
  dashboard?: string;
}

function supersetSettings(flags: SupersetFlags, context: CommandContext): SupersetSettings {
  return resolveSupersetSettings(context.env, configFileOf(flags, context.env));
}

/** The instructor dashboards as a user of `language` gets them, and the locale they are in. */
function instructorDashboardsFor(settings: SupersetSettings, language: string): { locale: string; dashboards: UserDashboard[] } {
  const locale = dashboardLocale(language, settings.locales);
  return { locale, dashboards: userDashboards(settings.instructorDashboards, locale) };
}

function checkedUsername(username: string): string {
  if (username === '' || username.length > 150 || /[\u0000-\u001f\u007f]/.test(username)) {
    throw new UsageError(`--username ${JSON.stringify(username)} is not an Open edX username`);
  }
  return username;
}

/** The token's user: the username alone, or its auth_user row when a filter uses other {user.…} fields. */
async function filterUser(settings: SupersetSettings, flags: LearnerFlags, context: CommandContext): Promise<FilterUser> {
  const username = checkedUsername(flags.username);
  const needsLms = filterFormats(settings).flatMap(filterFields).some((field) => field.startsWith('user.') && field !== 'user.username');
  if (!needsLms) return { username };
  const mysql = resolveSettings(flags, context.env).mysql;
  if (mysql === undefined) throw new UsageError('SUPERSET_EXTRA_FILTERS_FORMAT uses {user.…} fields: give the LMS database (--mysql-url or ASPECTS_MYSQL_URL)');
  const db = await connectLmsDatabase(mysql);
  try {
    return await authUserByName(db, username);
  } finally {
    await db.close();
  }
}

/** Logs in and mints a guest token for the course and user, as the LMS's token view does. */
async function mintToken(settings: SupersetSettings, flags: LearnerFlags, context: CommandContext) {
  const course = parseCourseKey(flags.courseKey);
  const body = guestTokenBody(settings, course, await filterUser(settings, flags, context));
  const client = new SupersetClient(settings.account);
  await client.login();
  return client.guestToken(body);
}

async function dashboardsAction(flags: SupersetFlags, context: CommandContext): Promise<void> {
  const settings = supersetSettings(flags, context);
  const { locale, dashboards } = instructorDashboardsFor(settings, flags.locale);
  if (flags.json) {
    const rows = dashboards.map(({ name, slug, uuid, baseUuid }) => ({ name, slug, uuid, base_uuid: baseUuid }));
    writeLine(context.streams.stdout, JSON.stringify({ locale, dashboards: rows }));
    return;
  }
  writeLine(context.streams.stdout, textTable(['name', 'slug', 'uuid', 'base uuid'], dashboards.map((d) => [d.name, d.slug, d.uuid, d.baseUuid])));
}

async function tokenAction(flags: LearnerFlags, context: CommandContext): Promise<void> {
  const settings = supersetSettings(flags, context);
  const { token, request } = await mintToken(settings, flags, context);
  if (!flags.json) {
    writeLine(context.streams.stdout, token);
    return;
  }
  const dashboards = instructorDashboardsFor(settings, flags.locale).dashboards.map(({ name, slug, uuid }) => ({ name, slug, uuid }));
  writeLine(context.streams.stdout, JSON.stringify({ token, dashboards, request: { ...request, body: JSON.parse(request.body ?? 'null') as unknown } }));
}

async function checkAction(flags: SupersetFlags, context: CommandContext): Promise<void> {
  const settings = supersetSettings(flags, context);
  const client = new SupersetClient(settings.account);
  await client.login();
  const results = await checkDashboards(client, settings);
  if (flags.json) writeLine(context.streams.stdout, JSON.stringify(results));
  else writeLine(context.streams.stdout, textTable(['dashboard', 'embedded uuid', 'status'], results.map((r) => [r.slug, r.uuid, r.reason])));
  const failed = results.filter((result) => !result.ok).length;
  if (failed > 0) throw new RuntimeFailure(`${failed} of ${results.length} dashboards cannot be embedded`);
}

async function embedAction(flags: EmbedFlags, context: CommandContext): Promise<void> {
  const settings = supersetSettings(flags, context);
  const course = parseCourseKey(flags.courseKey);
  checkedUsername(flags.username);
  const { dashboards } = instructorDashboardsFor(settings, flags.locale);
  const chosen = flags.dashboard === undefined ? 0 : settings.instructorDashboards.findIndex((d) => d.slug === flags.dashboard);
  const dashboard = dashboards[chosen];
  if (dashboard === undefined) throw new UsageError(`no instructor dashboard ${JSON.stringify(flags.dashboard ?? '')}; see aspects superset dashboards`);
  const supersetDomain = settings.account.serviceUrl ?? settings.account.internalServiceUrl;
  if (supersetDomain === undefined) throw new UsageError('SUPERSET_CONFIG needs service_url or internal_service_url');
  const log = (line: string) => writeLine(context.streams.stderr, `${timestamp()} ${line}`);
  const page = { courseKey: course.text, dashboardId: dashboard.uuid, dashboardName: dashboard.name, supersetDomain, mintToken: async () => (await mintToken(settings, flags, context)).token };
  const server = await serveEmbedPage(page, flags.port, log).catch((error: unknown) => {
    throw new RuntimeFailure(`cannot serve on 127.0.0.1:${flags.port}: ${messageOf(error)}`);
  });
  writeLine(context.streams.stdout, `serving ${dashboard.name} for ${course.text} on http://127.0.0.1:${flags.port}/ (tokens at ${tokenPath(course.text)}); Ctrl-C stops`);
  await new Promise<void>((resolve) => {
    if (context.signal.aborted) resolve();
    context.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
}

const addSettingsOptions = (command: Command): Command => command
  .option('--config <file>', 'JSON or YAML settings file with the plugin\'s keys (env ASPECTS_CONFIG)');

const addLocaleOption = (command: Command): Command => command
  .option('--locale <language>', 'the user\'s language (pref-lang); unconfigured ones fall back to en', 'en');

const addLearnerOptions = (command: Command): Command => addLocaleOption(addSettingsOptions(command))
  .requiredOption('--course-key <key>', 'course run, e.g. course-v1:OpenedX+DemoX+DemoCourse')
  .requiredOption('--username <name>', 'the LMS user the token is for')
  .option('--mysql-url <url>', 'LMS database, only needed when a filter uses {user.<field>} (env ASPECTS_MYSQL_URL)');

const SETTINGS_HELP = `
Settings (config file keys, or environment variables of the same names holding JSON):
  SUPERSET_CONFIG                       {"service_url", "internal_service_url", "username", "password"}
  ASPECTS_INSTRUCTOR_DASHBOARDS         [{"name", "slug", "uuid", "allow_translations"}]
  ASPECTS_IN_CONTEXT_DASHBOARDS         {"course"|"sequential"|"problem"|"video": {…}}
  SUPERSET_EXTRA_FILTERS_FORMAT         ["user_id = {user.id}", …]; {course_id}, {course_id.org|course|run}, {user.<auth_user column>}
  SUPERSET_DASHBOARD_LOCALES            ["en", "es-419", …]
  ASPECTS_ENABLE_STUDIO_IN_CONTEXT_METRICS  true adds the in-context dashboards to tokens and checks

Examples:
  $ aspects superset dashboards --locale es-419 --config lms.yml
  $ aspects superset token --course-key course-v1:OpenedX+DemoX+DemoCourse --username staff --json
  $ aspects superset check --config lms.yml
  $ aspects superset embed --course-key course-v1:OpenedX+DemoX+DemoCourse --username staff --port 8900`;

/** `aspects superset`: check and exercise the Instructor Dashboard's Superset embedding. */
export function supersetCommand(context: CommandContext): Command {
  const command = new Command('superset')
    .description('check Superset dashboard embedding, mint guest tokens, serve a test embed page')
    .addHelpText('after', SETTINGS_HELP);
  command.addCommand(addLocaleOption(addSettingsOptions(new Command('dashboards')))
    .description('list the dashboards an instructor gets, with localized slugs and UUIDs')
    .option('--json', 'print JSON')
    .action((flags: SupersetFlags) => dashboardsAction(flags, context)));
  command.addCommand(addLearnerOptions(new Command('token'))
    .description('log in to Superset and print a guest token for a course\'s dashboards')
    .option('--json', 'print the token, the user\'s dashboards and the request made (credentials hidden)')
    .action((flags: LearnerFlags) => tokenAction(flags, context)));
  command.addCommand(addSettingsOptions(new Command('check'))
    .description('verify every dashboard and localized copy exists and is embeddable; exit 1 otherwise')
    .option('--json', 'print JSON')
    .action((flags: SupersetFlags) => checkAction(flags, context)));
  command.addCommand(addLearnerOptions(new Command('embed'))
    .description('serve on 127.0.0.1 a page embedding the course dashboard with the Superset Embedded SDK')
    .requiredOption('--port <port>', 'loopback port to serve on', portNumber)
    .option('--dashboard <slug>', 'instructor dashboard to show (default: the first)')
    .action((flags: EmbedFlags) => embedAction(flags, context)));
  return command;
}
