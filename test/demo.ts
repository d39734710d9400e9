/**
 * npm run demo: the main job on sample data, into an embedded ClickHouse.
 * Creates a sample LMS database (courses with outlines and tags, a few thousand learners with
 * profiles, external ids and enrollments, full of hostile text) in the MySQL it finds
 * (ASPECTS_MYSQL_URL's server, else 127.0.0.1:3306, else a throwaway mariadbd), then runs
 * `aspects schema init`, `aspects dump --object all` and `aspects status` into an embedded
 * ClickHouse in a new folder under .aspects-demo/, prints what landed, and drops the sample
 * database. It never touches an existing ClickHouse or a database it did not create.
 */
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BIN } from './support/cli.js';
import { fillCourses, fillOutlines, outlineSpec } from './support/course-fixture.js';
import { createTestLms, stopTestServers, type TestLms } from './support/env.js';
import { fillLms } from './support/lms-fixture.js';
import { fillTags } from './support/tag-fixture.js';

const USERS = 2000;
const COURSES = 36;

function aspects(args: string[], env: Record<string, string>): Promise<number> {
  process.stdout.write(`\n$ aspects ${args.join(' ')}\n`);
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: 'inherit' });
    child.once('close', (code) => done(code ?? 1));
  });
}

/** The demo uses the server of ASPECTS_MYSQL_URL when set (a new database on it), like the tests otherwise. */
function useOperatorsMysql(): void {
  const url = process.env.ASPECTS_MYSQL_URL;
  if (url && !process.env.ASPECTS_TEST_MYSQL_URL) process.env.ASPECTS_TEST_MYSQL_URL = url.replace(/\/[^/]*$/, '');
}

async function sampleLms(): Promise<TestLms> {
  useOperatorsMysql();
  const lms = await createTestLms();
  process.stdout.write(`Sample LMS database ${lms.name}: ${COURSES} courses with outlines and tags, ${USERS} learners…\n`);
  await fillLms(lms.db, { users: USERS });
  const courses = await fillCourses(lms.db, COURSES);
  await fillOutlines(lms.db, courses.map((_, i) => i + 1).filter((i) => i % 7 !== 0).map(outlineSpec));
  await fillTags(lms.db, 'newest', courses);
  return lms;
}

async function main(): Promise<number> {
  const folder = resolve('.aspects-demo', `clickhouse-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  mkdirSync(folder, { recursive: true });
  let lms: TestLms | undefined;
  try {
    lms = await sampleLms();
    const env = { ASPECTS_MYSQL_URL: lms.url, ASPECTS_CLICKHOUSE_URL: `chdb:${folder}`, ASPECTS_ENABLE_PII: 'true' };
    const steps = [
      ['schema', 'init'],
      ['dump', '--object', 'all', '--sleep-time', '0'],
      ['status', '--fail-on-stale'],
      ['query', 'SELECT table, sum(rows) AS rows FROM system.parts WHERE database = \'event_sink\' AND active GROUP BY table ORDER BY table'],
      ['query', 'SELECT course_key, display_name, JSONExtractInt(xblock_data_json, \'section\') AS section, JSONExtractInt(xblock_data_json, \'subsection\') AS subsection FROM event_sink.course_blocks ORDER BY course_key, `order` LIMIT 6'],
    ];
    for (const step of steps) {
      const code = await aspects(step, env);
      if (code !== 0) return code;
    }
    process.stdout.write(`\nThe embedded ClickHouse stays in ${join('.aspects-demo', folder.split('/').pop() as string)}; look around with\n`
      + `  ./bin/aspects query "SHOW TABLES FROM event_sink" --clickhouse-url chdb:${folder}\n`);
    return 0;
  } finally {
    await lms?.drop();
    await stopTestServers();
  }
}

process.exitCode = await main().catch((error: unknown) => {
  process.stderr.write(`demo: ${error instanceof Error ? error.message : String(error)}\n`);
  return 1;
});
