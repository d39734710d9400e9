import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The CLI of this build (aspects-entry.ts: what bin/aspects runs, from the tests' own build, not dist/). */
export const BIN = fileURLToPath(new URL('./aspects-entry.js', import.meta.url));

/** What a CLI run left behind. */
export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A CLI process still running: its output so far, a way to signal it, its end. */
export interface RunningAspects {
  readonly done: Promise<CliResult>;
  kill(signal: NodeJS.Signals): void;
  /** Resolves once stdout holds `text`; rejects when the process ends first. */
  stdoutIncludes(text: string): Promise<void>;
  stderr(): string;
}

/**
 * Starts bin/aspects as an operator would, with a clean environment plus `env`.
 * `onStderr` sees stderr so far each time it grows and may signal the child (e.g. SIGINT).
 */
export function startAspects(
  args: readonly string[], env: Readonly<Record<string, string>> = {},
  onStderr?: (text: string, kill: (signal: NodeJS.Signals) => void) => void,
): RunningAspects {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const kill = (signal: NodeJS.Signals) => { child.kill(signal); };
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString('utf8'); });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
    onStderr?.(stderr, kill);
  });
  const done = new Promise<CliResult>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
  const stdoutIncludes = (text: string) => new Promise<void>((resolve, reject) => {
    const check = () => { if (stdout.includes(text)) resolve(); };
    child.stdout.on('data', check);
    check();
    void done.then((result) => reject(new Error(`aspects exited ${result.code} before printing ${JSON.stringify(text)}: ${result.stderr}`)), reject);
  });
  return { done, kill, stdoutIncludes, stderr: () => stderr };
}

/** Runs bin/aspects to its end (see startAspects). */
export function runAspects(
  args: readonly string[], env: Readonly<Record<string, string>> = {},
  onStderr?: (text: string, kill: (signal: NodeJS.Signals) => void) => void,
): Promise<CliResult> {
  return startAspects(args, env, onStderr).done;
}

/** The one line a failed run printed on stderr (asserts there is exactly one). */
export function oneErrorLine(result: CliResult): string {
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `expected one stderr line, got:\n${result.stderr}`);
  return lines[0] as string;
}
