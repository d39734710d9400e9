import cliProgress from 'cli-progress';
import { redact } from '../config/secrets.js';
import type { DumpSummary, ObjectSummary } from '../pipeline/summary.js';
import { JsonLogReporter, QuietReporter } from './json-log-reporter.js';
import { LogReporter } from './log-reporter.js';
import type { Key } from '../lms/keyset.js';
import type { Decision } from '../pipeline/decision.js';
import { decisionLine, retryLine, type BatchProgress, type Reporter } from './reporter.js';
import { routeProcessNotices, writeLine, type OutputStreams } from './streams.js';
import { summaryOutput } from './summary-text.js';

const CYAN = '\u001b[36m';
/** Characters of a bar's line besides the bar: name (18), counts, rate and ETA of a large table. */
const LINE_WITHOUT_BAR = 72;
const RESET = '\u001b[0m';

/** cli-progress bars on stderr (rows done/total, rows/s, ETA); the summary on stdout. */
export class TtyReporter implements Reporter {
  private readonly bars: cliProgress.MultiBar;
  private bar: cliProgress.SingleBar | undefined;
  private startedAt = 0;
  private limited = false;

  constructor(private readonly streams: OutputStreams, private readonly json: boolean) {
    // The bar shrinks so that a whole line (name, bar, counts, rate, ETA) fits the terminal.
    const columns = (streams.stderr as { columns?: number }).columns ?? 80;
    this.bars = new cliProgress.MultiBar({
      stream: streams.stderr, hideCursor: true, etaBuffer: 20, clearOnComplete: false,
      barsize: Math.max(8, Math.min(40, columns - LINE_WITHOUT_BAR)),
    }, cliProgress.Presets.shades_classic);
    routeProcessNotices((line) => this.notice(line));
  }

  private format(object: string): string {
    const bar = this.streams.color ? `${CYAN}{bar}${RESET}` : '{bar}';
    return `${object.padEnd(18)} ${bar} {value}/{total} rows | {rate} rows/s | ETA {eta_formatted}`;
  }

  notice(message: string): void {
    this.bars.log(`${redact(message)}\n`);
  }

  objectStarted(object: string, rowsTotal: number, limit?: number): void {
    this.startedAt = performance.now();
    // With --limit the run ends once that many rows are written: the bar counts written rows then.
    this.limited = limit !== undefined;
    this.bar = this.bars.create(limit === undefined ? rowsTotal : Math.min(limit, rowsTotal), 0, { rate: '0' }, { format: this.format(object) });
  }

  batchDone(progress: BatchProgress): void {
    const seconds = (performance.now() - this.startedAt) / 1000;
    const rate = seconds > 0 ? Math.round(progress.rowsRead / seconds) : 0;
    this.bar?.update(this.limited ? progress.rowsWritten : progress.rowsRead, { rate: String(rate) });
  }

  retrying(object: string, attempt: number, delayMs: number, reason: string): void {
    this.notice(retryLine(object, attempt, delayMs, reason));
  }

  decision(object: string, key: Key, decision: Decision): void {
    this.notice(decisionLine(object, key, decision));
  }

  objectFinished(summary: ObjectSummary): void {
    const done = this.limited ? summary.rows_written : summary.rows_read;
    if (summary.status === 'success') {
      this.bar?.setTotal(done);
      this.bar?.update(done);
    }
    this.bar = undefined;
  }

  finished(summary: DumpSummary): void {
    // A last redraw prints the notices still buffered (a short run ends before the next one).
    this.bars.update();
    this.bars.stop();
    routeProcessNotices(undefined);
    writeLine(this.streams.stdout, summaryOutput(summary, this.json));
  }
}

/** How a run reports: `--log-format`, `--quiet`, and whether the summary is JSON. */
export interface ReportOptions {
  readonly json: boolean;
  readonly logFormat?: 'text' | 'json' | undefined;
  readonly quiet?: boolean | undefined;
  readonly dryRun?: boolean | undefined;
}

/**
 * The reporter for these streams: JSON lines when asked; otherwise bars when stderr is a
 * terminal, log lines when not; without progress when quiet.
 */
export function chooseReporter(streams: OutputStreams, options: ReportOptions): Reporter {
  const { json, logFormat, quiet, dryRun } = options;
  const chosen = logFormat === 'json' ? new JsonLogReporter(streams, json, dryRun)
    : streams.stderr.isTTY && !quiet ? new TtyReporter(streams, json) : new LogReporter(streams, json, dryRun);
  return quiet ? new QuietReporter(chosen) : chosen;
}
