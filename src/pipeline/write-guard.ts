import type { MysqlLocation } from '../config/urls.js';
import { openLmsSession, type LmsDatabase, type LmsSession } from '../lms/database.js';
import { HeldLocks, getLock, lockHolder, type LockOwner } from '../lms/locks.js';
import { isTransientMysqlError } from '../lms/transient.js';
import { withRetry, type RetryListener, type RetryPolicy } from './retry.js';

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

/** A PII table's write lock, held while pages are decided and their insert runs. */
export interface WriteLock {
  take(): Promise<void>;
  /** Releases it; false when it was no longer this run's (its session ended while it was held). */
  release(): Promise<boolean>;
}

/**
 * The write lock of each PII table, on a session of its own: a dump holds it from the
 * retirement check of the first page of an insert until that insert is complete; `aspects
 * retire` holds it while it deletes and verifies. So a user retire reports gone cannot come back
 * from rows decided before.
 */
export class WriteLocks {
  private session: LmsSession | undefined;

  constructor(private readonly options: GuardOptions, private readonly names: ReadonlyMap<string, string>) {}

  /** The lock of `table`, if it is a PII table. */
  lockOf(table: string): WriteLock | undefined {
    const name = this.names.get(table);
    if (name === undefined) return undefined;
    return { take: () => this.retrying(() => this.take(name)), release: () => this.release(name) };
  }

  private async take(name: string): Promise<void> {
    const session = await this.open();
    const [row] = await session.select('SELECT GET_LOCK(?, ?) AS got', [name, QUIET_WAIT_SECONDS]);
    if (Number(row?.got) === 1) return;
    this.options.notice(`waiting for ${await lockHolder(session, name)} to finish with ${name.split(':')[2]}`);
    await getLock(session, name, Infinity);
  }

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

  /** The run locks it can take, and the holder of each other one (LockHeld when none is free). */
  static async acquire(
    options: GuardOptions, names: readonly string[], owner: LockOwner, wait: number | 'forever', signal?: AbortSignal,
  ): Promise<{ run: RunLocks; holders: Map<string, string> }> {
    const hint = 'wait for it with --wait-lock[=SECONDS], or stop that process if it is stuck';
    const { locks, holders } = await withRetry(() => HeldLocks.acquireAvailable(options.location, names, { owner, wait, signal, hint }),
      isTransientMysqlError, options.retry, options.onRetry);
    return { run: new RunLocks(options, locks, owner), holders };
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

/** What a dump's writes are guarded by: the run locks, and the write locks of PII tables. */
export interface WriteGuard {
  /** Before each page is written: the run locks are still ours (taken again after a lost session). */
  ensureRunLocks(): Promise<void>;
  /** The write lock of a PII table; undefined for other tables (and dry runs). */
  writeLock(table: string): WriteLock | undefined;
}

/** A dump's guard: run locks checked before each page, PII inserts under their write lock. */
export class DumpGuard implements WriteGuard {
  constructor(private readonly run: RunLocks | undefined, private readonly writes: WriteLocks | undefined) {}

  async ensureRunLocks(): Promise<void> {
    await this.run?.ensure();
  }

  writeLock(table: string): WriteLock | undefined {
    return this.writes?.lockOf(table);
  }

  async release(): Promise<void> {
    await this.writes?.close().catch(() => undefined);
    await this.run?.release().catch(() => undefined);
  }
}
