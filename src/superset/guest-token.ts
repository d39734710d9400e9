import { pythonJson } from '../format/python-json.js';
import type { CourseKey } from './course-key.js';
import { embeddedCopies, type Dashboard } from './dashboards.js';
import { DEFAULT_FILTERS_FORMAT, rlsClauses, type FilterUser } from './filters.js';
import type { SupersetSettings } from './settings.js';

/** The dashboards a course's guest token covers: the instructor ones, plus the in-context ones when Studio metrics are on. */
export function tokenDashboards(settings: SupersetSettings): Dashboard[] {
  const inContext = settings.studioInContextMetrics ? Object.values(settings.inContextDashboards) : [];
  return [...settings.instructorDashboards, ...inContext];
}

/** Every filter format a token applies: the defaults, then SUPERSET_EXTRA_FILTERS_FORMAT. */
export function filterFormats(settings: SupersetSettings): string[] {
  return [...DEFAULT_FILTERS_FORMAT, ...settings.extraFilters];
}

/**
 * The guest-token request body, byte for byte as the plugin's `requests` sends it (Python json.dumps):
 * each dashboard, then its localized copies; one RLS clause per filter format.
 */
export function guestTokenBody(settings: SupersetSettings, course: CourseKey, user: FilterUser): string {
  const resources = tokenDashboards(settings)
    .flatMap((dashboard) => embeddedCopies(dashboard, settings.locales))
    .map(({ uuid }) => ({ type: 'dashboard', id: uuid }));
  const rls = rlsClauses(filterFormats(settings), course, user).map((clause) => ({ clause }));
  return pythonJson({ user: { username: user.username }, resources, rls });
}
