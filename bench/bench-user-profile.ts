/**
 * Bench part 1: `aspects dump --object user_profile --force --sleep-time 0` against ClickHouse's
 * own server-side pull of the same rows (INSERT … SELECT … FROM mysql(…)), on the same data in
 * the same run, plus the tool's peak RSS at 50,000 and 200,000 rows.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { clickHouseSql, createTestEventSink, type TestEventSink } from '../test/support/clickhouse.js';
import { BIN } from '../test/support/cli.js';
import { createTestLms, type TestLms } from '../test/support/env.js';
import { insertUsers } from '../test/support/lms-fixture.js';

const TOTAL_ROWS = Number(process.env.BENCH_ROWS ?? 200_000);
const SMALL_ROWS = Math.round(TOTAL_ROWS / 4);

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

/** The contract's user_profile row computed by MySQL, for ClickHouse's mysql() table function. */
const PULL_VIEW = `CREATE VIEW bench_user_profile AS SELECT p.id, p.user_id, p.name, IFNULL(u.username, '') AS username,
  IFNULL(u.email, '') AS email, p.meta, p.courseware, p.language, p.location,
  IFNULL(CAST(p.year_of_birth AS CHAR), '') AS year_of_birth, IFNULL(p.gender, '') AS gender,
  IFNULL(p.level_of_education, '') AS level_of_education, IFNULL(p.mailing_address, '') AS mailing_address,
  IFNULL(p.city, '') AS city, IFNULL(p.country, '') AS country, IFNULL(p.state, '') AS state,
  IFNULL(p.goals, '') AS goals, IFNULL(p.bio, '') AS bio,
  IF(p.profile_image_uploaded_at IS NULL, '', CONCAT(REPLACE(DATE_FORMAT(p.profile_image_uploaded_at, '%Y-%m-%dT%H:%i:%s.%f'), '.000000', ''), 'Z')) AS profile_image_uploaded_at,
  IFNULL(p.phone_number, '') AS phone_number
  FROM auth_userprofile p LEFT JOIN auth_user u ON u.id = p.user_id`;

const PULL_COLUMNS = 'id, user_id, name, username, email, meta, courseware, language, location, year_of_birth, gender, level_of_education, mailing_address, city, country, state, goals, bio, profile_image_uploaded_at, phone_number';

async function serverSidePull(lms: TestLms, sink: TestEventSink): Promise<number> {
  await lms.db.query(PULL_VIEW);
  const mysql = new URL(lms.url);
  const args = [`'${mysql.hostname}:${mysql.port || 3306}'`, `'${lms.name}'`, "'bench_user_profile'",
    `'${decodeURIComponent(mysql.username)}'`, `'${decodeURIComponent(mysql.password)}'`].join(', ');
  const started = performance.now();
  await clickHouseSql(sink.url, `INSERT INTO ${sink.database}.user_profile (${PULL_COLUMNS}, dump_id, time_last_dumped) `
    + `SELECT ${PULL_COLUMNS}, generateUUIDv4(), toString(now()) FROM mysql(${args})`);
  return (performance.now() - started) / 1000;
}

/** Runs the user_profile benchmark and prints its figures. */
export async function benchUserProfile(): Promise<void> {
  process.stderr.write(`bench: generating ${TOTAL_ROWS} users with profiles…\n`);
  const lms = await createTestLms();
  const sinks: TestEventSink[] = [];
  try {
    await insertUsers(lms.db, 1, TOTAL_ROWS, { users: TOTAL_ROWS, bigTextEvery: 0 });
    const dumpInto = async (limit: number, batchSize = 10_000) => {
      const sink = await createTestEventSink();
      sinks.push(sink);
      const env = { ASPECTS_MYSQL_URL: lms.url, ASPECTS_CLICKHOUSE_URL: sink.url, ASPECTS_CLICKHOUSE_DATABASE: sink.database, ASPECTS_ENABLE_PII: 'true' };
      const run = await timedDump(['dump', '--object', 'user_profile', '--force', '--sleep-time', '0', '--limit', String(limit), '--batch-size', String(batchSize)], env);
      const written = await sink.count('user_profile');
      if (written !== limit) throw new Error(`expected ${limit} rows, ClickHouse holds ${written}`);
      return run;
    };
    const small = await dumpInto(SMALL_ROWS);
    const full = await dumpInto(TOTAL_ROWS);
    const bigBatches = await dumpInto(TOTAL_ROWS, 50_000);
    const pullSink = await createTestEventSink();
    sinks.push(pullSink);
    const pullSeconds = await serverSidePull(lms, pullSink);
    const pulled = await pullSink.count('user_profile');
    const toolRate = TOTAL_ROWS / full.seconds;
    const pullRate = pulled / pullSeconds;
    const lines = [
      `rows: ${TOTAL_ROWS} user profiles (with users), batch size 10000`,
      `aspects dump:            ${full.seconds.toFixed(2)} s, ${Math.round(toolRate)} rows/s (process start included)`,
      `ClickHouse mysql() pull: ${pullSeconds.toFixed(2)} s, ${Math.round(pullRate)} rows/s (${pulled} rows)`,
      `throughput ratio aspects / server-side pull: ${(toolRate / pullRate).toFixed(2)}`,
      `with --batch-size 50000: ${Math.round(TOTAL_ROWS / bigBatches.seconds)} rows/s, ratio ${(TOTAL_ROWS / bigBatches.seconds / pullRate).toFixed(2)}, peak RSS ${bigBatches.peakMb.toFixed(1)} MB`,
      `peak RSS of aspects: ${small.peakMb.toFixed(1)} MB at ${SMALL_ROWS} rows, ${full.peakMb.toFixed(1)} MB at ${TOTAL_ROWS} rows`,
      `peak RSS ratio ${TOTAL_ROWS} / ${SMALL_ROWS} rows: ${(full.peakMb / small.peakMb).toFixed(2)}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await Promise.all(sinks.map((sink) => sink.drop()));
    await lms.drop();
  }
}
