import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A server this harness started; `stop` kills it and removes its folder. */
export interface StartedServer {
  readonly url: string;
  stop(): Promise<void>;
}

/** A free loopback TCP port. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Whether something accepts TCP connections on host:port. */
export function reachable(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean): void => { socket.destroy(); resolve(ok); };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(port, host, () => done(true));
  });
}

/** Resolves once `check` answers true (asked every 200 ms); rejects after `timeoutMs` or when `check` throws. */
export async function waitUntil(check: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${what} did not start within ${timeoutMs / 1000}s`);
}

function stopper(child: ChildProcess, folder: string): () => Promise<void> {
  return async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    rmSync(folder, { recursive: true, force: true });
  };
}

/** The ClickHouse test user that has a password (to exercise authentication and redaction). */
export const CLICKHOUSE_TEST_USER = Object.freeze({ name: 'aspects_test', password: 'ch-Secret#42/@x' });

/** A passwordless ClickHouse user who may insert and select but run no DDL (allow_ddl=0), as Tutor's ch_cms: on every test server. */
export const CLICKHOUSE_NO_DDL_USER = 'aspects_noddl';

/** The passwordless ClickHouse user whose profile has readonly=1 (when a layout asks for it). */
export const CLICKHOUSE_READONLY_USER = 'aspects_ro';

/** Where a test ClickHouse server lives: its temp folder, ports, data <path> and config file. */
export interface ClickHouseLayout {
  readonly folder: string;
  readonly httpPort: number;
  readonly tcpPort: number;
  /** The server's <path> (tables and parts), with a trailing slash. */
  readonly dataPath: string;
  readonly configFile: string;
}

/** What prepareClickHouse may change from the default layout. */
export interface ClickHouseLayoutOptions {
  /** Folder for <path> (e.g. a small tmpfs); default: data/ inside the temp folder. */
  readonly dataPath?: string;
  /** Also create CLICKHOUSE_READONLY_USER. */
  readonly readonlyUser?: boolean;
}

function clickHouseConfig(layout: ClickHouseLayout): string {
  const { folder, dataPath } = layout;
  return `<yandex>
  <logger><level>warning</level><log>${folder}/server.log</log><errorlog>${folder}/error.log</errorlog></logger>
  <http_port>${layout.httpPort}</http_port><tcp_port>${layout.tcpPort}</tcp_port>
  <listen_host>127.0.0.1</listen_host>
  <path>${dataPath}</path><tmp_path>${dataPath}tmp/</tmp_path>
  <user_files_path>${dataPath}user_files/</user_files_path>
  <format_schema_path>${dataPath}format_schemas/</format_schema_path>
  <users_config>${folder}/users.xml</users_config>
  <default_profile>default</default_profile><default_database>default</default_database>
  <mark_cache_size>104857600</mark_cache_size><timezone>UTC</timezone>
</yandex>`;
}

/** users.xml: default (no password), CLICKHOUSE_TEST_USER and optionally CLICKHOUSE_READONLY_USER, allowed from `networks`. */
export function clickHouseUsers(readonlyUser: boolean, networks: readonly string[] = ['127.0.0.1', '::1']): string {
  const ips = networks.map((network) => `<ip>${network}</ip>`).join('');
  const user = (name: string, password: string, profile = 'default'): string =>
    `<${name}><password>${password}</password><networks>${ips}</networks>`
    + `<profile>${profile}</profile><quota>default</quota></${name}>`;
  const readonly = readonlyUser ? user(CLICKHOUSE_READONLY_USER, '', 'readonly') : '';
  return `<yandex><profiles><default></default><readonly><readonly>1</readonly></readonly><noddl><allow_ddl>0</allow_ddl></noddl></profiles>
  <quotas><default></default></quotas>
  <users>${user('default', '')}${user(CLICKHOUSE_TEST_USER.name, CLICKHOUSE_TEST_USER.password)}${user(CLICKHOUSE_NO_DDL_USER, '', 'noddl')}${readonly}</users></yandex>`;
}

/** Writes config.xml and users.xml for a ClickHouse server in a new temp folder, on free ports. */
export async function prepareClickHouse(options: ClickHouseLayoutOptions = {}): Promise<ClickHouseLayout> {
  const folder = mkdtempSync(join(tmpdir(), 'aspects-clickhouse-'));
  const dataPath = `${(options.dataPath ?? join(folder, 'data')).replace(/\/+$/, '')}/`;
  mkdirSync(dataPath, { recursive: true });
  const [httpPort, tcpPort] = [await freePort(), await freePort()];
  const layout = { folder, httpPort, tcpPort, dataPath, configFile: join(folder, 'config.xml') };
  writeFileSync(layout.configFile, clickHouseConfig(layout));
  writeFileSync(join(folder, 'users.xml'), clickHouseUsers(options.readonlyUser ?? false));
  return layout;
}

/** Starts clickhouse-server on a prepared layout (not waiting for it). */
export function spawnClickHouse(layout: ClickHouseLayout): ChildProcess {
  const child = spawn('clickhouse-server', [`--config-file=${layout.configFile}`], { stdio: 'ignore' });
  child.once('error', () => undefined);
  return child;
}

/** Resolves once the server answers /ping; rejects when it exits first or takes too long. */
export function waitForClickHouse(child: ChildProcess, url: string, timeoutMs = 60_000): Promise<void> {
  return waitUntil(async () => {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`clickhouse-server exited with ${child.exitCode ?? child.signalCode}; is the clickhouse-server package installed?`);
    }
    return (await fetch(`${url}/ping`).then((r) => r.ok).catch(() => false));
  }, 'clickhouse-server', timeoutMs);
}

/** Starts Debian's clickhouse-server (18.16) on free loopback ports in a temp folder. */
export async function startClickHouse(): Promise<StartedServer> {
  const layout = await prepareClickHouse();
  const child = spawnClickHouse(layout);
  const url = `http://127.0.0.1:${layout.httpPort}`;
  await waitForClickHouse(child, url);
  return { url, stop: stopper(child, layout.folder) };
}

