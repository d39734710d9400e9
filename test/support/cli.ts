import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** bin/aspects of this checkout. */
export const BIN = fileURLToPath(new URL('../../../bin/aspects', import.meta.url));

/** What a CLI run left behind. */
export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Spawns bin/aspects as an operator would, with a clean environment plus `env`.
 * `onStarted` may signal the child (e.g. SIGINT) while it runs.
 */
export function runAspects(
  args: readonly string[], env: Readonly<Record<string, string>> = {},
  onStderr?: (text: string, kill: (signal: NodeJS.Signals) => void) => void,
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString('utf8'); });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      onStderr?.(stderr, (signal) => child.kill(signal));
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}
