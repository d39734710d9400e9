/**
 * Bench part 1: the user objects against ClickHouse's own pull of the same rows (INSERT … SELECT
 * … FROM mysql(…), formatting done in a MySQL view), in the same run:
 * - full dumps of user_profile and course_enrollment, three interleaved pairs each (min / median / max);
 * - an incremental run with nothing changed, and one with 1% of the rows changed, against the full dump;
 * - peak RSS at the default settings;
 * - growth (bench-growth.ts).
 */
import type { Connection } from 'mysql2/promise';
import { clickHouseSql, createTestEventSink, type TestEventSink } from '../test/support/clickhouse.js';
import { createTestLms, type TestLms } from '../test/support/env.js';
import { insertUsers } from '../test/support/lms-fixture.js';
import { median, serverCpuSeconds, spread, timedDump } from './run.js';

export const ROWS = Number(process.env.BENCH_ROWS ?? 200_000);
const RUNS = 3;

/** A table the bench dumps: its object, the MySQL view giving the contract's columns, those columns. */
interface Benched {
  readonly object: 'user_profile' | 'course_enrollment';
  readonly view: string;
  readonly columns: string;
  /** Change 1% of the source rows, as the LMS does (recording the change where it records changes). */
  readonly changeOnePercent: readonly string[];
}

const drf = (column: string): string =>
  `IF(${column} IS NULL, '', CONCAT(REPLACE(DATE_FORMAT(${column}, '%Y-%m-%dT%H:%i:%s.%f'), '.000000', ''), 'Z'))`;

const PROFILE: Benched = {
  object: 'user_profile',
  view: `SELECT p.id, p.user_id, p.name, IFNULL(u.username, '') AS username, IFNULL(u.email, '') AS email, p.meta, p.courseware,
    p.language, p.location, IFNULL(CAST(p.year_of_birth AS CHAR), '') AS year_of_birth, IFNULL(p.gender, '') AS gender,
    IFNULL(p.level_of_education, '') AS level_of_education, IFNULL(p.mailing_address, '') AS mailing_address,
    IFNULL(p.city, '') AS city, IFNULL(p.country, '') AS country, IFNULL(p.state, '') AS state, IFNULL(p.goals, '') AS goals,
    IFNULL(p.bio, '') AS bio, ${drf('p.profile_image_uploaded_at')} AS profile_image_uploaded_at, IFNULL(p.phone_number, '') AS phone_number
    FROM auth_userprofile p LEFT JOIN auth_user u ON u.id = p.user_id`,
  columns: 'id, user_id, name, username, email, meta, courseware, language, location, year_of_birth, gender, level_of_education, '
    + 'mailing_address, city, country, state, goals, bio, profile_image_uploaded_at, phone_number',
  changeOnePercent: ["UPDATE auth_userprofile SET city = CONCAT(IFNULL(city, ''), ' (moved)') WHERE id % 100 = 0"],
};

/** What django-simple-history writes when the enrollments `where` selects are saved: one `~` row each, dated now. */
export function historyOf(where: string): string {
  return `INSERT INTO student_courseenrollment_history (id, created, is_active, mode, course_id, user_id, history_id, history_date, history_type)
    SELECT id, created, is_active, mode, course_id, user_id, REPLACE(UUID(), '-', ''), UTC_TIMESTAMP(6), '~' FROM student_courseenrollment WHERE ${where}`;
}

const ENROLLMENT: Benched = {
  object: 'course_enrollment',
  view: `SELECT ce.id, ce.course_id AS course_key, ${drf('ce.created')} AS created, IF(ce.is_active, 'True', 'False') AS is_active,
    ce.mode, IFNULL(u.username, '') AS username, ce.user_id FROM student_courseenrollment ce LEFT JOIN auth_user u ON u.id = ce.user_id`,
  columns: 'id, course_key, created, is_active, mode, username, user_id',
  changeOnePercent: ['UPDATE student_courseenrollment SET is_active = 1 - is_active WHERE id % 100 = 0', historyOf('id % 100 = 0')],
};

