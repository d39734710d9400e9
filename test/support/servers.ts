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

async function waitUntil(check: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
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

function clickHouseConfig(folder: string, httpPort: number, tcpPort: number): string {
  return `<yandex>
  <logger><level>warning</level><log>${folder}/server.log</log><errorlog>${folder}/error.log</errorlog></logger>
  <http_port>${httpPort}</http_port><tcp_port>${tcpPort}</tcp_port>
  <listen_host>127.0.0.1</listen_host>
  <path>${folder}/data/</path><tmp_path>${folder}/data/tmp/</tmp_path>
  <user_files_path>${folder}/data/user_files/</user_files_path>
  <format_schema_path>${folder}/data/format_schemas/</format_schema_path>
  <users_config>${folder}/users.xml</users_config>
  <default_profile>default</default_profile><default_database>default</default_database>
  <mark_cache_size>104857600</mark_cache_size><timezone>UTC</timezone>
</yandex>`;
}

function clickHouseUsers(): string {
  const user = (name: string, password: string): string =>
    `<${name}><password>${password}</password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks>`
    + `<profile>default</profile><quota>default</quota></${name}>`;
  return `<yandex><profiles><default></default></profiles><quotas><default></default></quotas>
  <users>${user('default', '')}${user(CLICKHOUSE_TEST_USER.name, CLICKHOUSE_TEST_USER.password)}</users></yandex>`;
}

/** Starts Debian's clickhouse-server (18.16) on free loopback ports in a temp folder. */
export async function startClickHouse(): Promise<StartedServer> {
  const folder = mkdtempSync(join(tmpdir(), 'aspects-clickhouse-'));
  mkdirSync(join(folder, 'data'));
  const [httpPort, tcpPort] = [await freePort(), await freePort()];
  writeFileSync(join(folder, 'config.xml'), clickHouseConfig(folder, httpPort, tcpPort));
  writeFileSync(join(folder, 'users.xml'), clickHouseUsers());
  const child = spawn('clickhouse-server', [`--config-file=${join(folder, 'config.xml')}`], { stdio: 'ignore' });
  child.once('error', () => undefined);
  const url = `http://127.0.0.1:${httpPort}`;
  await waitUntil(async () => {
    if (child.exitCode !== null) throw new Error(`clickhouse-server exited with ${child.exitCode}; is the clickhouse-server package installed?`);
    return (await fetch(`${url}/ping`).then((r) => r.ok).catch(() => false));
  }, 'clickhouse-server');
  return { url, stop: stopper(child, folder) };
}

/** Starts a throwaway mariadbd with a fresh data folder, root without password, on a free port. */
export async function startMariaDb(): Promise<StartedServer> {
  if (spawnSync('mariadbd', ['--version']).error) {
    throw new Error('no MySQL is reachable at 127.0.0.1:3306 and mariadbd is not installed: apt-get install mariadb-server');
  }
  const folder = mkdtempSync(join(tmpdir(), 'aspects-mariadb-'));
  const install = spawnSync('mariadb-install-db', ['--no-defaults', `--datadir=${folder}/data`, '--auth-root-authentication-method=normal', '--skip-test-db', '--user=root'], { encoding: 'utf8' });
  if (install.status !== 0) throw new Error(`mariadb-install-db failed: ${install.stderr || install.error?.message}`);
  const port = await freePort();
  const child = spawn('mariadbd', ['--no-defaults', `--datadir=${folder}/data`, `--socket=${folder}/mysqld.sock`,
    `--port=${port}`, '--bind-address=127.0.0.1', '--user=root', `--pid-file=${folder}/mysqld.pid`], { stdio: 'ignore' });
  child.once('error', () => undefined);
  await waitUntil(async () => {
    if (child.exitCode !== null) throw new Error(`mariadbd exited with ${child.exitCode}`);
    return reachable('127.0.0.1', port);
  }, 'mariadbd');
  return { url: `mysql://root@127.0.0.1:${port}`, stop: stopper(child, folder) };
}
