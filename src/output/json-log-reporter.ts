import type { Key } from '../lms/keyset.js';
import type { Decision } from '../pipeline/decision.js';
import { dryRunSummary, type DumpSummary, type ObjectSummary } from '../pipeline/summary.js';
import type { BatchProgress, Reporter } from './reporter.js';
import { timestamp, writeLine, type OutputStreams } from './streams.js';
import { summaryOutput } from './summary-text.js';

/** Severity of a JSON log line, as log collectors name it. */
type LogLevel = 'debug' | 'info' | 'warning' | 'error';

/**
 * `--log-format json`: one JSON object per line on stderr (for Loki, Elasticsearch, Cloud
 * Logging), each with `time` (ISO 8601, UTC) and `event`; the summary on stdout as usual.
 */
export class JsonLogReporter implements Reporter {
  /** `dryRun`: counts of rows that would be written are named rows_to_write. */
  constructor(private readonly streams: OutputStreams, private readonly json: boolean, private readonly dryRun = false) {}

  private log(event: string, fields: Record<string, unknown>, level: LogLevel = 'info'): void {
    writeLine(this.streams.stderr, JSON.stringify({ time: timestamp(), level, event, ...fields }));
  }

  notice(message: string): void {
    this.log('notice', { message });
  }

  objectStarted(object: string, rowsTotal: number, limit?: number): void {
    this.log('object_started', { object, rows_total: rowsTotal, limit: limit ?? null });
  }

  batchDone(progress: BatchProgress): void {
    const { object, batch, rowsRead, rowsTotal, rowsWritten, rowsInOpenInsert, lastKey, limit } = progress;
    const open = this.dryRun ? {} : { rows_in_open_insert: rowsInOpenInsert ?? 0 };
    this.log('batch', { object, batch, rows_read: rowsRead, rows_total: rowsTotal, [this.dryRun ? 'rows_to_write' : 'rows_written']: rowsWritten, ...open, limit: limit ?? null, last_pk: lastKey });
  }

  retrying(object: string, attempt: number, delayMs: number, reason: string): void {
    this.log('retry', { object, attempt, delay_seconds: Math.round(delayMs) / 1000, reason }, 'warning');
  }

  decision(object: string, key: Key, decision: Decision): void {
    this.log('decision', { object, key, action: decision.dump ? 'dump' : 'skip', reason: decision.detail }, 'debug');
  }

  objectFinished(summary: ObjectSummary): void {
    this.log('object_finished', { ...(this.dryRun ? dryRunSummary(summary) : summary) }, summary.status === 'success' ? 'info' : 'error');
  }

  finished(summary: DumpSummary): void {
    writeLine(this.streams.stdout, summaryOutput(summary, this.json));
  }
}

/** `--quiet`: no progress (bars, batch lines, per-object lines, decisions); notices, retries and the summary stay. */
export class QuietReporter implements Reporter {
  constructor(private readonly inner: Reporter) {}

  notice(message: string): void {
    this.inner.notice(message);
  }

  objectStarted(): void {}

  batchDone(): void {}

  retrying(object: string, attempt: number, delayMs: number, reason: string): void {
    this.inner.retrying(object, attempt, delayMs, reason);
  }

  decision(): void {}

  objectFinished(): void {}

  finished(summary: DumpSummary): void {
    this.inner.finished(summary);
  }
}