/** Digits 0–9 as a derived table, for generating rows in SQL. */
const DIGITS = '(SELECT 0 AS d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 '
  + 'UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9)';

/** `count` enrollments generated in MySQL (user ids cycling over `users`, 50 courses, 3 modes). */
export async function generateEnrollments(db: Connection, count: number, users: number): Promise<void> {
  const numbers = Array.from({ length: 7 }, (_, i) => `${DIGITS} d${i}`).join(' CROSS JOIN ');
  const n = Array.from({ length: 7 }, (_, i) => `d${i}.d * ${10 ** i}`).join(' + ');
  await db.query(`INSERT INTO student_courseenrollment (course_id, created, is_active, mode, user_id)
    SELECT CONCAT('course-v1:BenchX+C', (n DIV ${users}) % 50, '+2026'), TIMESTAMP('2024-01-01') + INTERVAL n SECOND,
      n % 5 > 0, ELT(1 + n % 3, 'audit', 'verified', 'honor'), 1 + n % ${users}
    FROM (SELECT ${n} AS n FROM ${numbers}) seq WHERE n < ${count}`);
}

/** ClickHouse's own pull of the view's rows into a fresh table; seconds and rows. */
async function serverSidePull(lms: TestLms, sink: TestEventSink, table: Benched): Promise<{ seconds: number; rows: number }> {
  const view = `bench_${table.object}`;
  await lms.db.query(`CREATE OR REPLACE VIEW ${view} AS ${table.view}`);
  const mysql = new URL(lms.url);
  const args = [`'${mysql.hostname}:${mysql.port || 3306}'`, `'${lms.name}'`, `'${view}'`,
    `'${decodeURIComponent(mysql.username)}'`, `'${decodeURIComponent(mysql.password)}'`].join(', ');
  const started = performance.now();
  await clickHouseSql(sink.url, `INSERT INTO ${sink.database}.${table.object} (${table.columns}, dump_id, time_last_dumped) `
    + `SELECT ${table.columns}, generateUUIDv4(), toString(now()) FROM mysql(${args})`);
  return { seconds: (performance.now() - started) / 1000, rows: await sink.count(table.object) };
}

/** The servers' command names in /proc (clickhouse-server's is cut to 15 characters). */
const SERVERS = ['clickhouse-serv', 'mariadbd'] as const;

/** CPU seconds the servers used while `work` ran (ClickHouse, MariaDB), with its result. */
export async function withServerCpu<T>(work: () => Promise<T>): Promise<{ result: T; cpu: number[] }> {
  const before = serverCpuSeconds(SERVERS);
  const result = await work();
  const after = serverCpuSeconds(SERVERS);
  return { result, cpu: SERVERS.map((name) => (after.get(name) ?? 0) - (before.get(name) ?? 0)) };
}

/** Median of each column of some rows of numbers, one decimal. */
const medians = (rows: readonly number[][]): string[] => (rows[0] ?? []).map((_, column) => median(rows.map((row) => row[column] as number)).toFixed(1));

/** The bench's sinks, dropped at the end. */
export class Sinks {
  private readonly all: TestEventSink[] = [];
  async fresh(): Promise<TestEventSink> {
    const sink = await createTestEventSink();
    this.all.push(sink);
    return sink;
  }
  dropAll(): Promise<unknown> {
    return Promise.all(this.all.map((sink) => sink.drop()));
  }
}

export const envFor = (lms: TestLms, sink: TestEventSink): Record<string, string> => ({
  ASPECTS_MYSQL_URL: lms.url, ASPECTS_CLICKHOUSE_URL: sink.url, ASPECTS_CLICKHOUSE_DATABASE: sink.database, ASPECTS_ENABLE_PII: 'true',
});

export const dumpArgs = (object: string, ...extra: string[]) => ['dump', '--object', object, '--sleep-time', '0', ...extra];

