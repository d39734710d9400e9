import { DataError } from '../errors.js';
import { bare, EMPTY, quoted, type Cell } from './cell.js';
import { drfDatetime, pythonDatetime } from './datetime.js';
import { pythonRstrip } from './python-text.js';
import { dashedUuid } from './uuid.js';

/** A column value as mysql2 returns it with `dateStrings: true`. */
export type SourceValue = string | number | bigint | boolean | Buffer | null | undefined;

/** Turns one MySQL value into the exact cell the contract wants. Pure. */
export type Formatter = (value: SourceValue) => Cell;

function asString(value: Exclude<SourceValue, null | undefined>): string {
  return Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
}

/** A Python str; NULL becomes the empty string. */
export const text: Formatter = (value) => (value == null ? EMPTY : quoted(asString(value)));

/** A Python int, written bare; NULL becomes the empty string. */
export const integer: Formatter = (value) => {
  if (value == null) return EMPTY;
  const digits = asString(value);
  if (!/^-?\d+$/.test(digits)) throw new DataError(`not an integer: ${JSON.stringify(digits)}`);
  return bare(digits);
};

/** A Python bool, written bare as True/False (tinyint(1) 0/1 in MySQL). */
export const boolean: Formatter = (value) => {
  if (value == null) throw new DataError('boolean column is NULL');
  const truthy = typeof value === 'boolean' ? value : Number(asString(value)) !== 0;
  return bare(truthy ? 'True' : 'False');
};

/** A DRF DateTimeField: ISO with T and Z; NULL becomes the empty string. */
export const drfTimestamp: Formatter = (value) =>
  value == null ? EMPTY : quoted(drfDatetime(asString(value)));

/** A Python `str(datetime)`: space and +00:00; NULL becomes the empty string. */
export const pythonTimestamp: Formatter = (value) =>
  value == null ? EMPTY : quoted(pythonDatetime(asString(value)));

/** A DRF UUIDField: the dashed lowercase form, quoted. */
export const uuidString: Formatter = (value) => {
  if (value == null) throw new DataError('UUID column is NULL');
  return quoted(dashedUuid(asString(value)));
};

/**
 * str() of an opaque-keys CourseKeyField as the LMS reads it: a value ending in a newline loses
 * its trailing whitespace (OpaqueKeyField.to_python logs and rstrip()s it), and an empty value
 * (or NULL) is None, which the plugin writes as the text `None`.
 */
export function lmsCourseKey(value: SourceValue): string {
  const key = value == null ? '' : asString(value);
  if (key === '') return 'None';
  return key.endsWith('\n') ? pythonRstrip(key) : key;
}

/** A course key column (CourseKeyField), quoted. */
export const courseKey: Formatter = (value) => quoted(lmsCourseKey(value));
