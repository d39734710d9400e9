/**
 * Bench part 1c, aspects follow against a throwaway mariadbd writing a row binlog:
 * - latency from a committed change to its row in ClickHouse at 1,000 changed rows a second
 *   (100 transactions of 10 rows each second, for FOLLOW_SECONDS), p50 / p99;
 * - CPU while idle (no change for 10 s), as a share of one core;
 * - peak RSS over the whole run (snapshot of BENCH_ROWS enrollments included).
 */
import { spawn } from 'node:child_process';
import type { Connection } from 'mysql2/promise';
import { BinlogMariaDb } from '../test/support/binlog-server.js';
import { BIN } from '../test/support/cli.js';
import { clickHouseSql } from '../test/support/clickhouse.js';
import { createTestLms } from '../test/support/env.js';
import { waitUntil } from '../test/support/servers.js';
import { envFor, generateEnrollments, type Sinks } from './bench-throughput.js';
import { processCpuSeconds, processPeakMb } from './run.js';

const CHANGE_SECONDS = Number(process.env.FOLLOW_SECONDS ?? 20);
const TICK_MS = 10;
const ROWS_PER_TICK = 10;

/** A percentile of some numbers. */
function percentile(values: readonly number[], share: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * share))] ?? Number.NaN;
}

/** Commits one transaction of ROWS_PER_TICK enrollment updates per tick, noting when each tick's commit returned. */
async function changeSteadily(db: Connection, rows: number, committed: Map<string, number>): Promise<void> {
  const ticks = Math.round((CHANGE_SECONDS * 1000) / TICK_MS);
  const started = performance.now();
  for (let tick = 0; tick < ticks; tick += 1) {
    const ids = Array.from({ length: ROWS_PER_TICK }, (_, index) => 1 + ((tick * ROWS_PER_TICK + index) % rows));
    await db.query('UPDATE student_courseenrollment SET mode = ? WHERE id IN (?)', [`lat-${tick}`, ids]);
    committed.set(`lat-${tick}`, Date.now());
    const wait = started + (tick + 1) * TICK_MS - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

/** Polls ClickHouse for the ticks' modes, noting when each was first seen. */
async function watchArrivals(url: string, database: string, committed: ReadonlyMap<string, number>, seen: Map<string, number>, until: () => boolean): Promise<void> {
  while (!until()) {
    const modes = await clickHouseSql(url, `SELECT DISTINCT mode FROM ${database}.course_enrollment WHERE mode LIKE 'lat-%' FORMAT TSV`);
    const now = Date.now();
    for (const mode of modes.split('\n').filter(Boolean)) if (!seen.has(mode) && committed.has(mode)) seen.set(mode, now);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The follow figures: the lines to print. */
export async function benchFollow(sinks: Sinks, rows: number): Promise<string[]> {
  const server = await BinlogMariaDb.start();
  const lms = await createTestLms({}, server.url);
  const sink = await sinks.fresh();
  await generateEnrollments(lms.db, rows, Math.max(1, Math.round(rows / 3)));
  const child = spawn(process.execPath, [BIN, 'follow', '--object', 'course_enrollment'], { env: { PATH: process.env.PATH ?? '', ...envFor(lms, sink) }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  try {
    await waitUntil(async () => /follow: reading the binlog/.test(stderr), 'follow reading the binlog', 600_000);
    const idleFrom = processCpuSeconds(child.pid as number);
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    const idleShare = (processCpuSeconds(child.pid as number) - idleFrom) / 10;
    const [committed, seen] = [new Map<string, number>(), new Map<string, number>()];
    let done = false;
    const watching = watchArrivals(sink.url, sink.database, committed, seen, () => done);
    await changeSteadily(lms.db, rows, committed);
    await waitUntil(async () => seen.size >= committed.size, `every change in ClickHouse (${seen.size} of ${committed.size} seen; follow: ${stderr.slice(-300)})`, 120_000)
      .finally(() => { done = true; });
    await watching;
    const latencies = [...committed].map(([mode, at]) => ((seen.get(mode) ?? Number.NaN) - at) / 1000);
    return [`follow (${rows} enrollments, ${ROWS_PER_TICK * (1000 / TICK_MS)} changed rows/s for ${CHANGE_SECONDS} s): latency commit → ClickHouse `
      + `p50 ${percentile(latencies, 0.5).toFixed(2)} s, p99 ${percentile(latencies, 0.99).toFixed(2)} s; idle CPU ${(idleShare * 100).toFixed(1)} % of a core; `
      + `peak RSS ${processPeakMb(child.pid as number).toFixed(0)} MB`];
  } finally {
    child.kill('SIGKILL');
    await lms.drop();
    await server.stop();
  }
}
