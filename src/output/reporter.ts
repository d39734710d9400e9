import type { Key } from '../lms/keyset.js';
import type { Decision } from '../pipeline/decision.js';
import type { DumpSummary, ObjectSummary } from '../pipeline/summary.js';

/** Progress of one object after a batch. */
export interface BatchProgress {
  readonly object: string;
  /** Rows read so far / expected in total. */
  readonly rowsRead: number;
  readonly rowsTotal: number;
  /** --limit: the run stops once this many rows are written. */
  readonly limit?: number | undefined;
  readonly rowsWritten: number;
  /** Rows sent into the insert still open: they land when it completes. */
  readonly rowsInOpenInsert?: number;
  readonly lastKey: Key;
  /** Batches read so far. */
  readonly batch: number;
}

/**
 * Everything a run tells the operator while it works. Chosen once at start-up
 * (TTY bars or log lines) and passed in; the pipeline never prints by itself.
 */
export interface Reporter {
  notice(message: string): void;
  objectStarted(object: string, rowsTotal: number, limit?: number): void;
  batchDone(progress: BatchProgress): void;
  retrying(object: string, attempt: number, delayMs: number, reason: string): void;
  /** One row's dump or skip decision (--verbose, --dry-run). */
  decision(object: string, key: Key, decision: Decision): void;
  objectFinished(summary: ObjectSummary): void;
  /** Prints the final result (human text or one JSON document on stdout). */
  finished(summary: DumpSummary): void;
}

/** The line a reporter prints before retrying a failed request. */
export function retryLine(object: string, attempt: number, delayMs: number, reason: string): string {
  return `${object}: attempt ${attempt} failed (${reason}); retrying in ${(delayMs / 1000).toFixed(1)}s`;
}

/** The line a reporter prints for one decision. */
export function decisionLine(object: string, key: Key, decision: Decision): string {
  return `${object} ${key}: ${decision.dump ? 'dump' : 'skip'} - ${decision.detail}`;
}
