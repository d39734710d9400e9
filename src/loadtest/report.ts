import { literal, qualifiedTable } from '../clickhouse/sql.js';
import type { ClickHouseTarget } from '../clickhouse/target.js';
import type { LoadTestTables } from '../config/settings.js';

/** The figures of one load-test run. */
export interface RunReport {
  run_id: string;
  course_id: string | null;
  started: string;
  ended: string | null;
  /** From the start row to the end row, seconds (whole seconds: the tables' DateTime). */
  duration_seconds: number | null;
  events_sent: number | null;
  /** xAPI rows about the run's course in ClickHouse. */
  rows_in_clickhouse: number;
  samples: number;
  /** Rows per second between consecutive samples: the highest, and over the whole sampled span. */
  peak_rows_per_second: number | null;
  mean_rows_per_second: number | null;
  lag_p50_seconds: number | null;
  lag_p95_seconds: number | null;
  lag_max_seconds: number | null;
  /** The samples, for charts: seconds since the first sample, rows/s since the previous, lag. */
  series: { at: number; rows_per_second: number | null; lag_seconds: number }[];
}

interface Sample { readonly time: number; readonly totalRows: number; readonly lag: number }

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], fraction: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.max(0, Math.ceil(fraction * sorted.length) - 1)] as number;
}

const seconds = (text: string): number => Date.parse(`${text.replace(' ', 'T')}Z`) / 1000;

/** Rates and lag figures from a run's samples, in time order. */
export function sampleFigures(samples: readonly Sample[]) {
  const series = samples.map((each, index) => {
    const previous = samples[index - 1];
    const span = previous ? each.time - previous.time : 0;
    return { at: each.time - (samples[0]?.time ?? 0), rows_per_second: previous && span > 0 ? (each.totalRows - previous.totalRows) / span : null, lag_seconds: each.lag };
  });
  const rates = series.map((each) => each.rows_per_second).filter((rate): rate is number => rate !== null);
  const [first, last] = [samples[0], samples[samples.length - 1]];
  const lags = samples.map((each) => each.lag).sort((a, b) => a - b);
  return {
    series,
    peak_rows_per_second: rates.length ? Math.max(...rates) : null,
    mean_rows_per_second: first && last && last.time > first.time ? (last.totalRows - first.totalRows) / (last.time - first.time) : null,
    lag_p50_seconds: percentile(lags, 0.5), lag_p95_seconds: percentile(lags, 0.95), lag_max_seconds: lags.length ? (lags[lags.length - 1] as number) : null,
  };
}

async function runReport(target: ClickHouseTarget, database: string, tables: LoadTestTables, runId: string): Promise<RunReport> {
  const events = await target.query(`SELECT event_type, toString(timestamp) AS at, extra FROM ${qualifiedTable(database, tables.runsTable)} `
    + `WHERE run_id = ${literal(runId)} ORDER BY timestamp`);
  const start = events.find((row) => row.event_type === 'start');
  const end = events.find((row) => row.event_type === 'end');
  const startExtra = JSON.parse(String(start?.extra ?? '{}')) as { course_id?: string };
  const endExtra = end ? (JSON.parse(String(end.extra)) as { sent_event_count?: number }) : undefined;
  const courseId = startExtra.course_id ?? null;
  const [counted] = courseId ? await target.query(`SELECT count() AS n FROM ${qualifiedTable(tables.xapiDatabase, tables.xapiTable)} FINAL `
    + `WHERE position(event, ${literal(`/course/${courseId}"`)}) > 0`) : [];
  const stats = await target.query(`SELECT toString(timestamp) AS at, stats FROM ${qualifiedTable(database, tables.statsTable)} `
    + `WHERE run_id = ${literal(runId)} ORDER BY timestamp`);
  const samples = stats.map((row) => {
    const clickhouse = (JSON.parse(String(row.stats)) as { clickhouse?: { total_rows?: number; lag_seconds?: number } }).clickhouse ?? {};
    return { time: seconds(String(row.at)), totalRows: Number(clickhouse.total_rows ?? 0), lag: Number(clickhouse.lag_seconds ?? 0) };
  });
  return {
    run_id: runId, course_id: courseId, started: String(start?.at ?? ''), ended: end ? String(end.at) : null,
    duration_seconds: start && end ? seconds(String(end.at)) - seconds(String(start.at)) : null,
    events_sent: endExtra?.sent_event_count ?? null, rows_in_clickhouse: Number(counted?.n ?? 0), samples: samples.length,
    ...sampleFigures(samples),
  };
}

/** Reports on one run, or on every run in the runs table (newest first). */
export async function loadTestReport(target: ClickHouseTarget, database: string, tables: LoadTestTables, runId?: string): Promise<RunReport[]> {
  const ids = runId ? [runId] : (await target.query(`SELECT run_id, min(timestamp) AS first FROM ${qualifiedTable(database, tables.runsTable)} `
    + 'GROUP BY run_id ORDER BY first DESC')).map((row) => String(row.run_id));
  const reports: RunReport[] = [];
  for (const id of ids) reports.push(await runReport(target, database, tables, id));
  return reports;
}