/** Three interleaved pairs of full dump and pull; the lines to print, and the full dumps' median seconds and peak RSS. */
async function fullDumps(lms: TestLms, table: Benched, sinks: Sinks): Promise<{ lines: string[]; seconds: number; peakMb: number }> {
  const [tool, pull, seconds]: [number[], number[], number[]] = [[], [], []];
  const [dumpCpu, pullCpu]: [number[][], number[][]] = [[], []];
  let peakMb = 0;
  for (let run = 0; run < RUNS; run += 1) {
    const sink = await sinks.fresh();
    const dump = await withServerCpu(() => timedDump(dumpArgs(table.object, '--force'), envFor(lms, sink)));
    const rows = await sink.count(table.object);
    const pulled = await withServerCpu(async () => serverSidePull(lms, await sinks.fresh(), table));
    tool.push(rows / dump.result.seconds);
    pull.push(pulled.result.rows / pulled.result.seconds);
    seconds.push(dump.result.seconds);
    dumpCpu.push([dump.result.cpuSeconds, ...dump.cpu]);
    pullCpu.push(pulled.cpu);
    peakMb = Math.max(peakMb, dump.result.peakMb);
  }
  const ratios = tool.map((rate, index) => rate / (pull[index] as number));
  const [node, clickhouse, mariadb] = medians(dumpCpu);
  const [pullClickhouse, pullMariadb] = medians(pullCpu);
  return {
    lines: [`${table.object} full dump, rows/s (min / median / max of ${RUNS}): aspects ${spread(tool, 0)}; server-side pull ${spread(pull, 0)}`,
      `${table.object} throughput ratio aspects / pull: ${spread(ratios)}`,
      `${table.object} CPU seconds (median): aspects run: Node ${node}, ClickHouse ${clickhouse}, MariaDB ${mariadb}; pull: ClickHouse ${pullClickhouse}, MariaDB ${pullMariadb}`],
    seconds: median(seconds), peakMb,
  };
}

/** Incremental runs after a full dump: nothing changed, then 1% changed; times as fractions of the full dump. */
async function incrementalRuns(lms: TestLms, table: Benched, sinks: Sinks, fullSeconds: number): Promise<string[]> {
  const sink = await sinks.fresh();
  const env = envFor(lms, sink);
  await timedDump(dumpArgs(table.object), env);
  const unchanged = await timedDump(dumpArgs(table.object), env);
  for (const statement of table.changeOnePercent) await lms.db.query(statement);
  const changed = await timedDump(dumpArgs(table.object), env);
  return [`${table.object} incremental, nothing changed: ${unchanged.seconds.toFixed(2)} s = ${(unchanged.seconds / fullSeconds).toFixed(2)} × the full dump; `
    + `1% changed: ${changed.seconds.toFixed(2)} s = ${(changed.seconds / fullSeconds).toFixed(2)} ×`];
}

/** Runs the throughput benchmark and prints its figures. */
export async function benchThroughput(): Promise<void> {
  process.stderr.write(`bench: generating ${ROWS} users with profiles and ${ROWS * 3} enrollments…\n`);
  const lms = await createTestLms();
  const sinks = new Sinks();
  try {
    await insertUsers(lms.db, 1, ROWS, { users: ROWS, bigTextEvery: 0 });
    await generateEnrollments(lms.db, ROWS * 3, ROWS);
    const lines = [`rows: ${ROWS} user profiles, ${ROWS * 3} enrollments; default settings (batch 10000)`];
    const rss: string[] = [];
    for (const table of [PROFILE, ENROLLMENT]) {
      const full = await fullDumps(lms, table, sinks);
      lines.push(...full.lines, ...await incrementalRuns(lms, table, sinks, full.seconds));
      rss.push(`${table.object} ${full.peakMb.toFixed(0)} MB`);
    }
    lines.push(`peak RSS at the default settings: ${rss.join(', ')}`);
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await sinks.dropAll();
    await lms.drop();
  }
}
