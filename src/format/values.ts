import { DataError } from '../errors.js';
import { bare, EMPTY, quoted, type Cell } from './cell.js';
import { djangoCountry } from './country.js';
import { buildableDatetime, drfDatetime, pythonDatetime } from './datetime.js';
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
export const drfTimestamp: Formatter = (value) => {
  const text = datetimeText(value);
  return text == null ? EMPTY : quoted(drfDatetime(text));
};

/** A Python `str(datetime)`: space and +00:00; NULL (or a date Python cannot hold) becomes the empty string. */
export const pythonTimestamp: Formatter = (value) => {
  const text = datetimeText(value);
  return text == null ? EMPTY : quoted(pythonDatetime(text));
};

/** A DATETIME value's text, or null where the plugin's code gets None (NULL, or a date MySQLdb cannot build). */
export function datetimeText(value: SourceValue): string | null {
  return value == null ? null : buildableDatetime(asString(value));
}

/** A CountryField as the plugin writes it: django-countries' normalised code (see country.ts); NULL becomes the empty string. */
export const country: Formatter = (value) => text(djangoCountry(value == null ? null : asString(value)));

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
