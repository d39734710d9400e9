/**
 * A real replicated and sharded ClickHouse 18.16 cluster on loopback, for the cluster suite:
 * one ZooKeeper, three clickhouse-servers (shard 1 = r1, r2; shard 2 = r3) each on its own
 * loopback address but the same HTTP port, and haproxy in front of some of them on that port too.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getSystemErrorName } from 'node:util';
import { clickHouseUsers, freePort, reachable, waitForClickHouse, waitUntil } from './servers.js';

export const TEST_CLUSTER_NAME = 'aspects_cluster';

/** One clickhouse-server of the test cluster. */
export interface ClusterReplica {
  /** 'r1', 'r2' or 'r3', also its <macros><replica>. */
  readonly name: string;
  /** 1 or 2, its <macros><shard>. */
  readonly shard: number;
  /** Its own loopback address (127.0.0.11, .12, .13), as system.clusters shows it. */
  readonly host: string;
  /** http://<host>:<P>, P being the cluster's one HTTP port. */
  readonly url: string;
  /** SIGKILL; resolves when the process has exited. */
  kill(): Promise<void>;
  /** Starts it again on the same config and data; resolves when /ping answers. */
  start(): Promise<void>;
  /** SIGSTOP: connections stay open, nothing is answered. */
  pause(): void;
  /** SIGCONT after pause. */
  resume(): void;
}

/** The ZooKeeper every replica uses. */
export interface ClusterZooKeeper {
  readonly port: number;
  pause(): void;
  resume(): void;
}

export interface TestCluster {
  readonly name: string;
  /** The aspects-cluster-* temp folder: <replica>/{config.xml,error.log,server.log,data}, zookeeper/, haproxy/. */
  readonly folder: string;
  readonly replicas: readonly ClusterReplica[];
  /** haproxy, balance roundrobin, on http://127.0.0.1:<P>. */
  readonly roundRobinUrl: string;
  /** haproxy, balance random, on http://127.0.0.2:<P>. */
  readonly randomUrl: string;
  readonly zookeeper: ClusterZooKeeper;
  /** Kills every process and removes the cluster's temp folder; safe to call twice. */
  stop(): Promise<void>;
}

export interface TestClusterOptions {
  /** Names of the replicas behind both balancers; default ['r1', 'r2'] (shard 1). */
  readonly balanced?: readonly string[];
}

const REPLICAS = [
  { name: 'r1', shard: 1, host: '127.0.0.11' },
  { name: 'r2', shard: 1, host: '127.0.0.12' },
  { name: 'r3', shard: 2, host: '127.0.0.13' },
] as const;
const ROUND_ROBIN_HOST = '127.0.0.1';
const RANDOM_HOST = '127.0.0.2';
const START_TIMEOUT_MS = 60_000;

/** Where one replica lives: its folder (config, logs, data) and its own ports. */
interface ReplicaLayout {
  readonly name: string;
  readonly shard: number;
  readonly host: string;
  readonly folder: string;
  readonly tcpPort: number;
  readonly interserverPort: number;
}

interface ClusterLayout {
  readonly folder: string;
  readonly httpPort: number;
  readonly zookeeperPort: number;
  readonly replicas: readonly ReplicaLayout[];
}

// ---------------------------------------------------------------- processes

/** Every running process of every cluster, with its log file (in its cluster's folder); killed if the test process exits without stop(). */
const live = new Map<ChildProcess, string>();
process.once('exit', () => {
  for (const child of live.keys()) child.kill('SIGKILL');
});

function running(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** Spawns `command` with stdout and stderr appended to `logFile`. */
function spawnLogged(command: string, args: readonly string[], logFile: string): ChildProcess {
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(command, args, { stdio: ['ignore', fd, fd] });
    child.once('error', () => undefined);
    live.set(child, logFile);
    child.once('exit', () => live.delete(child));
    return child;
  } finally {
    closeSync(fd);
  }
}

