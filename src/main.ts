import { runCli } from './cli.js';
import { EXIT_CODES } from './errors.js';
import { processNoticeLine } from './output/streams.js';

/**
 * The process entry point: wires argv, environment, streams and signals into the CLI.
 * The only place that exits the process.
 */
export async function runFromProcess(): Promise<void> {
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
  process.stdout.write('', () => process.exit(exitCode));
}
