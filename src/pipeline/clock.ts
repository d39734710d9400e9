/**
 * The one clock of every stamp (time_last_dumped). Stamps are read off this host's clock moved
 * onto a reference clock, MySQL's (the clock the LMS's `modified` times come from, measured at
 * the start of a run, see read-clocks.ts), and are never earlier than the newest stamp the
 * written tables already hold: so the newest row per key (dbt's `max(time_last_dumped)`) is
 * the newest write whatever this host's clock says, and the course rule compares `modified`
 * with stamps of the same clock.
 */

/** How stamps are made from this host's clock. */
export interface StampClock {
  /** Added to this host's clock to read the reference clock, microseconds. */
  readonly offsetMicros: number;
  /** The earliest stamp allowed: the newest stored time_last_dumped plus 1 µs (microseconds since the epoch). */
  readonly floorMicros: number;
}

/** What a remote clock reads minus this host's clock, in microseconds: certainly between low and high. */
export interface Offset {
  readonly low: number;
  readonly high: number;
}

/** One reading of a remote clock taken between two readings of this host's clock (microseconds). */
export interface ClockSample {
  readonly sent: number;
  readonly remote: number;
  readonly received: number;
  /** The remote clock's step: a reading `r` means a time in [r, r + resolution). */
  readonly resolution: number;
}

/** The offsets of the run's clocks from this host's: MySQL's, and ClickHouse's when it has a clock of its own. */
export interface ClockOffsets {
  readonly mysql: Offset;
  readonly clickhouse?: Offset;
}

/** Clocks further apart than this are reported. */
export const SKEW_LIMIT_MICROS = 1_000_000;

/**
 * Stored stamps up to this far ahead of the reference clock were made by a clock running ahead,
 * and are followed; later ones (a year 2999) are not a clock's error, and following them would
 * carry every stamp of every written table there.
 */
export const MAX_FOLLOWED_SKEW_MICROS = 24 * 3600 * 1_000_000;

const HOST_CLOCK: StampClock = Object.freeze({ offsetMicros: 0, floorMicros: 0 });

let current: StampClock = HOST_CLOCK;

/** Makes `clock` the clock of every later stamp of this process. */
export function useStampClock(clock: StampClock): void {
  current = Object.freeze({ ...clock });
}

/** The clock stamps are made with (this host's, unmoved, until a run sets one up). */
export function stampClock(): StampClock {
  return current;
}

/** This host's clock in ms: its reading at process start plus monotonic time since, so a clock step mid-run moves no stamp. */
export function hostClockMs(): number {
  return performance.timeOrigin + performance.now();
}

/** The reference clock at this host's time `hostMs` (default now), microseconds since the epoch. */
export function referenceMicros(hostMs: number = hostClockMs()): number {
  return Math.floor(hostMs * 1000) + current.offsetMicros;
}

/** The microseconds of the stamp made at this host's time `hostMs` when the previous one was `previous`. */
export function nextStampMicros(hostMs: number, previous: number): number {
  return Math.max(referenceMicros(hostMs), current.floorMicros, previous + 1);
}

/** The offset one sample shows: the remote reading was taken somewhere between sending and receiving. */
export function offsetOf(sample: ClockSample): Offset {
  return { low: sample.remote - sample.received, high: sample.remote + sample.resolution - sample.sent };
}

/** The narrowest of some samples' offsets (the quickest round trip). */
export function narrowest(samples: readonly ClockSample[]): Offset {
  const offsets = samples.map(offsetOf);
  return offsets.reduce((best, each) => (each.high - each.low < best.high - best.low ? each : best));
}

/** The middle of an offset: the best single estimate. */
export function middle(offset: Offset): number {
  return Math.round((offset.low + offset.high) / 2);
}

/** `a` minus `b`: what clock a reads minus clock b. */
function between(a: Offset, b: Offset): Offset {
  return { low: a.low - b.high, high: a.high - b.low };
}

/** Whether two clocks certainly differ by more than the limit. */
function apart(offset: Offset): boolean {
  return offset.low > SKEW_LIMIT_MICROS || offset.high < -SKEW_LIMIT_MICROS;
}

/** "3600.0s behind" / "0.4s ahead of" / "within a second of". */
function relation(micros: number): string {
  if (Math.abs(micros) <= SKEW_LIMIT_MICROS) return 'within a second of';
  return `${(Math.abs(micros) / 1e6).toFixed(1)}s ${micros < 0 ? 'behind' : 'ahead of'}`;
}

/** The one notice line when any two of this host's, MySQL's and ClickHouse's clocks are more than a second apart. */
export function skewNotice(offsets: ClockOffsets): string | undefined {
  const { mysql, clickhouse } = offsets;
  const host: Offset = { low: 0, high: 0 };
  const pairs = [between(host, mysql), ...(clickhouse ? [clickhouse, between(clickhouse, mysql)] : [])];
  if (!pairs.some(apart)) return undefined;
  const theirs = clickhouse ? `, ClickHouse's is ${relation(middle(between(clickhouse, mysql)))} MySQL's` : '';
  return `clock skew: this host's clock is ${relation(-middle(mysql))} MySQL's${theirs}; `
    + "time_last_dumped follows MySQL's clock (the one the LMS's modified times come from), and stays after every stored one";
}

/** The newest stamp a written table holds, as stored and in microseconds. */
export interface StoredStamp {
  readonly table: string;
  readonly text: string;
  readonly micros: number;
}

/** The floor of new stamps: 1 µs after the newest stored stamp (0 when the tables hold none). */
export function floorAfter(newest: StoredStamp | undefined): number {
  return newest === undefined ? 0 : newest.micros + 1;
}

/** The notice when the tables already hold a stamp ahead of the reference clock (by a clock running ahead). */
export function aheadNotice(newest: StoredStamp | undefined, nowMicros: number): string | undefined {
  if (newest === undefined || newest.micros - nowMicros <= SKEW_LIMIT_MICROS) return undefined;
  return `${newest.table} already holds time_last_dumped ${newest.text}, ${relation(newest.micros - nowMicros)} MySQL's clock `
    + '(written by a clock running ahead): new stamps follow it, so rows written now stay the newest';
}

/** The notice when a table holds stamps too far ahead to follow (see MAX_FOLLOWED_SKEW_MICROS). */
export function beyondNotice(table: string, text: string): string {
  return `${table} holds time_last_dumped ${text}, more than a day ahead of MySQL's clock: new stamps do not follow it, `
    + 'so the rows of the keys holding it stay their newest until they are deleted';
}

/** Whether a stored stamp was made by a clock running ahead of the reference clock (now `nowMicros`), so it cannot be compared with `modified`. */
export function madeAhead(stampMicros: number, nowMicros: number): boolean {
  return stampMicros > nowMicros && stampMicros - nowMicros <= MAX_FOLLOWED_SKEW_MICROS;
}