/** Where a throwaway mariadbd lives: its temp folder (data inside) and its port. */
export interface MariaDbLayout {
  readonly folder: string;
  readonly port: number;
}

/** Creates a fresh MariaDB data folder (root without password) and picks a free port. */
export async function prepareMariaDb(): Promise<MariaDbLayout> {
  if (spawnSync('mariadbd', ['--version']).error) {
    throw new Error('no MySQL is reachable at 127.0.0.1:3306 and mariadbd is not installed: apt-get install mariadb-server');
  }
  const folder = mkdtempSync(join(tmpdir(), 'aspects-mariadb-'));
  const install = spawnSync('mariadb-install-db', ['--no-defaults', `--datadir=${folder}/data`, '--auth-root-authentication-method=normal', '--skip-test-db', '--user=root'], { encoding: 'utf8' });
  if (install.status !== 0) throw new Error(`mariadb-install-db failed: ${install.stderr || install.error?.message}`);
  return { folder, port: await freePort() };
}

/** Starts mariadbd on a prepared layout and resolves once it accepts connections. */
export async function spawnMariaDb({ folder, port }: MariaDbLayout, extraArgs: readonly string[] = []): Promise<ChildProcess> {
  const child = spawn('mariadbd', ['--no-defaults', `--datadir=${folder}/data`, `--socket=${folder}/mysqld.sock`,
    `--port=${port}`, '--bind-address=127.0.0.1', '--user=root', `--pid-file=${folder}/mysqld.pid`, ...extraArgs], { stdio: 'ignore' });
  child.once('error', () => undefined);
  await waitUntil(async () => {
    if (child.exitCode !== null) throw new Error(`mariadbd exited with ${child.exitCode}`);
    return reachable('127.0.0.1', port);
  }, 'mariadbd');
  return child;
}

/** Starts a throwaway mariadbd with a fresh data folder, root without password, on a free port. */
export async function startMariaDb(): Promise<StartedServer> {
  const layout = await prepareMariaDb();
  const child = await spawnMariaDb(layout);
  return { url: `mysql://root@127.0.0.1:${layout.port}`, stop: stopper(child, layout.folder) };
}
