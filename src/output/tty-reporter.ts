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
const RESET = '\u001b[0m';
/** Widths of a bar line's parts besides the bar: the padded name and the counts (`1234567/1234567 rows`), the rate, the ETA. */
const NAME_AND_COUNTS = 40;
const RATE = ' | {rate} rows/s';
const RATE_WIDTH = 17;
const ETA = ' | ETA {eta}';
const ETA_WIDTH = 14;
const MIN_BAR = 8;
const MAX_BAR = 40;

/** The parts of a bar line that fit `columns` (the ETA goes first, then the rate), and the bar's width. */
function lineLayout(columns: number): { tail: string; barsize: number } {
  const full = NAME_AND_COUNTS + RATE_WIDTH + ETA_WIDTH;
  const tail = columns >= full + MIN_BAR ? `${RATE}${ETA}` : columns >= NAME_AND_COUNTS + RATE_WIDTH + MIN_BAR ? RATE : '';
  const used = NAME_AND_COUNTS + (tail === '' ? 0 : tail === RATE ? RATE_WIDTH : RATE_WIDTH + ETA_WIDTH);
  return { tail, barsize: Math.max(MIN_BAR, Math.min(MAX_BAR, columns - used)) };
}

/** Seconds as the ETA shows them: `45s`, `2m05s`, `1h02m`. */
export function etaText(seconds: number): string {
  const whole = Math.max(0, Math.round(seconds));
  const [hours, minutes, rest] = [Math.floor(whole / 3600), Math.floor((whole % 3600) / 60), whole % 60];
  if (hours > 0) return `${hours}h${String(minutes).padStart(2, '0')}m`;
  return minutes > 0 ? `${minutes}m${String(rest).padStart(2, '0')}s` : `${rest}s`;
}

/** cli-progress bars on stderr (rows done/total, rows/s, ETA, as the terminal's width allows); the summary on stdout. */
export class TtyReporter implements Reporter {
  private readonly bars: cliProgress.MultiBar;
  private readonly tail: string;
  private bar: cliProgress.SingleBar | undefined;
  private startedAt = 0;
  private limited = false;

  constructor(private readonly streams: OutputStreams, private readonly json: boolean) {
    const columns = (streams.stderr as { columns?: number }).columns ?? 80;
    const { tail, barsize } = lineLayout(columns);
    this.tail = tail;
    this.bars = new cliProgress.MultiBar({ stream: streams.stderr, hideCursor: true, clearOnComplete: false, barsize }, cliProgress.Presets.shades_classic);
    routeProcessNotices((line) => this.notice(line));
  }

  private format(object: string): string {
    const bar = this.streams.color ? `${CYAN}{bar}${RESET}` : '{bar}';
    return `${object.padEnd(18)} ${bar} {value}/{total} rows${this.tail}`;
  }

  notice(message: string): void {
    this.bars.log(`${redact(message)}\n`);
  }

  objectStarted(object: string, rowsTotal: number, limit?: number): void {
    this.startedAt = performance.now();
    // With --limit the run ends once that many rows are written: the bar counts written rows then.
    this.limited = limit !== undefined;
    // No rate nor ETA before the first batch: there is nothing to measure them by.
    this.bar = this.bars.create(limit === undefined ? rowsTotal : Math.min(limit, rowsTotal), 0, { rate: '-', eta: '-' }, { format: this.format(object) });
  }

  batchDone(progress: BatchProgress): void {
    const seconds = (performance.now() - this.startedAt) / 1000;
    const done = this.limited ? progress.rowsWritten : progress.rowsRead;
    const rate = seconds > 0 ? done / seconds : 0;
    const total = this.bar?.getTotal() ?? 0;
    const eta = rate > 0 ? etaText((total - done) / rate) : '-';
    this.bar?.update(done, { rate: rate > 0 ? String(Math.round(rate)) : '-', eta });
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
      this.bar?.update(done, { eta: '0s' });
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
