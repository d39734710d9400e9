/**
 * Waits `ms` milliseconds, or less if one of `signals` aborts first (never rejects). Several
 * signals are listened to one by one: a combined AbortSignal.any can lose its listeners to the
 * garbage collector on Node 20, and the pause would then run to its end.
 */
export function pause(ms: number, ...signals: (AbortSignal | undefined)[]): Promise<void> {
  const present = signals.filter((signal): signal is AbortSignal => signal !== undefined);
  if (ms <= 0 || present.some((signal) => signal.aborted)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      for (const signal of present) signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    for (const signal of present) signal.addEventListener('abort', done, { once: true });
  });
}
