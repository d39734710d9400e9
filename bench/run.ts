import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
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

/** Peak resident set of a running process, MB. */
export function processPeakMb(pid: number): number {
  return peakRssKb(pid) / 1024;
}

/** CPU seconds a running process has used so far (0 once it has gone). */
export function processCpuSeconds(pid: number): number {
  return cpuSecondsOf(pid) ?? 0;
}

/** Clock ticks per second of /proc's CPU times (Linux's USER_HZ). */
const TICKS = 100;

/** CPU seconds (user + system) a process has used so far, or undefined once it has gone. */
function cpuSecondsOf(pid: number | string): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS;
  } catch {
    return undefined;
  }
}

/** The command name of a process (/proc/PID/comm), or '' once it has gone. */
function commandOf(pid: string): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/** CPU seconds used so far by every process of these command names (e.g. the servers), per name. */
export function serverCpuSeconds(names: readonly string[]): Map<string, number> {
  const totals = new Map(names.map((name) => [name, 0]));
  for (const pid of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
    const name = commandOf(pid);
    if (totals.has(name)) totals.set(name, (totals.get(name) as number) + (cpuSecondsOf(pid) ?? 0));
  }
  return totals;
}

/** What one timed run of the CLI took: wall seconds, peak RSS, and its own CPU seconds. */
export interface TimedRun {
  readonly seconds: number;
  readonly peakMb: number;
  readonly cpuSeconds: number;
}

/** Runs the CLI, timing it and sampling its peak RSS and CPU time until it exits. */
export function timedDump(args: string[], env: Record<string, string>): Promise<TimedRun> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let peak = 0;
    let cpu = 0;
    let stderr = '';
    const sampler = setInterval(() => {
      peak = Math.max(peak, peakRssKb(child.pid as number));
      cpu = cpuSecondsOf(child.pid as number) ?? cpu;
    }, 20);
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); peak = Math.max(peak, peakRssKb(child.pid as number)); });
    child.once('close', (code) => {
      clearInterval(sampler);
      if (code !== 0) reject(new Error(`aspects exited ${code}: ${stderr.trim().split('\n').pop()}`));
      else resolve({ seconds: (performance.now() - started) / 1000, peakMb: peak / 1024, cpuSeconds: cpu });
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
