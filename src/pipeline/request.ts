import type { RowFilter } from '../lms/keyset.js';
import type { RetryPolicy } from './retry.js';

/** A validated `aspects dump` request: what to read, how fast, and whether to write. */
export interface DumpRequest {
  /** `--object` values: object names or `all`. */
  readonly objects: readonly string[];
  /** Rows per read and per insert. */
  readonly batchSize: number;
  /** Pause between batches, seconds. */
  readonly sleepSeconds: number;
  /** Write every selected row, whatever ClickHouse holds. */
  readonly force: boolean;
  /** Read and compare, write nothing. */
  readonly dryRun: boolean;
  /** At most this many rows written per object (exact). */
  readonly limit: number | undefined;
  readonly filter: RowFilter;
  readonly retry: RetryPolicy;
}
