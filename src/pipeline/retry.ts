import { messageOf } from '../errors.js';
import { pause } from './pacing.js';

/** How a transient failure is retried: for a time budget, with jittered exponential backoff. */
export interface RetryPolicy {
  /** How long to keep retrying one operation after its first failure, milliseconds. */
  readonly budgetMs: number;
  /** At most this many retries after the first attempt (--retries); none: only the budget bounds them. */
  readonly retries?: number;
  /** Delay before the first retry, milliseconds; doubles each time. */
  readonly baseDelayMs: number;
  /** Upper bound of one delay, milliseconds. */
  readonly maxDelayMs: number;
}

/**
 * Two minutes of retries, long enough to ride out a ClickHouse restart (35–50 s seen) or a
 * MariaDB restart (about 20 s); delays grow from half a second to 10 seconds.
 */
export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({ budgetMs: 120_000, baseDelayMs: 500, maxDelayMs: 10_000 });

/** Called before each retry with the attempt that failed and the wait ahead. */
export type RetryListener = (attempt: number, delayMs: number, error: unknown) => void;

/** "Equal jitter" backoff: between half and all of the exponential bound, at random. */
export function backoffDelay(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const bound = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(bound / 2 + (random() * bound) / 2);
}

/** The retries of one operation: counts attempts and knows when its budget is spent. */
export class RetryBudget {
  private attempt = 0;
  private deadline: number | undefined;

  constructor(private readonly policy: RetryPolicy, private readonly signal?: AbortSignal) {}

  /**
   * After a failure: the delay before the next attempt, or undefined when no attempt is left
   * (budget spent, --retries reached, or the run is being aborted).
   */
  next(): number | undefined {
    this.attempt += 1;
    this.deadline ??= Date.now() + this.policy.budgetMs;
    if (this.signal?.aborted || (this.policy.retries !== undefined && this.attempt > this.policy.retries)) return undefined;
    const delayMs = backoffDelay(this.policy, this.attempt);
    return Date.now() + delayMs > this.deadline ? undefined : delayMs;
  }

  /** Whether the budget is spent (starting its clock now if nothing failed before). */
  expired(): boolean {
    this.deadline ??= Date.now() + this.policy.budgetMs;
    return Date.now() > this.deadline || this.signal?.aborted === true;
  }

  /** The attempt that failed last (1-based). */
  get attempts(): number {
    return this.attempt;
  }

  /** Waits before the next attempt; returns early if the run is aborted. */
  wait(delayMs: number): Promise<void> {
    return pause(delayMs, this.signal);
  }
}

/**
 * Runs `operation`, retrying while `isTransient(error)` holds and the budget lasts.
 * The operation must be idempotent: callers prepare its input (rows, stamps) before the first try.
 */
export async function withRetry<T>(
  operation: () => Promise<T>,
  isTransient: (error: unknown) => boolean,
  policy: RetryPolicy,
  onRetry?: RetryListener,
  signal?: AbortSignal,
): Promise<T> {
  const budget = new RetryBudget(policy, signal);
  for (;;) {
    try {
      return await operation();
    } catch (error) {
      const delayMs = isTransient(error) ? budget.next() : undefined;
      if (delayMs === undefined) throw error;
      onRetry?.(budget.attempts, delayMs, error);
      await budget.wait(delayMs);
    }
  }
}

/** How a command retries its first connections: the run's policy, a listener, the hard stop. */
export interface ConnectRetry {
  readonly policy: RetryPolicy;
  readonly onRetry: RetryListener;
  readonly signal?: AbortSignal;
}

/** A connection attempt, retried on transient failures when `retry` is given, tried once otherwise. */
export function connecting<T>(operation: () => Promise<T>, isTransient: (error: unknown) => boolean, retry?: ConnectRetry): Promise<T> {
  return retry ? withRetry(operation, isTransient, retry.policy, retry.onRetry, retry.signal) : operation();
}

/** Why a connection is tried again; the first retry also says for how long they may go on (a mistyped port is not minutes of silence). */
export function connectRetryReason(error: unknown, attempt: number, policy: RetryPolicy): string {
  return `${messageOf(error)}${attempt === 1 ? `; trying again for up to ${Math.round(policy.budgetMs / 1000)}s (--retry-for)` : ''}`;
}
