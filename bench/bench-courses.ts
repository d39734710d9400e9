/**
 * Bench part 2: course_overviews (with course_blocks from learning_sequences) over 2,000 courses:
 * a first full dump, an incremental run with nothing changed and one with 1% of courses
 * republished, each with its time and number of ClickHouse requests.
 */
import { createTestEventSink } from '../test/support/clickhouse.js';
import { courseKey, fillCourses, fillOutlines, outlineSpec } from '../test/support/course-fixture.js';
import { createTestLms } from '../test/support/env.js';
import { startFaultProxy } from '../test/support/fault-proxy.js';
import { timedDump } from './run.js';

const COURSES = Number(process.env.BENCH_COURSES ?? 2000);

/** Runs the course benchmark and prints its figures. */
export async function benchCourses(): Promise<void> {
  process.stderr.write(`bench: generating ${COURSES} courses with outlines…\n`);
  const lms = await createTestLms();
  const sink = await createTestEventSink();
  let requests = 0;
  const proxy = await startFaultProxy(Number(new URL(sink.url).port), (chunk) => {
    requests += (chunk.toString('latin1').match(/^(GET|POST) \//gm) ?? []).length;
    return undefined;
  });
  try {
    await fillCourses(lms.db, COURSES);
    await fillOutlines(lms.db, Array.from({ length: COURSES }, (_, i) => i + 1).filter((i) => i % 7 !== 0).map(outlineSpec));
    const env = { ASPECTS_MYSQL_URL: lms.url, ASPECTS_CLICKHOUSE_URL: `http://127.0.0.1:${proxy.port}`, ASPECTS_CLICKHOUSE_DATABASE: sink.database };
    const measure = async (label: string) => {
      requests = 0;
      const run = await timedDump(['dump', '--object', 'course_overviews', '--sleep-time', '0'], env);
      return `${label}: ${run.seconds.toFixed(2)} s, ${requests} ClickHouse requests, ${await sink.count('course_overviews')} course rows in total`;
    };
    const lines = [`courses: ${COURSES} (with outlines), batch size 10000`, await measure('first dump')];
    lines.push(await measure('incremental, nothing changed'));
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const changed = Array.from({ length: Math.max(1, COURSES / 100) }, (_, i) => courseKey(i * 100 + 1));
    await lms.db.query('UPDATE course_overviews_courseoverview SET modified = UTC_TIMESTAMP(6) WHERE id IN (?)', [changed]);
    lines.push(await measure(`incremental, ${changed.length} courses (1%) republished`));
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await proxy.close();
    await sink.drop();
    await lms.drop();
  }
}
