import type { OutputStreams } from '../output/streams.js';

/** What a command may use from its process: environment, streams, the stop signal. */
export interface CommandContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly streams: OutputStreams;
  /** Aborted on SIGINT/SIGTERM. */
  readonly signal: AbortSignal;
  /** Aborted on a second SIGINT/SIGTERM: stop waiting and retrying, report, exit. */
  readonly hardStop: AbortSignal;
}
