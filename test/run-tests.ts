/**
 * The test command: makes sure MariaDB and ClickHouse are there (the env URLs, a local MariaDB
 * on 3306, or throwaway servers started here), then runs every *.test.js with node's runner.
 * `--faults` runs the fault-injection suite (test/faults) instead, `--cluster` the suite on a real
 * replicated, sharded ClickHouse cluster (test/cluster); `npm test` leaves both out.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stopTestServers, testClickHouseServer, testMysqlServer } from './support/env.js';

function testFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return testFiles(path);
    return entry.name.endsWith('.test.js') ? [path] : [];
  }).sort();
}

/** The suites run only when asked for (`--<name>`), each a folder of test/. */
const SUITES = ['faults', 'cluster'];

/** The suite asked for by the first argument (undefined: the main tests) and the file filter after it. */
function selection(args: readonly string[]): { suite: string | undefined; filter: string[] } {
  const flag = args[0]?.startsWith('--') ? args[0].slice(2) : undefined;
  if (flag !== undefined && !SUITES.includes(flag)) throw new Error(`unknown option --${flag} (known: ${SUITES.map((name) => `--${name}`).join(', ')})`);
  return { suite: flag, filter: args.slice(flag === undefined ? 0 : 1) };
}

async function main(): Promise<number> {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const { suite: wanted, filter } = selection(process.argv.slice(2));
  const suite = (file: string) => SUITES.find((name) => file.startsWith(join(here, name) + sep)) === wanted;
  const files = testFiles(here).filter((file) => suite(file) && (filter.length === 0 || filter.some((part) => file.includes(part))));
  process.stderr.write(`test servers: MySQL ${await testMysqlServer()}, ClickHouse ${await testClickHouseServer()}\n`);
  const child = spawn(process.execPath, ['--test', '--test-reporter=spec', '--test-timeout=600000', ...files], { stdio: 'inherit', env: process.env });
  return new Promise((resolve) => child.once('close', (code) => resolve(code ?? 1)));
}

const code = await main().catch((error: unknown) => {
  process.stderr.write(`test harness: ${error instanceof Error ? error.message : String(error)}\n`);
  return 1;
});
await stopTestServers();
process.exit(code);
