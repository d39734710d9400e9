import cliProgress from 'cli-progress';
import { redact } from '../config/secrets.js';
import type { DumpSummary, ObjectSummary } from '../pipeline/summary.js';
import { LogReporter } from './log-reporter.js';
import type { Key } from '../lms/keyset.js';
import type { Decision } from '../pipeline/decision.js';
import { decisionLine, retryLine, type BatchProgress, type Reporter } from './reporter.js';
import { writeLine, type OutputStreams } from './streams.js';
import { summaryOutput } from './summary-text.js';

const CYAN = '\u001b[36m';
const RESET = '\u001b[0m';

/** cli-progress bars on stderr (rows done/total, rows/s, ETA); the summary on stdout. */
export class TtyReporter implements Reporter {
  private readonly bars: cliProgress.MultiBar;
  private bar: cliProgress.SingleBar | undefined;
  private startedAt = 0;

  constructor(private readonly streams: OutputStreams, private readonly json: boolean) {
    this.bars = new cliProgress.MultiBar({
      stream: streams.stderr, hideCursor: true, etaBuffer: 20, clearOnComplete: false,
    }, cliProgress.Presets.shades_classic);
  }

  private format(object: string): string {
    const bar = this.streams.color ? `${CYAN}{bar}${RESET}` : '{bar}';
    return `${object.padEnd(18)} ${bar} {value}/{total} rows | {rate} rows/s | ETA {eta_formatted}`;
  }

  notice(message: string): void {
    this.bars.log(`${redact(message)}\n`);
  }

  objectStarted(object: string, rowsTotal: number): void {
    this.startedAt = performance.now();
    this.bar = this.bars.create(rowsTotal, 0, { rate: '0' }, { format: this.format(object) });
  }

  batchDone(progress: BatchProgress): void {
    const seconds = (performance.now() - this.startedAt) / 1000;
    const rate = seconds > 0 ? Math.round(progress.rowsRead / seconds) : 0;
    this.bar?.update(progress.rowsRead, { rate: String(rate) });
  }

  retrying(object: string, attempt: number, delayMs: number, reason: string): void {
    this.notice(retryLine(object, attempt, delayMs, reason));
  }

  decision(object: string, key: Key, decision: Decision): void {
    this.notice(decisionLine(object, key, decision));
  }

  objectFinished(summary: ObjectSummary): void {
    if (summary.status === 'success') this.bar?.setTotal(summary.rows_read);
    this.bar = undefined;
  }

  finished(summary: DumpSummary): void {
    this.bars.stop();
    writeLine(this.streams.stdout, summaryOutput(summary, this.json));
  }
}

/** The reporter for these streams: bars when stderr is a terminal, log lines otherwise. */
export function chooseReporter(streams: OutputStreams, json: boolean): Reporter {
  return streams.stderr.isTTY ? new TtyReporter(streams, json) : new LogReporter(streams, json);
}
