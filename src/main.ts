import { runCli } from './cli.js';
import { EXIT_CODES } from './errors.js';
import { processNoticeLine } from './output/streams.js';
import { governHeap } from './runtime/heap-governor.js';

/**
 * The process entry point: wires argv, environment, streams and signals into the CLI.
 * The only place that exits the process.
 * Its heap is governed (runtime/heap-governor.ts): a streaming run stays near the data it holds.
 */
export async function runFromProcess(): Promise<void> {
  governHeap();
  const controller = new AbortController();
  const hard = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (hard.signal.aborted) process.exit(EXIT_CODES.interrupted);
    if (controller.signal.aborted) {
      processNoticeLine(`aspects: ${signal} received again; abandoning the write under way, then the summary (a third time exits at once)`);
      hard.abort();
      return;
    }
    processNoticeLine(`aspects: ${signal} received; stopping after the current batch (again to stop sooner)`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const color = process.stderr.isTTY === true && !('NO_COLOR' in process.env && process.env.NO_COLOR !== '');
  const exitCode = await runCli(process.argv.slice(2), {
    env: process.env,
    streams: { stdout: process.stdout, stderr: process.stderr, color },
    signal: controller.signal,
    hardStop: hard.signal,
  });
  process.exitCode = exitCode;
  // Let stdout drain (a JSON summary may be large) before leaving.
  process.stdout.write('', () => process.exit(stdoutFailure.exitCode(exitCode)));
}

/**
 * A failed write to stdout (a full disk under `--json >> dump.jsonl`) would lose the summary
 * without a word: it is said on stderr and the run exits 1. A reader that went away (`| head`)
 * is no failure.
 */
const stdoutFailure = {
  error: undefined as NodeJS.ErrnoException | undefined,
  exitCode(exitCode: number): number {
    const error = this.error;
    if (error === undefined || error.code === 'EPIPE' || exitCode !== EXIT_CODES.success) return exitCode;
    processNoticeLine(`aspects: cannot write to standard output (${error.code ?? error.message}): what the command printed there is lost`);
    return EXIT_CODES.runtime;
  },
};

/** Records the first failed write of `stream` (its callback hears of it; an 'error' event may come too late). */
function watchWrites(stream: NodeJS.WriteStream, onError: (error: NodeJS.ErrnoException) => void): void {
  const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  stream.write = ((...args: unknown[]) => {
    const callback = typeof args[args.length - 1] === 'function' ? args.pop() as (error?: Error | null) => void : undefined;
    return write(...args, (error?: Error | null) => {
      if (error) onError(error);
      callback?.(error);
    });
  }) as typeof stream.write;
}
watchWrites(process.stdout, (error) => { stdoutFailure.error ??= error; });
process.stdout.on('error', () => undefined);
