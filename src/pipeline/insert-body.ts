import { once } from 'node:events';
import { PassThrough, type Readable } from 'node:stream';

/** How much of a body may wait in memory for ClickHouse to read it. */
const BUFFERED_BYTES = 4 << 20;

/**
 * The body of one insert attempt, streamed to ClickHouse while rows are still being read: each
 * write waits while ClickHouse is behind (backpressure) and fails as soon as the attempt did.
 */
export class InsertBody {
  private readonly stream = new PassThrough({ highWaterMark: BUFFERED_BYTES });
  private readonly answer: Promise<void>;
  private failure: { readonly error: unknown } | undefined;

  /** `send` starts the request that reads the body and settles with ClickHouse's answer. */
  constructor(send: (body: Readable) => Promise<void>) {
    // Writes after the request gave up must not crash the process; the answer carries the error.
    this.stream.on('error', () => undefined);
    this.answer = send(this.stream);
    this.answer.catch((error: unknown) => { this.failure = { error }; });
  }

  /** Writes one piece; resolves once the body may take more, rejects when the attempt failed. */
  async write(piece: Buffer): Promise<void> {
    if (this.failure) throw this.failure.error;
    if (this.stream.write(piece)) return;
    const stopWaiting = new AbortController();
    const drained = once(this.stream, 'drain', { signal: stopWaiting.signal }).catch(() => undefined);
    try {
      await Promise.race([drained, this.answer]);
    } finally {
      stopWaiting.abort();
    }
  }

  /** Ends the body and waits for ClickHouse's answer. */
  async end(): Promise<void> {
    if (this.failure) throw this.failure.error;
    this.stream.end();
    await this.answer;
  }

  /** Cuts the body off: the request fails (used when the run must stop at once). */
  abandon(): void {
    this.stream.destroy();
  }
}
