const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * Microseconds since the epoch of a timestamp in any of the forms the event_sink tables hold:
 * Python str() (`2024-05-01 12:34:56[.789012]+00:00`), DRF (`…T…Z`), or no offset at all (UTC,
 * as xapi-db-load writes). Undefined when the text is none of these.
 */
export function parseTimestampMicros(text: string): number | undefined {
  const match = TIMESTAMP.exec(text.trim());
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second, fraction = '', offset = 'Z'] = match;
  const ms = Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second));
  if (Number.isNaN(ms)) return undefined;
  const offsetMinutes = offset === 'Z' ? 0 : offsetToMinutes(offset);
  const micros = Number(fraction.padEnd(6, '0').slice(0, 6));
  return (ms - offsetMinutes * 60_000) * 1000 + micros;
}

function offsetToMinutes(offset: string): number {
  const digits = offset.slice(1).replace(':', '');
  const minutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2));
  return offset.startsWith('-') ? -minutes : minutes;
}
