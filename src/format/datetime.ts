import { DataError } from '../errors.js';

/** A MySQL DATETIME read as text (naive, UTC), split into its parts. */
interface DatetimeParts {
  readonly date: string;
  readonly time: string;
  /** Six digits, or '' when the fraction is zero (Python omits it then). */
  readonly fraction: string;
}

const MYSQL_DATETIME = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?$/;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysIn(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1] ?? 0;
}

/**
 * The text of a MySQL DATETIME as the plugin's code sees it: MySQLdb returns None for a value
 * Python's datetime cannot hold (the zero date, a zero month or day, 31 April, 29 February of a
 * common year, year 0), and Django passes that None on; anything else is kept as it is.
 */
export function buildableDatetime(value: string): string | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})/.exec(value);
  if (!match) return value;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  return year >= 1 && month >= 1 && month <= 12 && day >= 1 && day <= daysIn(year, month) ? value : null;
}

function splitDatetime(value: string): DatetimeParts {
  const match = MYSQL_DATETIME.exec(value);
  if (!match || value.startsWith('0000-00-00')) {
    throw new DataError(`not a valid datetime: ${JSON.stringify(value)}`);
  }
  const digits = (match[3] ?? '').padEnd(6, '0');
  const fraction = /^0*$/.test(digits) ? '' : `.${digits}`;
  return { date: match[1] as string, time: match[2] as string, fraction };
}

/** DRF DateTimeField output: `2024-04-30T17:05:09.101112Z`, no fraction when it is zero. */
export function drfDatetime(value: string): string {
  const { date, time, fraction } = splitDatetime(value);
  return `${date}T${time}${fraction}Z`;
}

/** Python `str()` of an aware UTC datetime: `2024-04-30 17:05:09.101112+00:00`. */
export function pythonDatetime(value: string): string {
  const { date, time, fraction } = splitDatetime(value);
  return `${date} ${time}${fraction}+00:00`;
}

/** Python `isoformat()` of an aware UTC datetime: `2019-11-01T12:00:00+00:00`. */
export function pythonIsoDatetime(value: string): string {
  const { date, time, fraction } = splitDatetime(value);
  return `${date}T${time}${fraction}+00:00`;
}

/**
 * The current UTC time as Python `str(timezone.now())`, with microseconds taken from the
 * high-resolution clock so two batches a millisecond apart still differ.
 */
export function nowPythonDatetime(clockMs: number = performance.timeOrigin + performance.now()): string {
  const wholeMs = Math.floor(clockMs);
  const micros = Math.min(999, Math.round((clockMs - wholeMs) * 1000));
  const iso = new Date(wholeMs).toISOString(); // 2024-05-01T12:34:56.789Z
  const fraction = `${iso.slice(20, 23)}${String(micros).padStart(3, '0')}`;
  return pythonDatetime(`${iso.slice(0, 10)} ${iso.slice(11, 19)}.${fraction}`);
}
