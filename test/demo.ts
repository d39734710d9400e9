/**
 * npm run demo: the main job on sample data. Creates a sample LMS database (courses with outlines
 * and tags, users, profiles, external ids, enrollments, hostile text) in the MySQL it finds, starts a throwaway
 * ClickHouse server with the event_sink tables, runs `aspects dump --object all` twice (the
 * second run shows the incremental skip), prints what landed, then removes everything it made.
 * It never touches a database it did not create.
 */
import { spawn } from 'node:child_process';
import { createTestEventSink, type TestEventSink } from './support/clickhouse.js';
import { BIN } from './support/cli.js';
import { createTestLms, stopTestServers, type TestLms } from './support/env.js';
import { fillCourses, fillOutlines, outlineSpec } from './support/course-fixture.js';
import { fillLms } from './support/lms-fixture.js';
import { fillTags } from './support/tag-fixture.js';

const USERS = 500;
const COURSES = 30;

function aspects(args: string[], env: Record<string, string>): Promise<number> {
  process.stdout.write(`\n$ aspects ${args.join(' ')}\n`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: 'inherit' });
    child.once('close', (code) => resolve(code ?? 1));
  });
}

async function showWhatLanded(sink: TestEventSink): Promise<void> {
  process.stdout.write('\nWhat landed in ClickHouse:\n');
  for (const table of ['course_overviews', 'course_blocks', 'user_profile', 'external_id', 'course_enrollment', 'taxonomy', 'tag', 'object_tag']) {
    process.stdout.write(`  ${sink.database}.${table}: ${await sink.count(table)} rows\n`);
  }
  const sample = await sink.rows(`SELECT id, course_key, created, is_active, mode, username, time_last_dumped FROM ${sink.database}.course_enrollment ORDER BY id LIMIT 3`);
  process.stdout.write(`\nFirst enrollments:\n${sample.map((row) => `  ${JSON.stringify(row)}`).join('\n')}\n`);
}

async function main(): Promise<number> {
  process.stdout.write(`Creating a sample LMS database with ${COURSES} courses and ${USERS} learners…\n`);
  let lms: TestLms | undefined;
  let sink: TestEventSink | undefined;
  try {
    lms = await createTestLms();
    await fillLms(lms.db, { users: USERS });
    const courses = await fillCourses(lms.db, COURSES);
    await fillOutlines(lms.db, courses.map((_, i) => i + 1).filter((i) => i % 7 !== 0).map(outlineSpec));
    await fillTags(lms.db, 'newest', courses);
    sink = await createTestEventSink();
    const env = { ASPECTS_MYSQL_URL: lms.url, ASPECTS_CLICKHOUSE_URL: sink.url, ASPECTS_CLICKHOUSE_DATABASE: sink.database, ASPECTS_ENABLE_PII: 'true' };
    const first = await aspects(['dump', '--object', 'all', '--batch-size', '200', '--sleep-time', '0'], env);
    const second = await aspects(['dump', '--object', 'all', '--batch-size', '200', '--sleep-time', '0'], env);
    await showWhatLanded(sink);
    return first || second;
  } finally {
    await sink?.drop();
    await lms?.drop();
    await stopTestServers();
  }
}

process.exitCode = await main().catch((error: unknown) => {
  process.stderr.write(`demo: ${error instanceof Error ? error.message : String(error)}\n`);
  return 1;
});