/** SIGKILL (a stopped process dies too); resolves when it has exited. Nothing is kept, so nothing needs an orderly shutdown. */
async function kill(child: ChildProcess): Promise<void> {
  if (!running(child)) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

function logSize(file: string): number {
  return existsSync(file) ? statSync(file).size : 0;
}

/** The last `count` lines a log file got after byte `offset` ('' when it does not exist). */
function tail(file: string, count = 15, offset = 0): string {
  if (!existsSync(file)) return '';
  return readFileSync(file).subarray(offset).toString('utf8').trimEnd().split('\n').slice(-count).join('\n');
}

/** How an exited process ended; a negative exit code is the errno of a spawn that failed. */
function exitDescription(child: ChildProcess): string {
  const code = child.exitCode;
  if (code !== null && code < 0) return `could not be started: ${child.spawnfile}: ${getSystemErrorName(code)}`;
  return `exited with ${code ?? child.signalCode}`;
}

/** waitUntil, but failing at once when the process exits; on failure the process is killed and the error has the log's tail. */
async function waitWhileRunning(child: ChildProcess, check: () => Promise<boolean>, what: string, logFile: string): Promise<void> {
  try {
    await waitUntil(async () => {
      if (!running(child)) throw new Error(`${what} ${exitDescription(child)}`);
      return check();
    }, what, START_TIMEOUT_MS);
  } catch (error) {
    await kill(child);
    throw new Error(`${(error as Error).message}; last lines of ${logFile}:\n${tail(logFile)}`);
  }
}

// ---------------------------------------------------------------- ports

function canBind(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/** A port free on each of `hosts` (a port free on 127.0.0.1 may be taken on 127.0.0.11 by another cluster). */
async function freePortOn(hosts: readonly string[]): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const port = await freePort();
    const free = await Promise.all(hosts.map((host) => canBind(host, port)));
    if (free.every(Boolean)) return port;
  }
  throw new Error(`no port is free on all of ${hosts.join(', ')}`);
}

async function clusterLayout(folder: string): Promise<ClusterLayout> {
  const replicas: ReplicaLayout[] = [];
  for (const replica of REPLICAS) {
    const replicaFolder = join(folder, replica.name);
    mkdirSync(join(replicaFolder, 'data'), { recursive: true });
    replicas.push({ ...replica, folder: replicaFolder, tcpPort: await freePortOn([replica.host]), interserverPort: await freePortOn([replica.host]) });
  }
  const httpPort = await freePortOn([ROUND_ROBIN_HOST, RANDOM_HOST, ...REPLICAS.map((replica) => replica.host)]);
  return { folder, httpPort, zookeeperPort: await freePort(), replicas };
}

/**
 * Adds each replica's address to lo (root; kept afterwards, harmless: 127/8 is routed to lo anyway).
 * ClickHouse 18.16 tells which host of an ON CLUSTER query is itself by looking the address up in
 * the network interfaces' addresses, not by trying to bind it: without this no replica runs any.
 */
function ensureLoopbackAddresses(): void {
  const ip = (...args: string[]) => spawnSync('ip', args, { encoding: 'utf8' });
  const why = (result: ReturnType<typeof ip>): string => (result.stderr || result.error?.message || '').trim();
  const shown = ip('-o', '-4', 'addr', 'show', 'dev', 'lo');
  if (shown.status !== 0) throw new Error(`ip addr show dev lo failed (is iproute2 installed?): ${why(shown)}`);
  for (const { host } of REPLICAS) {
    if (shown.stdout.includes(` ${host}/`)) continue;
    const added = ip('addr', 'add', `${host}/32`, 'dev', 'lo');
    // Another test process may have added it meanwhile.
    if (added.status !== 0 && !/already assigned|File exists/.test(added.stderr)) throw new Error(`ip addr add ${host}/32 dev lo failed (needs root): ${why(added)}`);
  }
}

// ---------------------------------------------------------------- ZooKeeper

/** Sends a four-letter word to ZooKeeper; resolves with its answer, '' when there is none within `timeoutMs`. */
export function askZooKeeper(port: number, word: string, timeoutMs = 1000): Promise<string> {
  return new Promise((resolve) => {
    const socket = new Socket();
    let answer = '';
    const done = (): void => { socket.destroy(); resolve(answer); };
    socket.setTimeout(timeoutMs, () => { answer = ''; done(); });
    socket.once('error', done);
    socket.on('data', (chunk) => { answer += chunk.toString('utf8'); });
    socket.once('end', done);
    socket.connect(port, '127.0.0.1', () => socket.write(word));
  });
}

function zooCfg(folder: string, port: number): string {
  // 2 s ticks allow sessions of 4-40 s, which the replicas' 6 s falls in.
  return ['tickTime=2000', `dataDir=${folder}/data`, `clientPort=${port}`, 'clientPortAddress=127.0.0.1',
    'admin.enableServer=false', '4lw.commands.whitelist=ruok,stat', 'maxClientCnxns=0', ''].join('\n');
}

/** Debian's QuorumPeerMain (standalone, as the config has no quorum); zookeeper.jar's manifest names its dependencies. */
async function startZooKeeper(layout: ClusterLayout): Promise<ChildProcess> {
  const folder = join(layout.folder, 'zookeeper');
  mkdirSync(join(folder, 'data'), { recursive: true });
  writeFileSync(join(folder, 'zoo.cfg'), zooCfg(folder, layout.zookeeperPort));
  const log = join(folder, 'zookeeper.log');
  const child = spawnLogged('java', ['-Xmx256m', '-XX:+UseSerialGC', '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn',
    '-cp', '/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar',
    'org.apache.zookeeper.server.quorum.QuorumPeerMain', join(folder, 'zoo.cfg')], log);
  await waitWhileRunning(child, () => zooKeeperServing(layout.zookeeperPort), 'ZooKeeper', log);
  return child;
}

