import { createHash, randomBytes, randomInt } from 'node:crypto';
import { pythonDatetime } from '../format/datetime.js';
import type { Key } from '../lms/keyset.js';
import { hostClockMs, nextStampMicros } from './clock.js';

/**
 * The stamps of an insert. Every insert has a time_last_dumped of its own (strictly later than
 * the previous one of this process, read off the run's one clock, clock.ts) and a random seed.
 * A row's dump_id is built from two halves: its fingerprint (what the incremental compare reads
 * back, see fingerprint.ts) and its identity, its primary key mixed with the insert's seed. So a
 * row can be recognised in ClickHouse after a failure even when it is read again from MySQL, and
 * a row written twice never repeats a dump_id. Layout, hex digits:
 * `ffffffff-ffff-4fff-8iii-iiiiiiiiiiii` (f fingerprint, i identity; version 4, RFC 4122 variant).
 */

/** What every row of one insert shares: its time_last_dumped and the seed of its identities. */
export interface InsertStamp {
  readonly timeLastDumped: string;
  /** Three random 20-bit numbers, mixed into integer keys. */
  readonly seed: readonly [number, number, number];
  /** The seed as text, mixed into text keys. */
  readonly seedText: string;
}

/** A row's stamp: its dump_id and the insert's time_last_dumped. */
export interface Stamp {
  readonly dumpId: string;
  readonly timeLastDumped: string;
}

const HEX_DIGITS = 15;
const PART_BITS = 20;
const PART = 2 ** PART_BITS;
/** Added to integer keys so negative ones (taxonomies) map to non-negative numbers below 2^53. */
const KEY_OFFSET = 2 ** 52;

let lastMicros = 0;

const hex5 = (value: number): string => value.toString(16).padStart(5, '0');

/** Microseconds since the epoch on the stamp clock, never the same twice in this process and never going back. */
function uniqueMicros(clockMs: number): number {
  lastMicros = nextStampMicros(clockMs, lastMicros);
  return lastMicros;
}

/**
 * A time_last_dumped as Python's `str(timezone.now())` writes it, unique within this process:
 * this host's clock (or `clockMs`, a reading of it) moved onto the run's reference clock.
 */
export function stampTime(clockMs: number = hostClockMs()): string {
  return stampText(uniqueMicros(clockMs));
}

/** A time in microseconds since the epoch as a time_last_dumped (Python's `str()` of a UTC datetime). */
export function stampText(micros: number): string {
  const iso = new Date(Math.floor(micros / 1000)).toISOString();
  return pythonDatetime(`${iso.slice(0, 10)} ${iso.slice(11, 19)}.${String(micros % 1_000_000).padStart(6, '0')}`);
}

/** A new insert stamp (a fresh time_last_dumped unless given, a random seed). */
export function newInsertStamp(timeLastDumped: string = stampTime()): InsertStamp {
  const seed = [randomInt(PART), randomInt(PART), randomInt(PART)] as const;
  return { timeLastDumped, seed, seedText: seed.map(hex5).join('') };
}

/** The 15 hex digits telling a row of an insert apart from every other: its key mixed with the seed. */
export function rowIdentity(key: Key, stamp: InsertStamp): string {
  if (typeof key === 'string') return createHash('md5').update(`${stamp.seedText}\n${key}`).digest('hex').slice(0, HEX_DIGITS);
  const value = key + KEY_OFFSET;
  const [high, middle, low] = stamp.seed;
  return hex5((Math.floor(value / PART / PART) ^ high) >>> 0) + hex5(((Math.floor(value / PART) % PART) ^ middle) >>> 0) + hex5(((value % PART) ^ low) >>> 0);
}

/** 15 random hex digits, the fingerprint of a row whose object has no incremental compare. */
export function randomFingerprint(): string {
  return randomBytes(8).toString('hex').slice(0, HEX_DIGITS);
}

/** A dump_id from a fingerprint and an identity (15 hex digits each). */
export function dumpIdOf(fingerprint: string, identity: string): string {
  return `${fingerprint.slice(0, 8)}-${fingerprint.slice(8, 12)}-4${fingerprint.slice(12, 15)}-8${identity.slice(0, 3)}-${identity.slice(3, 15)}`;
}

/** The identity half of a dump_id this tool wrote. */
export function identityOfDumpId(dumpId: string): string {
  return dumpId.slice(20, 23) + dumpId.slice(24, 36);
}

/** ClickHouse SQL: the identity half of a stored row's dump_id. */
export const STORED_IDENTITY = 'concat(substring(toString(dump_id), 21, 3), substring(toString(dump_id), 25, 12))';

/** The fingerprint half of a dump_id this tool wrote. */
export function fingerprintOfDumpId(dumpId: string): string {
  return dumpId.slice(0, 8) + dumpId.slice(9, 13) + dumpId.slice(15, 18);
}

/** The stamp of the row with this key and fingerprint in an insert. */
export function rowStamp(key: Key, fingerprint: string, stamp: InsertStamp): Stamp {
  return { dumpId: dumpIdOf(fingerprint, rowIdentity(key, stamp)), timeLastDumped: stamp.timeLastDumped };
}

/** ClickHouse SQL of a child row's identity: it shares its parent's dump_id, so one of its columns joins in. */
export function childIdentitySql(column: string): string {
  return `concat(${STORED_IDENTITY}, ' ', ${column})`;
}

/** The identity of a child row with this value in that column, under its parent's dump_id. */
export function childIdentity(parentDumpId: string, value: string): string {
  return `${identityOfDumpId(parentDumpId)} ${value}`;
}
