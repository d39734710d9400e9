import { readMarks, writeMarks } from '../clickhouse/run-marks.js';
import type { ClickHouseTarget } from '../clickhouse/target.js';
import type { MysqlLocation } from '../config/urls.js';
import { RuntimeFailure, UsageError, messageOf, type AspectsError } from '../errors.js';
import { binlogSettingProblems, currentBinlogPosition, missingBinlogGrants } from '../lms/binlog-checks.js';
import type { LmsDatabase } from '../lms/database.js';
import { isTransientMysqlError } from '../lms/transient.js';
import { referenceMicros } from '../pipeline/clock.js';
import { pause } from '../pipeline/pacing.js';
import { DEFAULT_RETRY_POLICY, backoffDelay } from '../pipeline/retry.js';
import type { ObjectSummary } from '../pipeline/summary.js';
import type { Sink } from '../sinks/types.js';
import { BinlogStream, type Transaction } from './binlog.js';
import { ChangedKeys } from './changed-keys.js';
import { routesOf } from './routes.js';

/**
 * `aspects follow`: the dump's first pass (a snapshot) when no checkpoint says where the binlog
 * was, then the binlog's committed transactions, a batch of changed keys at a time, each batch
 * dumped by the same pipeline as `--ids` (read from MySQL as the row is now, compared by
 * fingerprint, written exactly once) and then checkpointed. A replay after a crash reads the
 * same keys again and finds them unchanged: nothing twice, nothing lost.
 */

/** How follow batches and where it starts. */
export interface FollowOptions {
  /** A batch is dumped at most this long after its first change... */
  readonly flushMs: number;
  /** ...or once it names this many keys. */
  readonly maxKeys: number;
  /** The replica id it reads the binlog as (unique among the server's replicas). */
  readonly serverId: number;
  /** Take a snapshot even when a checkpoint exists. */
  readonly snapshot: boolean;
  /** How long a lost connection to the LMS database is retried without a batch written. */
  readonly retryForMs: number;
}

/** A batch's dump: the summaries of its objects, and its failure if any. */
export interface BatchResult {
  readonly objects: ObjectSummary[];
  readonly error?: AspectsError;
}

/** Runs the dump pipeline over keys of some objects. */
export type DumpKeys = (keys: ReadonlyMap<Sink, readonly number[]>) => Promise<BatchResult>;

/** What follow works with. */
export interface FollowContext {
  readonly lms: LmsDatabase;
  readonly location: MysqlLocation;
  readonly clickhouse: ClickHouseTarget;
  readonly database: string;
  readonly sinks: readonly Sink[];
  readonly notice: (line: string) => void;
  /** Aborted on SIGINT/SIGTERM: the batch under way is written and checkpointed, then follow ends. */
  readonly stop: AbortSignal;
}

const PURGED = 1236;
/** How long the server may take to start sending its binlog. */
const START_DEADLINE_MS = 60_000;

/** The binlog error as the operator must read it. */
function streamFailure(error: Error & { errno?: number }): AspectsError {
  if (error.errno === PURGED || /purged|could not find GTID|1236/i.test(error.message)) {
    return new RuntimeFailure(`the LMS binlog no longer holds the changes after the checkpoint (${error.message}): a new snapshot is needed; run aspects follow again with --snapshot`);
  }
  return new RuntimeFailure(`reading the LMS binlog failed: ${error.message}; run aspects follow again: it goes on from its checkpoint`);
}

export class Follower {
  private position = '';
  private readonly keys: ChangedKeys;

  constructor(private readonly ctx: FollowContext, private readonly options: FollowOptions) {
    this.keys = new ChangedKeys(ctx.sinks.flatMap(routesOf));
  }

  /** Refuses a server follow cannot read, with what to change. */
  async check(): Promise<void> {
    const problems = [...await binlogSettingProblems(this.ctx.lms), ...(await missingBinlogGrants(this.ctx.lms)).map((grant) => `the MySQL user lacks ${grant}`)];
    if (problems.length > 0) throw new UsageError(`aspects follow cannot read the LMS binlog: ${problems.join('; ')}`);
  }

  /** Whether a snapshot (the dump's first pass) is needed; notes the position the stream starts from. */
  async needsSnapshot(): Promise<boolean> {
    const positions = await Promise.all(this.ctx.sinks.map(async (sink) => (await readMarks(this.ctx.clickhouse, this.ctx.database, sink.name)).follow?.position));
    const [first] = positions;
    if (!this.options.snapshot && first && positions.every((each) => each === first)) {
      this.position = first;
      this.ctx.notice(`follow: going on from checkpoint ${first}`);
      return false;
    }
    this.position = await currentBinlogPosition(this.ctx.lms);
    this.ctx.notice(`follow: snapshot first (${this.options.snapshot ? '--snapshot' : 'no common checkpoint'}); the stream starts at ${this.position || 'the binlog\'s start'}`);
    return true;
  }

  /** After a snapshot: its position is the checkpoint. */
  snapshotTaken(): Promise<void> {
    return this.checkpoint(this.position);
  }

  private async checkpoint(position: string): Promise<void> {
    const mark = { at: referenceMicros(), storedKeys: 0, position };
    await writeMarks(this.ctx.clickhouse, this.ctx.database, this.ctx.sinks.map((sink) => sink.name), ['follow'], mark);
    this.position = position;
  }

