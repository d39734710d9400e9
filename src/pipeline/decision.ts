import { buildableDatetime, pythonDatetime } from '../format/datetime.js';
import { parseTimestampMicros } from '../format/timestamps.js';
import { madeAhead } from './clock.js';
import { stampText } from './stamp.js';

/** Whether one source row is written, and why (the reason is what summaries count). */
export interface Decision {
  readonly dump: boolean;
  /** A stable reason, counted in the summary. */
  readonly reason: string;
  /** The reason with this row's values, for --verbose and --dry-run. */
  readonly detail: string;
}

function decision(dump: boolean, reason: string, detail = reason): Decision {
  return { dump, reason, detail };
}

/** Every row with --force. */
export const FORCED = decision(true, 'forced with --force');
/** changed-rows: ClickHouse has no row for the key. */
export const NEW_ROW = decision(true, 'not present in ClickHouse');
/** changed-rows: ClickHouse's newest row differs. */
export const CHANGED_ROW = decision(true, 'changed since the last dump');
/** A PII row of a user the LMS has retired: never written. */
export const RETIRED_USER = decision(false, 'user retired in the LMS');
/** changed-rows: ClickHouse's newest row is identical. */
export const UNCHANGED_ROW = decision(false, 'unchanged since the last dump');

/**
 * The plugin's should-dump rule for courses, without its crash on timestamps lacking a fraction
 * or an offset: dump when never dumped, or when `modified` (MySQL, UTC) is later than the newest
 * time_last_dumped ClickHouse holds. Equal times mean no dump. Given the reference clock's time
 * (`nowMicros`, clock.ts), a last dump made by a clock running ahead of it is no measure of when
 * the course was dumped, so the course is dumped again. A `modified` Python cannot build (a zero
 * date) is None to the plugin: "No last modified date", as for NULL.
 */
export function decideByModified(noun: string, modified: string | null, lastDumped: string | undefined, nowMicros?: number): Decision {
  if (lastDumped === undefined || lastDumped.trim() === '') return decision(true, `${noun} is not present in ClickHouse`);
  const buildable = modified === null ? null : buildableDatetime(modified);
  if (buildable === null) return decision(false, `No last modified date in ${noun}`);
  const published = pythonDatetime(buildable);
  const lastMicros = parseTimestampMicros(lastDumped);
  if (lastMicros === undefined) {
    return decision(true, 'Last dump time in ClickHouse is unreadable', `Last dump time in ClickHouse is unreadable: ${JSON.stringify(lastDumped)}`);
  }
  if (lastMicros < (parseTimestampMicros(buildable) as number)) {
    const reason = `${noun} has been published since last dump time`;
    return decision(true, reason, `${reason} - last dumped ${lastDumped} < last published ${published}`);
  }
  if (nowMicros !== undefined && madeAhead(lastMicros, nowMicros)) {
    const reason = 'Last dump time in ClickHouse is later than now';
    return decision(true, reason, `${reason} - last dumped ${lastDumped} > now ${stampText(nowMicros)}, last published ${published}`);
  }
  const reason = `${noun} has NOT been published since last dump time`;
  return decision(false, reason, `${reason} - last dumped ${lastDumped} >= last published ${published}`);
}
