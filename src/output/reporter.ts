import type { DumpSummary, ObjectSummary } from '../pipeline/summary.js';

/** Progress of one object after a batch. */
export interface BatchProgress {
  readonly object: string;
  /** Rows read so far / expected in total. */
  readonly rowsRead: number;
  readonly rowsTotal: number;
  readonly rowsWritten: number;
  readonly lastKey: number;
  /** Batches read so far. */
  readonly batch: number;
}

/**
 * Everything a run tells the operator while it works. Chosen once at start-up
 * (TTY bars or log lines) and passed in; the pipeline never prints by itself.
 */
export interface Reporter {
  notice(message: string): void;
  objectStarted(object: string, rowsTotal: number): void;
  batchDone(progress: BatchProgress): void;
  retrying(object: string, attempt: number, delayMs: number, reason: string): void;
  objectFinished(summary: ObjectSummary): void;
  /** Prints the final result (human text or one JSON document on stdout). */
  finished(summary: DumpSummary): void;
}
