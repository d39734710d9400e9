import { literal, qualifiedTable } from '../clickhouse/sql.js';
import type { ClickHouseTarget } from '../clickhouse/target.js';
import type { LoadTestTables } from '../config/settings.js';
import { encodeRow, quoted } from '../format/cell.js';
import { pythonJson, type PythonJsonValue } from '../format/python-json.js';
import { pause } from '../pipeline/pacing.js';
import type { BackendProbe } from './backends.js';

/** Where and how often the monitor samples. */
export interface MonitorOptions {
  readonly database: string;
  readonly tables: LoadTestTables;
  /** Seconds between samples. */
  readonly sleepSeconds: number;
  readonly signal: AbortSignal;
  readonly log: (line: string) => void;
}

/**
 * The newest run started in the last minute that no monitor has sampled yet (the plugin meant
 * "started in the last minute" but its filter was always true). A short run that already ended is
 * still found, so the monitor never waits forever for one it missed.
 */
async function findRun(target: ClickHouseTarget, options: MonitorOptions): Promise<string | undefined> {
  const runs = qualifiedTable(options.database, options.tables.runsTable);
  const stats = qualifiedTable(options.database, options.tables.statsTable);
  const rows = await target.query(`SELECT run_id FROM ${runs} WHERE event_type = 'start' AND timestamp >= now() - 60 `
    + `AND run_id NOT IN (SELECT run_id FROM ${stats}) ORDER BY timestamp DESC LIMIT 1`);
  return rows[0] === undefined ? undefined : String(rows[0].run_id);
}

async function runEnded(target: ClickHouseTarget, options: MonitorOptions, runId: string): Promise<boolean> {
  const rows = await target.query(`SELECT count() AS n FROM ${qualifiedTable(options.database, options.tables.runsTable)} `
    + `WHERE run_id = ${literal(runId)} AND event_type = 'end'`);
  return Number(rows[0]?.n ?? 0) > 0;
}

/** Total xAPI rows, the newest emission_time and how far behind now it is. */
async function clickHouseStats(target: ClickHouseTarget, tables: LoadTestTables): Promise<{ [key: string]: PythonJsonValue }> {
  const [row] = await target.query(`SELECT count() AS total, toString(max(emission_time)) AS newest, `
    + `toUnixTimestamp(now()) - toUnixTimestamp(max(emission_time)) AS lag FROM ${qualifiedTable(tables.xapiDatabase, tables.xapiTable)} FINAL`);
  const total = Number(row?.total ?? 0);
  return { total_rows: total, most_recent_event: total > 0 ? String(row?.newest) : null, lag_seconds: total > 0 ? Number(row?.lag) : 0 };
}

/** One sample: ClickHouse and backend stats, stored in the stats table and logged. Returns the backend lag. */
async function sample(target: ClickHouseTarget, backend: BackendProbe, options: MonitorOptions, runId: string): Promise<number> {
  const stats: { [key: string]: PythonJsonValue } = { clickhouse: await clickHouseStats(target, options.tables) };
  const backendSample = await backend.sample();
  if (backend.name) stats[backend.name] = backendSample.data;
  const csv = encodeRow([quoted(runId), quoted(pythonJson(stats))]);
  await target.insertCsv({ database: options.database, table: options.tables.statsTable }, ['run_id', 'stats'], [Buffer.from(csv)]);
  options.log(`run ${runId}: ${pythonJson(stats)}`);
  return backendSample.lag;
}

/**
 * Waits for a run, then samples every `sleepSeconds` until the run has ended and the backend's lag
 * is drained, or the signal aborts. Returns the run id (undefined when stopped before one started).
 */
export async function monitorRun(target: ClickHouseTarget, backend: BackendProbe, options: MonitorOptions): Promise<string | undefined> {
  let runId: string | undefined;
  while (!options.signal.aborted && (runId = await findRun(target, options)) === undefined) await pause(1000, options.signal);
  if (runId === undefined) return undefined;
  options.log(`monitoring run ${runId}`);
  while (!options.signal.aborted) {
    const started = performance.now();
    const ended = await runEnded(target, options, runId);
    const lag = await sample(target, backend, options, runId);
    if (ended && lag === 0) break;
    const elapsed = performance.now() - started;
    if (elapsed > options.sleepSeconds * 1000) options.log(`sampling took ${(elapsed / 1000).toFixed(1)}s, longer than --sleep-time`);
    await pause(options.sleepSeconds * 1000 - elapsed, options.signal);
  }
  return runId;
}