/**
 * ZooKeeper 3.8 answers `ruok` with imok some 250 ms before it serves clients, closing their
 * handshakes meanwhile (a ClickHouse 18.16 that starts then can crash on its first ON CLUSTER
 * query); `stat` tells: "This ZooKeeper instance is not currently serving requests" until it does.
 */
async function zooKeeperServing(port: number): Promise<boolean> {
  return (await askZooKeeper(port, 'ruok')) === 'imok' && (await askZooKeeper(port, 'stat')).startsWith('Zookeeper version');
}

// ---------------------------------------------------------------- ClickHouse

function remoteServersXml(replicas: readonly ReplicaLayout[]): string {
  const shards = [...new Set(replicas.map((replica) => replica.shard))].map((shard) => {
    const members = replicas.filter((replica) => replica.shard === shard)
      .map((replica) => `<replica><host>${replica.host}</host><port>${replica.tcpPort}</port></replica>`);
    return `<shard><internal_replication>true</internal_replication>${members.join('')}</shard>`;
  });
  return `<remote_servers><${TEST_CLUSTER_NAME}>${shards.join('')}</${TEST_CLUSTER_NAME}></remote_servers>`;
}

function replicaConfigXml(layout: ClusterLayout, replica: ReplicaLayout): string {
  const { folder, host } = replica;
  return `<yandex>
  <logger><level>warning</level><log>${folder}/server.log</log><errorlog>${folder}/error.log</errorlog></logger>
  <listen_host>${host}</listen_host><http_port>${layout.httpPort}</http_port><tcp_port>${replica.tcpPort}</tcp_port>
  <interserver_http_host>${host}</interserver_http_host><interserver_http_port>${replica.interserverPort}</interserver_http_port>
  <path>${folder}/data/</path><tmp_path>${folder}/data/tmp/</tmp_path>
  <user_files_path>${folder}/data/user_files/</user_files_path><format_schema_path>${folder}/data/format_schemas/</format_schema_path>
  <users_config>${folder}/users.xml</users_config>
  <default_profile>default</default_profile><default_database>default</default_database>
  <mark_cache_size>104857600</mark_cache_size><timezone>UTC</timezone>
  <zookeeper><node><host>127.0.0.1</host><port>${layout.zookeeperPort}</port></node><session_timeout_ms>6000</session_timeout_ms></zookeeper>
  <macros><shard>${replica.shard}</shard><replica>${replica.name}</replica></macros>
  ${remoteServersXml(layout.replicas)}
  <distributed_ddl><path>/clickhouse/task_queue/ddl</path></distributed_ddl>
</yandex>`;
}

function writeReplicaConfig(layout: ClusterLayout, replica: ReplicaLayout): void {
  writeFileSync(join(replica.folder, 'config.xml'), replicaConfigXml(layout, replica));
  // The whole loopback network: replicas fetch parts and run ON CLUSTER queries on each other.
  writeFileSync(join(replica.folder, 'users.xml'), clickHouseUsers(false, ['127.0.0.0/8', '::1']));
}

/** One try at starting a replica: resolves when /ping answers, else kills it and throws with the logs' tails. */
async function spawnReplica(replica: ReplicaLayout, url: string): Promise<ChildProcess> {
  const [errorLog, stderrLog] = [join(replica.folder, 'error.log'), join(replica.folder, 'stderr.log')];
  const offsets = [logSize(errorLog), logSize(stderrLog)] as const;
  const child = spawnLogged('clickhouse-server', [`--config-file=${join(replica.folder, 'config.xml')}`], stderrLog);
  try {
    await waitForClickHouse(child, url, START_TIMEOUT_MS);
    return child;
  } catch (error) {
    await kill(child);
    const logs = `${tail(errorLog, 15, offsets[0])}\n${tail(stderrLog, 5, offsets[1])}`.trim();
    throw new Error(`replica ${replica.name} (${url}): ${(error as Error).message}\nlast lines of its error.log and stderr:\n${logs}`);
  }
}

