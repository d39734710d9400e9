import { UsageError } from '../errors.js';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Whether `name` is a plain identifier: letters, digits and underscores, not starting with a digit. */
export function isIdentifier(name: string): boolean {
  return IDENTIFIER.test(name);
}

/** A table or column name as it is, after strict validation (safe unquoted or in backticks). */
export function plainIdentifier(name: string): string {
  if (!isIdentifier(name)) throw new UsageError(`not a plain identifier: ${JSON.stringify(name)}`);
  return name;
}

/** A table or column name in backticks, after strict validation (no escaping needed). */
export function quoteIdentifier(name: string): string {
  return `\`${plainIdentifier(name)}\``;
}

/** `database`.`table`. */
export function qualifiedTable(database: string, table: string): string {
  return `${quoteIdentifier(database)}.${quoteIdentifier(table)}`;
}

/** A ClickHouse literal: an integer bare, a string single-quoted with quotes and backslashes escaped. */
export function literal(value: string | number): string {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new UsageError(`not an integer: ${value}`);
    return String(value);
  }
  return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}
