import { pause } from './pacing.js';

/** How a transient failure is retried. */
export interface RetryPolicy {
  /** Retries after the first attempt (0 = no retry). */
  readonly retries: number;
  /** Delay before the first retry, milliseconds; doubles each time. */
  readonly baseDelayMs: number;
  /** Upper bound of one delay, milliseconds. */
  readonly maxDelayMs: number;
}

/** Five retries over roughly half a minute in the worst case. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({ retries: 5, baseDelayMs: 500, maxDelayMs: 15_000 });

/** Called before each retry with the attempt that failed and the wait ahead. */
export type RetryListener = (attempt: number, delayMs: number, error: unknown) => void;

/** "Equal jitter" backoff: between half and all of the exponential bound, at random. */
export function backoffDelay(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const bound = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(bound / 2 + (random() * bound) / 2);
}

/**
 * Runs `operation`, retrying while `isTransient(error)` holds and attempts remain.
 * The operation must be idempotent: callers prepare its input (rows, stamps) before the first try.
 */
export async function withRetry<T>(
  operation: () => Promise<T>,
  isTransient: (error: unknown) => boolean,
  policy: RetryPolicy,
  onRetry?: RetryListener,
): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await operation();
    } catch (error) {
      if (attempt > policy.retries || !isTransient(error)) throw error;
      const delayMs = backoffDelay(policy, attempt);
      onRetry?.(attempt, delayMs, error);
      await pause(delayMs);
    }
  }
}