/** Starts a replica; a start that finds its ports still held (a killed server's sockets) is tried again until the deadline. */
async function startReplicaProcess(replica: ReplicaLayout, url: string): Promise<ChildProcess> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    try {
      return await spawnReplica(replica, url);
    } catch (error) {
      if (!String(error).includes('Address already in use') || Date.now() >= deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

function controlledReplica(replica: ReplicaLayout, url: string, first: ChildProcess): ClusterReplica {
  let child = first;
  return {
    name: replica.name,
    shard: replica.shard,
    host: replica.host,
    url,
    kill: () => kill(child),
    async start() {
      if (running(child)) throw new Error(`replica ${replica.name} is already running`);
      child = await startReplicaProcess(replica, url);
    },
    pause: () => { child.kill('SIGSTOP'); },
    resume: () => { child.kill('SIGCONT'); },
  };
}

// ---------------------------------------------------------------- haproxy

/**
 * HTTP mode balances each request (TCP mode would pin a keep-alive connection to one server).
 * No health checks: a killed or paused replica keeps its turn, as behind a balancer that has
 * not noticed yet. Deterministic: its requests get a 503 (after haproxy's 3 connect retries, ~3 s)
 * or, when paused, no answer until `timeout server`.
 */
function haproxyCfg(port: number, balanced: readonly ReplicaLayout[]): string {
  const servers = balanced.map((replica) => `  server ${replica.name} ${replica.host}:${port}`).join('\n');
  const pair = (name: string, host: string): string =>
    `frontend ${name}\n  bind ${host}:${port}\n  default_backend ${name}\nbackend ${name}\n  balance ${name}\n${servers}\n`;
  return `global\n  maxconn 512\ndefaults\n  mode http\n  timeout connect 2s\n  timeout client 60s\n  timeout server 60s\n`
    + `${pair('roundrobin', ROUND_ROBIN_HOST)}${pair('random', RANDOM_HOST)}`;
}

async function startHaproxy(layout: ClusterLayout, balanced: readonly ReplicaLayout[]): Promise<ChildProcess> {
  const folder = join(layout.folder, 'haproxy');
  mkdirSync(folder);
  writeFileSync(join(folder, 'haproxy.cfg'), haproxyCfg(layout.httpPort, balanced));
  const log = join(folder, 'haproxy.log');
  const child = spawnLogged('haproxy', ['-f', join(folder, 'haproxy.cfg'), '-db'], log);
  const listening = async (): Promise<boolean> =>
    (await reachable(ROUND_ROBIN_HOST, layout.httpPort)) && reachable(RANDOM_HOST, layout.httpPort);
  await waitWhileRunning(child, listening, 'haproxy', log);
  return child;
}

// ---------------------------------------------------------------- the cluster

function balancedReplicas(layout: ClusterLayout, names: readonly string[]): ReplicaLayout[] {
  return names.map((name) => {
    const replica = layout.replicas.find((candidate) => candidate.name === name);
    if (replica === undefined) throw new Error(`no replica ${name} to balance (there are ${REPLICAS.map((r) => r.name).join(', ')})`);
    return replica;
  });
}

/** Starts every replica at once; throws every failure's message once all have settled. */
async function startReplicas(layout: ClusterLayout): Promise<ClusterReplica[]> {
  const settled = await Promise.allSettled(layout.replicas.map(async (replica) => {
    writeReplicaConfig(layout, replica);
    const url = `http://${replica.host}:${layout.httpPort}`;
    return controlledReplica(replica, url, await startReplicaProcess(replica, url));
  }));
  const failures = settled.flatMap((result) => (result.status === 'rejected' ? [(result.reason as Error).message] : []));
  if (failures.length > 0) throw new Error(failures.join('\n'));
  return settled.map((result) => (result as PromiseFulfilledResult<ClusterReplica>).value);
}

/** Kills every process the cluster in `folder` runs (whichever start of a replica it is) and removes the folder. */
async function stopCluster(folder: string): Promise<void> {
  const own = [...live].filter(([, logFile]) => logFile.startsWith(`${folder}/`));
  await Promise.all(own.map(([child]) => kill(child)));
  rmSync(folder, { recursive: true, force: true });
}

/** Starts ZooKeeper, the three replicas and haproxy in a new aspects-cluster-* temp folder; see TestCluster. */
export async function startTestCluster(options: TestClusterOptions = {}): Promise<TestCluster> {
  const folder = mkdtempSync(join(tmpdir(), 'aspects-cluster-'));
  try {
    ensureLoopbackAddresses();
    const layout = await clusterLayout(folder);
    const balanced = balancedReplicas(layout, options.balanced ?? ['r1', 'r2']);
    const zookeeper = await startZooKeeper(layout);
    const replicas = await startReplicas(layout);
    await startHaproxy(layout, balanced);
    return {
      name: TEST_CLUSTER_NAME,
      folder,
      replicas,
      roundRobinUrl: `http://${ROUND_ROBIN_HOST}:${layout.httpPort}`,
      randomUrl: `http://${RANDOM_HOST}:${layout.httpPort}`,
      zookeeper: { port: layout.zookeeperPort, pause: () => { zookeeper.kill('SIGSTOP'); }, resume: () => { zookeeper.kill('SIGCONT'); } },
      stop: () => stopCluster(folder),
    };
  } catch (error) {
    await stopCluster(folder);
    throw error;
  }
}
