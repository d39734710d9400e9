import type { MysqlLocation } from '../config/urls.js';
import { openLmsSession, type LmsDatabase, type LmsSession } from '../lms/database.js';
import { HeldLocks, getLock, lockHolder, type LockOwner } from '../lms/locks.js';
import { isTransientMysqlError } from '../lms/transient.js';
import { withRetry, type RetryListener, type RetryPolicy } from './retry.js';
import type { WriteGuard } from './run-dump.js';

/** What a guard needs to keep its locks: where MySQL is, how to retry, whom to tell. */
export interface GuardOptions {
  readonly location: MysqlLocation;
  readonly lms: LmsDatabase;
  readonly retry: RetryPolicy;
  readonly onRetry: RetryListener;
  readonly notice: (message: string) => void;
}

/** How long a write waits silently for the write lock before saying why it waits. */
const QUIET_WAIT_SECONDS = 2;

/**
 * The write lock of each PII table, on a session of its own: a dump holds it while it re-checks
 * retirements, decides and writes one batch; `aspects retire` holds it while it deletes and
 * verifies. So a user retire reports gone cannot come back from a batch decided before.
 */
export class WriteLocks {
  private session: LmsSession | undefined;

  constructor(private readonly options: GuardOptions, private readonly names: ReadonlyMap<string, string>) {}

  covers(table: string): boolean {
    return this.names.has(table);
  }

  /** Runs `work` holding the table's write lock; `afterLoss` runs, under the lock again, if it was lost on the way. */
  async holding<T>(table: string, work: () => Promise<T>, afterLoss: () => Promise<void>): Promise<T> {
    const name = this.names.get(table) as string;
    await this.retrying(() => this.take(name));
    let result: T;
    try {
      result = await work();
    } catch (error) {
      await this.release(name);
      throw error;
    }
    if (await this.release(name)) return result;
    // The session ended while the batch was written: a retire may have run in between.
    await this.retrying(() => this.take(name));
    try {
      await afterLoss();
    } finally {
      await this.release(name);
    }
    return result;
  }

  private async take(name: string): Promise<void> {
    const session = await this.open();
    const [row] = await session.select('SELECT GET_LOCK(?, ?) AS got', [name, QUIET_WAIT_SECONDS]);
    if (Number(row?.got) === 1) return;
    this.options.notice(`waiting for ${await lockHolder(session, name)} to finish with ${name.split(':')[2]}`);
    await getLock(session, name, Infinity);
  }

  /** Releases the lock; false when it was no longer this session's (the session ended on the way). */
  private async release(name: string): Promise<boolean> {
    const session = this.session;
    if (!session) return false;
    const [row] = await session.select('SELECT RELEASE_LOCK(?) AS released', [name]).catch(() => [undefined]);
    return Number(row?.released) === 1;
  }

  private async open(): Promise<LmsSession> {
    if (this.session) return this.session;
    const session = await openLmsSession(this.options.location);
    this.session = session;
    void session.lost.then(() => { if (this.session === session) this.session = undefined; });
    return session;
  }

  private retrying<T>(operation: () => Promise<T>): Promise<T> {
    const transient = (error: unknown) => isTransientMysqlError(error) || this.session === undefined;
    return withRetry(operation, transient, this.options.retry, this.options.onRetry);
  }

  async close(): Promise<void> {
    await this.session?.close();
  }
}

/** The run locks of a dump, checked before every batch and taken again if their session was lost. */
export class RunLocks {
  constructor(private readonly options: GuardOptions, private held: HeldLocks, private readonly owner: LockOwner) {}

  static async acquire(options: GuardOptions, names: readonly string[], owner: LockOwner, wait: number | 'forever', signal?: AbortSignal): Promise<RunLocks> {
    const hint = 'wait for it with --wait-lock[=SECONDS], or stop that process if it is stuck';
    const held = await withRetry(() => HeldLocks.acquire(options.location, names, { owner, wait, signal, hint }), isTransientMysqlError, options.retry, options.onRetry);
    return new RunLocks(options, held, owner);
  }

  /** Makes sure the locks are still ours; takes them again (or fails with LockHeld) after a lost session. */
  async ensure(): Promise<void> {
    const { lms, retry, onRetry } = this.options;
    if (await withRetry(() => this.held.held(lms), isTransientMysqlError, retry, onRetry)) return;
    await this.held.release(lms).catch(() => undefined);
    const hint = 'another run took it after this run\'s MySQL session ended';
    this.held = await withRetry(() => HeldLocks.acquire(this.options.location, this.held.names, { owner: this.owner, wait: 0, hint }), isTransientMysqlError, retry, onRetry);
    this.options.notice('the run lock\'s MySQL session ended; the lock was taken again');
  }

  release(): Promise<void> {
    return this.held.release(this.options.lms);
  }
}

/** A dump's guard: run locks checked before each batch, PII batches under their write lock. */
export class DumpGuard implements WriteGuard {
  constructor(private readonly run: RunLocks | undefined, private readonly writes: WriteLocks | undefined) {}

  async around<T>(table: string, work: () => Promise<T>, afterLoss: () => Promise<void> = async () => undefined): Promise<T> {
    await this.run?.ensure();
    if (!this.writes?.covers(table)) return work();
    return this.writes.holding(table, work, afterLoss);
  }

  async release(): Promise<void> {
    await this.writes?.close().catch(() => undefined);
    await this.run?.release().catch(() => undefined);
  }
}
