import { UsageError } from '../errors.js';
import type { CourseKey } from './course-key.js';

/** The plugin's DEFAULT_FILTERS_FORMAT. */
export const DEFAULT_FILTERS_FORMAT: readonly string[] = Object.freeze([
  "org = '{course_id.org}'",
  "course_key = '{course_id}'",
]);

/** The user a token is for: the username, plus auth_user columns when a filter needs them. */
export type FilterUser = Readonly<Record<string, string | number | boolean | null>> & { readonly username: string };

/** Python's str() of a value. */
function pythonStr(value: string | number | boolean | null): string {
  if (value === null) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  return String(value);
}

// Values land inside SQL string literals of the format ('…'): escaping keeps them there. Validated
// course keys and Open edX usernames contain neither character, so plugin-equal inputs give equal text.
function sqlStringContent(text: string): string {
  return text.replace(/[\\']/g, (char) => `\\${char}`);
}

/** The `{…}` fields of a filter format, e.g. ["course_id.org", "user.id"]. */
export function filterFields(format: string): string[] {
  const fields: string[] = [];
  formatFilter(format, (field) => { fields.push(field); return ''; });
  return fields;
}

/** Python str.format over one filter: `{{`/`}}` escapes, `{name.attr}` fields, no conversions or specs. */
function formatFilter(format: string, valueOf: (field: string) => string): string {
  return format.replace(/\{\{|\}\}|\{([^{}]*)\}|[{}]/g, (token, field: string | undefined) => {
    if (token === '{{') return '{';
    if (token === '}}') return '}';
    if (field === undefined) throw new UsageError(`filter ${JSON.stringify(format)} has an unmatched brace`);
    if (!/^[A-Za-z_]\w*(\.[A-Za-z_]\w*)?$/.test(field)) {
      throw new UsageError(`filter ${JSON.stringify(format)} uses {${field}}; only {course_id}, {course_id.<attr>}, {user} and {user.<attr>} are supported`);
    }
    return valueOf(field);
  });
}

function courseField(course: CourseKey, attribute: string | undefined): string {
  if (attribute === undefined) return course.text;
  if (attribute === 'org' || attribute === 'course' || attribute === 'run') return course[attribute];
  throw new UsageError(`filters may use {course_id}, {course_id.org}, {course_id.course} and {course_id.run}, not {course_id.${attribute}}`);
}

function userField(user: FilterUser, attribute: string | undefined): string {
  const value = user[attribute ?? 'username'];
  if (value === undefined) throw new UsageError(`a filter uses {user.${attribute ?? ''}}, which auth_user does not have`);
  return pythonStr(value);
}

/** The row-level security clauses of a guest token: each format filled in for the course and user. */
export function rlsClauses(formats: readonly string[], course: CourseKey, user: FilterUser): string[] {
  return formats.map((format) => formatFilter(format, (field) => {
    const [name, attribute] = field.split('.') as [string, string | undefined];
    if (name === 'course_id') return sqlStringContent(courseField(course, attribute));
    if (name === 'user') return sqlStringContent(userField(user, attribute));
    throw new UsageError(`filter ${JSON.stringify(format)} uses {${name}}; the variables are course_id and user`);
  }));
}
