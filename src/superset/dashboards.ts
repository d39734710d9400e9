import { v5 as uuidV5 } from 'uuid';

/** One entry of ASPECTS_INSTRUCTOR_DASHBOARDS or ASPECTS_IN_CONTEXT_DASHBOARDS. */
export interface Dashboard {
  readonly name: string;
  readonly slug: string;
  /** The embedded dashboard's UUID (not the dashboard's own). */
  readonly uuid: string;
  readonly allowTranslations: boolean;
}

/** A dashboard as one user gets it: localized slug and UUID where translations are allowed. */
export interface UserDashboard extends Dashboard {
  readonly baseUuid: string;
}

const dashboardOf = (name: string, slug: string, uuid: string): Dashboard => ({ name, slug, uuid, allowTranslations: true });

/** The plugin's ASPECTS_INSTRUCTOR_DASHBOARDS, in its order. */
export const DEFAULT_INSTRUCTOR_DASHBOARDS: readonly Dashboard[] = Object.freeze([
  dashboardOf('Course Dashboard', 'course-dashboard', 'c0e64194-33d1-4d5a-8c10-4f51530c5ee9'),
  dashboardOf('Individual Learner Dashboard', 'individual-learner', 'abae8a25-1ba4-4653-81bd-d3937a162a11'),
  dashboardOf('At-Risk Learners Dashboard', 'learner-groups', '8661d20c-cee6-4245-9fcc-610daea5fd24'),
]);

/** The plugin's ASPECTS_IN_CONTEXT_DASHBOARDS, keyed by block type, in its order. */
export const DEFAULT_IN_CONTEXT_DASHBOARDS: Readonly<Record<string, Dashboard>> = Object.freeze({
  course: dashboardOf('In-Context Course', 'in-context-course', 'f2880cc1-63e9-48d7-ac3c-d2ff6f6698e2'),
  sequential: dashboardOf('In-Context Graded Subsection', 'in-context-graded-subsection', 'f0321087-6428-4b97-b32e-2dae7d9cc447'),
  problem: dashboardOf('In-Context Problem', 'in-context-problem', '98ff33ff-18dd-48f9-8c58-629ae4f4194b'),
  video: dashboardOf('In-Context Video', 'in-context-video', 'bc6510fb-027f-4026-a333-d0c42d3cc35c'),
});

/** A locale as the plugin compares and names it: lower case, `_` for `-`. */
export function normalizeLocale(locale: string): string {
  return locale.toLowerCase().replaceAll('-', '_');
}

/** The plugin's get_localized_uuid (and Tutor's): uuid5(uuid5(base, "superset"), normalized locale). */
export function localizedUuid(baseUuid: string, locale: string): string {
  const namespace = uuidV5('superset', baseUuid);
  return uuidV5(normalizeLocale(locale), namespace);
}

/** get_user_dashboard_locale: the user's language when it is configured, else `en`. */
export function dashboardLocale(userLanguage: string, locales: readonly string[]): string {
  const language = normalizeLocale(userLanguage);
  return locales.map(normalizeLocale).includes(language) ? language : 'en';
}

/** The dashboards a user with `locale` gets (slug `<slug>-<locale>`, localized UUID). */
export function userDashboards(dashboards: readonly Dashboard[], locale: string): UserDashboard[] {
  return dashboards.map((dashboard) => (dashboard.allowTranslations
    ? { ...dashboard, slug: `${dashboard.slug}-${locale}`, uuid: localizedUuid(dashboard.uuid, locale), baseUuid: dashboard.uuid }
    : { ...dashboard, baseUuid: dashboard.uuid }));
}

/** The embedded copies Superset must hold for one dashboard: itself, then one per configured locale (Tutor's slugs). */
export function embeddedCopies(dashboard: Dashboard, locales: readonly string[]): { slug: string; uuid: string }[] {
  const base = { slug: dashboard.slug, uuid: dashboard.uuid };
  if (!dashboard.allowTranslations) return [base];
  return [base, ...locales.map((locale) => ({ slug: `${dashboard.slug}-${locale}`, uuid: localizedUuid(dashboard.uuid, locale) }))];
}
