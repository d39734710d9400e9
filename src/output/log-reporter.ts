import type { DumpSummary, ObjectSummary } from '../pipeline/summary.js';
import type { Key } from '../lms/keyset.js';
import type { Decision } from '../pipeline/decision.js';
import { decisionLine, retryLine, type BatchProgress, type Reporter } from './reporter.js';
import { timestamp, writeLine, type OutputStreams } from './streams.js';
import { counted, summaryOutput } from './summary-text.js';

/** Plain log lines on stderr (cron, Kubernetes); the summary on stdout at the end. */
export class LogReporter implements Reporter {
  /** `dryRun`: counts are rows that would be written, and say so. */
  constructor(private readonly streams: OutputStreams, private readonly json: boolean, private readonly dryRun = false) {}

  notice(message: string): void {
    writeLine(this.streams.stderr, `${timestamp()} ${message}`);
  }

  objectStarted(object: string, rowsTotal: number, limit?: number): void {
    this.notice(`${object}: ${rowsTotal} rows to read${limit === undefined ? '' : `, stopping after ${counted(limit, 'row')} written (--limit)`}`);
  }

  batchDone(progress: BatchProgress): void {
    const open = !this.dryRun && (progress.rowsInOpenInsert ?? 0) > 0 ? ` (+${progress.rowsInOpenInsert} in the open insert)` : '';
    this.notice(`${progress.object}: batch ${progress.batch}, read ${progress.rowsRead}/${progress.rowsTotal},`
      + ` ${this.dryRun ? 'would write' : 'written'} ${progress.rowsWritten}${open}${progress.limit === undefined ? '' : ` of --limit ${progress.limit}`}, last pk ${progress.lastKey}`);
  }

  retrying(object: string, attempt: number, delayMs: number, reason: string): void {
    this.notice(retryLine(object, attempt, delayMs, reason));
  }

  decision(object: string, key: Key, decision: Decision): void {
    this.notice(decisionLine(object, key, decision));
  }

  objectFinished(summary: ObjectSummary): void {
    const rows = counted(summary.rows_written, 'row');
    this.notice(`${summary.object}: ${summary.status}, ${this.dryRun ? `would write ${rows}` : `${rows} written`}`);
  }

  finished(summary: DumpSummary): void {
    writeLine(this.streams.stdout, summaryOutput(summary, this.json));
  }
}
