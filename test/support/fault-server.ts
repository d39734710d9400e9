import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clickHouseSql } from './clickhouse.js';
import {
  CLICKHOUSE_READONLY_USER, prepareClickHouse, prepareMariaDb, spawnClickHouse, spawnMariaDb, waitForClickHouse, type ClickHouseLayout,
} from './servers.js';

/** What startControlledClickHouse may change. */
export interface ControlledClickHouseOptions {
  /** Folder for the server's <path>, e.g. `mountTmpfs(...).path`; it is left in place by `stop`. */
  readonly dataPath?: string;
  /** How long a start or restart may take until /ping answers (default 60). */
  readonly startTimeoutSeconds?: number;
  /** Adds user `aspects_ro` (no password) whose profile has readonly=1; see `readonlyUrl`. */
  readonly readonlyUser?: boolean;
}

/** A clickhouse-server (18.16) a fault test can kill, restart, freeze and thaw. */
export interface ControlledClickHouse {
  /** http://127.0.0.1:<httpPort>, user default. */
  readonly url: string;
  /** http://aspects_ro@127.0.0.1:<httpPort> when started with readonlyUser, else undefined. */
  readonly readonlyUrl: string | undefined;
  readonly httpPort: number;
  readonly tcpPort: number;
  /** The server's <path>, with a trailing slash. */
  readonly dataPath: string;
  /** Process id of the current server process (a new one after restart). */
  readonly pid: number | undefined;
  /** Runs one statement over HTTP as user default; returns the body, throws `ClickHouse: <first line>`. */
  sql(text: string): Promise<string>;
  /** SIGKILL; resolves when the process has exited. */
  kill9(): Promise<void>;
  /** Starts the server again with the same config, ports and <path>; resolves when /ping answers. */
  restart(): Promise<void>;
  /** SIGSTOP: connections stay open, nothing is answered. */
  pause(): void;
  /** SIGCONT after pause. */
  resume(): void;
  /** Terminates the server and removes its temp folder (not an outside dataPath). */
  stop(): Promise<void>;
  /** The error log lines written since the server was first started (for assertion messages). */
  errorLog(): string;
}

