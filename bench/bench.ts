/**
 * npm run bench: throughput and memory of the user-object dump against ClickHouse's own pull,
 * then the incremental course dump's cost over 2,000 courses. Uses the test servers:
 * ASPECTS_TEST_MYSQL_URL / 127.0.0.1:3306 / a throwaway mariadbd, and
 * ASPECTS_TEST_CLICKHOUSE_URL / a throwaway clickhouse-server.
 */
import { stopTestServers } from '../test/support/env.js';
import { benchCourses } from './bench-courses.js';
import { benchUserProfile } from './bench-user-profile.js';

try {
  if (process.env.BENCH_ONLY !== 'courses') await benchUserProfile();
  if (process.env.BENCH_ONLY !== 'profiles') await benchCourses();
} finally {
  await stopTestServers();
}
