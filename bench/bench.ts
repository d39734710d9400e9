/**
 * npm run bench: throughput, incremental cost, memory and growth of the user-object dumps against
 * ClickHouse's own pull, then the incremental course dump's cost over 2,000 courses. Uses the test servers:
 * ASPECTS_TEST_MYSQL_URL / 127.0.0.1:3306 / a throwaway mariadbd, and
 * ASPECTS_TEST_CLICKHOUSE_URL / a throwaway clickhouse-server.
 */
import { stopTestServers } from '../test/support/env.js';
import { benchCourses } from './bench-courses.js';
import { benchThroughput } from './bench-throughput.js';

try {
  if (process.env.BENCH_ONLY !== 'courses') await benchThroughput();
  if (process.env.BENCH_ONLY !== 'throughput') await benchCourses();
} finally {
  await stopTestServers();
}