function running(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** Resolves when the process has exited (at once if it already has). */
function exited(child: ChildProcess): Promise<void> {
  if (!running(child)) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** SIGCONT (in case it is stopped), SIGTERM, and SIGKILL after 10 s; resolves when it has exited. */
async function terminate(child: ChildProcess): Promise<void> {
  if (!running(child)) return;
  child.kill('SIGCONT');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited(child);
  clearTimeout(timer);
}

function errorLogFile(layout: ClickHouseLayout): string {
  return join(layout.folder, 'error.log');
}

function logSize(file: string): number {
  return existsSync(file) ? statSync(file).size : 0;
}

/** The text appended to `file` after byte `offset`. */
function logSince(file: string, offset: number): string {
  return existsSync(file) ? readFileSync(file).subarray(offset).toString('utf8') : '';
}

/**
 * Spawns the server until it listens: a start that fails with "Address already in use" (a port
 * a killed server held, or a lingering socket) is tried again until the deadline.
 */
async function startUntilListening(layout: ClickHouseLayout, url: string, timeoutMs: number): Promise<ChildProcess> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const offset = logSize(errorLogFile(layout));
    const child = spawnClickHouse(layout);
    try {
      await waitForClickHouse(child, url, Math.max(1000, deadline - Date.now()));
      return child;
    } catch (error) {
      await terminate(child);
      const log = logSince(errorLogFile(layout), offset);
      if (!log.includes('Address already in use') || Date.now() >= deadline) {
        throw new Error(`${(error as Error).message}\n${log.split('\n').slice(-5).join('\n')}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** Starts a clickhouse-server on free loopback ports that the test controls; see ControlledClickHouse. */
export async function startControlledClickHouse(options: ControlledClickHouseOptions = {}): Promise<ControlledClickHouse> {
  const layout = await prepareClickHouse({ dataPath: options.dataPath, readonlyUser: options.readonlyUser });
  const url = `http://127.0.0.1:${layout.httpPort}`;
  const timeoutMs = (options.startTimeoutSeconds ?? 60) * 1000;
  let child: ChildProcess;
  try {
    child = await startUntilListening(layout, url, timeoutMs);
  } catch (error) {
    rmSync(layout.folder, { recursive: true, force: true });
    throw error;
  }
  return {
    url,
    readonlyUrl: options.readonlyUser ? `http://${CLICKHOUSE_READONLY_USER}@127.0.0.1:${layout.httpPort}` : undefined,
    httpPort: layout.httpPort,
    tcpPort: layout.tcpPort,
    dataPath: layout.dataPath,
    get pid() { return running(child) ? child.pid : undefined; },
    sql: (text) => clickHouseSql(url, text),
    kill9: async () => { child.kill('SIGKILL'); await exited(child); },
    restart: async () => { await terminate(child); child = await startUntilListening(layout, url, timeoutMs); },
    pause: () => { child.kill('SIGSTOP'); },
    resume: () => { child.kill('SIGCONT'); },
    stop: async () => { await terminate(child); rmSync(layout.folder, { recursive: true, force: true }); },
    errorLog: () => logSince(errorLogFile(layout), 0),
  };
}

/** A tmpfs mounted on a temp folder; `unmount` unmounts it and removes the folder. */
export interface MountedTmpfs {
  readonly path: string;
  unmount(): void;
}

/**
 * Mounts a tmpfs of `sizeMb` MiB (fractions allowed) on a new temp folder, to run out of disk for
 * real; root only. Measured with clickhouse-server 18.16 and its <path> there: it starts on 16 KiB
 * (an empty <path> takes 12 KiB); each MergeTree table's metadata takes ~8 KiB (three fit in 64 KiB,
 * not in 32 KiB); each inserted part takes ~40 KiB (4 KiB a file, two columns). When it is full an
 * INSERT fails with "Code: 75, ... DB::ErrnoException: Cannot write to file .../tmp_insert_.../<file>,
 * errno: 28, strerror: No space left on device"; the parts of a multi-partition INSERT written
 * before that stay, and a part committed as the disk filled may have an empty checksums.txt, so the
 * next start drops it as broken. Stop the server before `unmount`.
 */
export function mountTmpfs(sizeMb: number): MountedTmpfs {
  if (process.getuid?.() !== 0) throw new Error('mountTmpfs needs root (mount -t tmpfs); run the fault tests as root');
  const path = mkdtempSync(join(tmpdir(), 'aspects-tmpfs-'));
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${Math.round(sizeMb * 1024)}k`, 'tmpfs', path], { encoding: 'utf8' });
  if (mounted.status !== 0) {
    rmSync(path, { recursive: true, force: true });
    throw new Error(`mount -t tmpfs -o size=${Math.round(sizeMb * 1024)}k on ${path} failed: ${(mounted.stderr || mounted.error?.message || '').trim()}`);
  }
  return {
    path,
    unmount() {
      const result = spawnSync('umount', [path], { encoding: 'utf8' });
      if (result.status !== 0) throw new Error(`umount ${path} failed: ${(result.stderr || result.error?.message || '').trim()}`);
      rmSync(path, { recursive: true, force: true });
    },
  };
}

/** A throwaway mariadbd a fault test can kill and start again on the same port and data. */
export interface ControlledMariaDb {
  /** mysql://root@127.0.0.1:<port>, no database. */
  readonly url: string;
  /** SIGKILL; resolves when the process has exited. */
  kill9(): Promise<void>;
  /** Starts it again (InnoDB recovers its data); resolves when it accepts connections. */
  restart(): Promise<void>;
  /** SIGSTOP: connections stay open (the kernel even accepts new ones), nothing is answered. */
  pause(): void;
  /** SIGCONT after pause. */
  resume(): void;
  /** Terminates it and removes its folder. */
  stop(): Promise<void>;
}

/** Starts a mariadbd of the test's own (see ControlledMariaDb). */
export async function startControlledMariaDb(): Promise<ControlledMariaDb> {
  const layout = await prepareMariaDb();
  let child = await spawnMariaDb(layout);
  return {
    url: `mysql://root@127.0.0.1:${layout.port}`,
    kill9: async () => { child.kill('SIGKILL'); await exited(child); },
    restart: async () => { await terminate(child); child = await spawnMariaDb(layout); },
    pause: () => { child.kill('SIGSTOP'); },
    resume: () => { child.kill('SIGCONT'); },
    stop: async () => { await terminate(child); rmSync(layout.folder, { recursive: true, force: true }); },
  };
}
