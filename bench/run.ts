import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { BIN } from '../test/support/cli.js';

/** Peak resident set of a running process, kB (VmHWM), or 0 once it has gone. */
function peakRssKb(pid: number): number {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** Runs the CLI, timing it and sampling its peak RSS until it exits. */
export function timedDump(args: string[], env: Record<string, string>): Promise<{ seconds: number; peakMb: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let peak = 0;
    let stderr = '';
    const sampler = setInterval(() => { peak = Math.max(peak, peakRssKb(child.pid as number)); }, 20);
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); peak = Math.max(peak, peakRssKb(child.pid as number)); });
    child.once('close', (code) => {
      clearInterval(sampler);
      if (code !== 0) reject(new Error(`aspects exited ${code}: ${stderr.trim().split('\n').pop()}`));
      else resolve({ seconds: (performance.now() - started) / 1000, peakMb: peak / 1024 });
    });
  });
}

/** min / median / max of a few numbers, formatted. */
export function spread(values: readonly number[], digits = 2): string {
  const sorted = [...values].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] as number;
  return `${(sorted[0] as number).toFixed(digits)} / ${median.toFixed(digits)} / ${(sorted[sorted.length - 1] as number).toFixed(digits)}`;
}

/** The median of a few numbers. */
export function median(values: readonly number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
}