  /**
   * Streams until stopped; each batch dumped by `dump` and checkpointed. A lost connection to the
   * LMS database (a restart) is read again from the checkpoint, for up to `retryForMs` without a
   * batch written. Resolves with the summaries of every batch.
   */
  async stream(dump: DumpKeys): Promise<BatchResult> {
    const totals = new Totals();
    let [lostSince, attempt] = [undefined as number | undefined, 0];
    for (;;) {
      const outcome = await this.streamOnce(dump, totals);
      if (!outcome.lost) return totals.result(outcome.error);
      [lostSince, attempt] = outcome.progressed ? [Date.now(), 1] : [lostSince ?? Date.now(), attempt + 1];
      if (Date.now() - lostSince > this.options.retryForMs || this.ctx.stop.aborted) return totals.result(streamFailure(outcome.lost));
      const delay = backoffDelay(DEFAULT_RETRY_POLICY, attempt);
      this.ctx.notice(`follow: the connection to the LMS database was lost (${outcome.lost.message}); reading the binlog again from checkpoint ${this.position} in ${(delay / 1000).toFixed(1)} s`);
      await pause(delay, this.ctx.stop);
    }
  }

  /** One connection's stream: until stopped, a failure, or the connection lost. */
  private async streamOnce(dump: DumpKeys, totals: Totals): Promise<StreamOutcome> {
    this.keys.clear();
    const batches = new BatchLoop(this.keys, this.ctx, this.options, dump, totals, (position) => this.checkpoint(position));
    const binlog = new BinlogStream(this.ctx.location, this.keys.tables(), {
      transaction: (transaction: Transaction) => batches.add(transaction),
      error: (error) => batches.fail(error),
    });
    try {
      await binlog.start(this.ctx.location, this.position, this.options.serverId, START_DEADLINE_MS);
      this.ctx.notice(`follow: reading the binlog from ${this.position || 'its start'}`);
      return await batches.run();
    } catch (error) {
      return isTransientMysqlError(error) ? { lost: error as Error, progressed: false } : { error: streamFailure(error as Error) };
    } finally {
      await binlog.stop();
    }
  }
}

/** How one connection's stream ended: stopped (maybe by a failure), or its connection lost (after batches written or not). */
type StreamOutcome = { readonly error?: AspectsError; readonly lost?: undefined } | { readonly lost: Error; readonly progressed: boolean };

/** The objects' summaries over every batch. */
class Totals {
  private readonly objects = new Map<string, ObjectSummary>();

  count(objects: readonly ObjectSummary[]): void {
    for (const each of objects) {
      const total = this.objects.get(each.object) ?? { ...each, rows_read: 0, rows_written: 0, rows_unchanged: 0, batches: 0, seconds: 0 };
      this.objects.set(each.object, { ...total, rows_read: total.rows_read + each.rows_read, rows_written: total.rows_written + each.rows_written,
        rows_unchanged: total.rows_unchanged + each.rows_unchanged, batches: total.batches + 1, seconds: total.seconds + each.seconds, status: each.status, last_pk: each.last_pk });
    }
  }

  result(error?: AspectsError): BatchResult {
    return { objects: [...this.objects.values()], ...(error ? { error } : {}) };
  }
}

/** Changed keys gathered into batches; each dumped, then checkpointed, one after the other. */
class BatchLoop {
  private failure: Error | undefined;
  private wake: (() => void) | undefined;
  private progressed = false;

  constructor(
    private readonly keys: ChangedKeys, private readonly ctx: FollowContext, private readonly options: FollowOptions,
    private readonly dump: DumpKeys, private readonly totals: Totals, private readonly checkpoint: (position: string) => Promise<void>,
  ) {
    ctx.stop.addEventListener('abort', () => this.wake?.(), { once: true });
  }

  add(transaction: Transaction): void {
    this.keys.add(transaction);
    if (this.keys.size() >= this.options.maxKeys) this.wake?.();
  }

  fail(error: Error): void {
    this.failure ??= error;
    this.wake?.();
  }

  /** Waits for the next batch to be due: its time, its size, a stop or a failure. */
  private due(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, this.options.flushMs);
      this.wake = () => { clearTimeout(timer); resolve(); };
    });
  }

  async run(): Promise<StreamOutcome> {
    for (;;) {
      await this.due();
      if (this.failure) return isTransientMysqlError(this.failure) ? { lost: this.failure, progressed: this.progressed } : { error: streamFailure(this.failure) };
      const flushed = await this.flush().catch((error: unknown) => {
        if (isTransientMysqlError(error)) return { lost: error as Error, progressed: this.progressed };
        throw error;
      });
      if (flushed || this.ctx.stop.aborted) return flushed ?? {};
    }
  }

  /** Dumps the keys gathered so far and checkpoints the position after them; an outcome when the stream must end. */
  private async flush(): Promise<StreamOutcome | undefined> {
    const batch = await this.keys.take(this.ctx.lms);
    if (!batch) return undefined;
    const result = await this.dump(batch.keys);
    this.totals.count(result.objects);
    if (result.error) return { error: result.error };
    await this.checkpoint(batch.position).catch((error: unknown) => { throw new RuntimeFailure(`follow: the checkpoint could not be written (${messageOf(error)}); the next start reads the batch again`); });
    this.progressed = true;
    this.ctx.notice(batchLine(batch, result.objects, this.keys.waiting()));
    return undefined;
  }
}

/** One line per batch: what it wrote, how far behind the binlog it is. */
function batchLine(batch: { transactions: number; at: number; position: string }, objects: readonly ObjectSummary[], waiting: number): string {
  const written = objects.map((each) => `${each.object} ${each.rows_written} written, ${each.rows_unchanged} unchanged`).join('; ');
  const lag = Math.max(0, (Date.now() - batch.at) / 1000);
  return `follow: ${batch.transactions} transactions: ${written || 'nothing to write'}; lag ${lag.toFixed(1)} s, ${waiting} transactions waiting; checkpoint ${batch.position}`;
}
