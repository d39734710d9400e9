import type { ChangeOptions } from './change-plan.js';
import type { RawFilter } from './filters.js';
import type { RetryPolicy } from './retry.js';

/** A validated `aspects dump` request: what to read, how fast, and whether to write. */
export interface DumpRequest {
  /** `--object` values: object names or `all`. */
  readonly objects: readonly string[];
  /** Rows per MySQL read (a page). */
  readonly batchSize: number;
  /** Pause between two page reads, seconds (each lane pauses between its own reads). */
  readonly sleepSeconds: number;
  /** Key ranges read side by side. */
  readonly concurrency: number;
  /** An insert ends after this many rows... */
  readonly insertRows: number;
  /** ...or this many bytes of CSV. */
  readonly insertBytes: number;
  /** Write every selected row, whatever ClickHouse holds. */
  readonly force: boolean;
  /** Read and compare, write nothing. */
  readonly dryRun: boolean;
  /** --prune: remove the rows of keys the LMS no longer has (each object, before it is dumped)... */
  readonly prune: boolean;
  /** ...even when the LMS lacks most of an object's keys (--allow-mass-delete). */
  readonly allowMassDelete: boolean;
  /** Report every row's dump or skip decision (--verbose); a dry run alone reports the rows it would write. */
  readonly explain: boolean;
  /** At most this many rows written per object (exact). */
  readonly limit: number | undefined;
  /** Row selection, typed per sink when the run starts. */
  readonly filter: RawFilter;
  readonly retry: RetryPolicy;
  /** Change signals: when every row is compared instead, and how far back changes are read again. */
  readonly changes: ChangeOptions;
  /** How long to wait for another dump of the same objects to finish: 0 refuses at once. */
  readonly waitLock: number | 'forever';
}
