import type { Sink } from '../sinks/types.js';
import { tableColumns, type LmsDatabase } from './database.js';
import { REFERENCE_TABLES } from './references.js';

/**
 * Before anything is read: the LMS tables and columns each object reads are there. An LMS of an
 * older or newer release (or another database named by mistake) lacks some; the objects that
 * need them are left out with one line each, the others run.
 */

/** Where a table comes from, for the operator: the Open edX app (and release) that creates it. */
const BROUGHT_BY: ReadonlyArray<readonly [RegExp, string]> = [
  [/^auth_(user|userprofile)$/, "edx-platform's user accounts (every release)"],
  [/^student_/, "edx-platform's student app (every release)"],
  [/^external_user_ids_/, "edx-platform's external_user_ids app"],
  [/^course_overviews_/, "edx-platform's course_overviews app"],
  [/^oel_tagging_/, "openedx-learning's tagging app (Open edX Quince and later)"],
  [/^learning_sequences_/, "edx-platform's learning_sequences app (course outlines; or set ASPECTS_MODULESTORE_URL)"],
];

/** The table name each alias of a FROM clause stands for (`auth_userprofile p LEFT JOIN auth_user u ON …`). */
export function tablesByAlias(from: string): Map<string, string> {
  const tables = new Map<string, string>();
  for (const match of from.matchAll(/(?:^|\bJOIN\s+)`?(\w+)`?(?:\s+(?:AS\s+)?(?!ON\b|LEFT\b|JOIN\b|INNER\b)(\w+))?/gi)) {
    const [, table = '', alias] = match;
    tables.set(alias ?? table, table);
  }
  return tables;
}

/** Tables (with the columns read) an object's nested objects are built from; none when they come from elsewhere (MongoDB). */
export type StructureTables = Readonly<Record<string, readonly string[]>>;

/**
 * The columns an object reads, by table: every source field of the form `alias.column`, what its
 * references read, and, for an object with nested objects, the tables its course structure is read from.
 */
export function columnsRead(sink: Sink, structure: StructureTables = {}): Map<string, Set<string>> {
  const aliases = tablesByAlias(sink.source.from);
  const read = new Map<string, Set<string>>([...new Set(aliases.values())].map((table) => [table, new Set<string>()]));
  for (const expression of [sink.source.key, ...Object.values(sink.source.fields)]) {
    const match = /^(\w+)\.`?(\w+)`?$/.exec(expression);
    const table = match && aliases.get(match[1] as string);
    if (table) read.get(table)?.add(match[2] as string);
  }
  const extra = [...(sink.references ?? []).map((name) => REFERENCE_TABLES[name]), ...(sink.children?.length ? [structure] : [])];
  for (const tables of extra) {
    for (const [table, columns] of Object.entries(tables)) read.set(table, new Set([...(read.get(table) ?? []), ...columns]));
  }
  return read;
}

/** Why the LMS cannot give an object what it reads; undefined when it can. */
function whatIsMissing(sink: Sink, present: ReadonlyMap<string, ReadonlySet<string>>, structure: StructureTables): string | undefined {
  for (const [table, columns] of columnsRead(sink, structure)) {
    const found = present.get(table);
    const origin = BROUGHT_BY.find(([pattern]) => pattern.test(table))?.[1] ?? 'edx-platform';
    if (!found) return `the LMS database has no table ${table} (made by ${origin}): is this the LMS database, and of which Open edX release?`;
    const absent = [...columns].filter((column) => !found.has(column.toLowerCase()));
    if (absent.length > 0) return `the LMS table ${table} has no column ${absent.join(', ')} (an Open edX release this tool does not know?)`;
  }
  return undefined;
}

/** The objects whose tables or columns the LMS lacks, each with why, from one query of information_schema. */
export async function missingSources(lms: LmsDatabase, sinks: readonly Sink[], structure: StructureTables = {}): Promise<Map<string, string>> {
  const tables = [...new Set(sinks.flatMap((sink) => [...columnsRead(sink, structure).keys()]))];
  if (tables.length === 0) return new Map();
  const present = await tableColumns(lms, tables);
  const missing = new Map<string, string>();
  for (const sink of sinks) {
    const why = whatIsMissing(sink, present, structure);
    if (why) missing.set(sink.name, why);
  }
  return missing;
}
