/**
 * npm run bench: throughput, incremental cost and memory of the user-object dumps against
 * ClickHouse's own pull; growth (change signals, MariaDB CPU at BENCH_ROWS and ten times as many);
 * aspects follow's latency, idle CPU and memory; the incremental course dump's cost over 2,000 courses.
 * Uses the test servers:
 * ASPECTS_TEST_MYSQL_URL / 127.0.0.1:3306 / a throwaway mariadbd, and
 * ASPECTS_TEST_CLICKHOUSE_URL / a throwaway clickhouse-server.
 */
import { stopTestServers } from '../test/support/env.js';
import { benchCourses } from './bench-courses.js';
import { benchFollow } from './bench-follow.js';
import { growth } from './bench-growth.js';
import { ROWS, Sinks, benchThroughput } from './bench-throughput.js';

/** A part that prints lines of its own, with sinks dropped after it. */
async function part(lines: (sinks: Sinks) => Promise<string[]>): Promise<void> {
  const sinks = new Sinks();
  try {
    process.stdout.write(`${(await lines(sinks)).join('\n')}\n`);
  } finally {
    await sinks.dropAll();
  }
}

// BENCH_ONLY=throughput|growth|follow|courses runs one part.
const only = process.env.BENCH_ONLY;
try {
  if (!only || only === 'throughput') await benchThroughput();
  if (!only || only === 'growth') await part((sinks) => growth(sinks, ROWS));
  if (!only || only === 'follow') await part((sinks) => benchFollow(sinks, ROWS));
  if (!only || only === 'courses') await benchCourses();
} finally {
  await stopTestServers();
}
