import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { clickHouseSql, createTestEventSink, type TestEventSink } from '../support/clickhouse.js';
import { BIN, oneErrorLine, runAspects, type CliResult } from '../support/cli.js';

/** Runs bin/aspects with `stdin` as its standard input: text written to a pipe, or an open file descriptor. */
function aspectsWithStdin(args: readonly string[], stdin: string | number): Promise<CliResult> {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' },
    stdio: [typeof stdin === 'number' ? stdin : 'pipe', 'pipe', 'pipe'],
  });
  if (typeof stdin === 'string') child.stdin?.end(stdin);
  let [stdout, stderr] = ['', ''];
  child.stdout?.on('data', (chunk: Buffer) => { stdout += chunk.toString('utf8'); });
  child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8'); });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Standard input that cannot be read as SQL: a directory. */
async function withDirectoryAsStdin(run: (fd: number) => Promise<CliResult>): Promise<CliResult> {
  const fd = openSync(tmpdir(), 'r');
  try {
    return await run(fd);
  } finally {
    closeSync(fd);
  }
}

/** The rows both engines hold in `notes`: a NULL, a semicolon inside a string, and the string `\N`. */
const NOTES_TABLE = 'query_notes';
const NOTES_ROWS = "(1, NULL), (2, 'a;b'), (3, '\\\\N')";

const expectOk = (result: CliResult): CliResult => {
  assert.equal(result.code, 0, result.stderr);
  return result;
};

/** An engine the checks run on: its --clickhouse-url and the database holding NOTES_TABLE. */
interface Engine {
  readonly url: string;
  readonly database: string;
}

/** Runs the CLI on the engine, with the database configured through the environment (a flag overrides it). */
function cliOn(engine: Engine): (args: string[]) => Promise<CliResult> {
  return (args) => runAspects([...args, '--clickhouse-url', engine.url], { ASPECTS_CLICKHOUSE_DATABASE: engine.database });
}

/** The checks both engines must pass. */
function sharedChecks(engineOf: () => Engine): void {
  it('prints 200,000 rows as a table (no call-stack overflow), each row once and in order', async () => {
    const result = expectOk(await cliOn(engineOf())(['query', 'SELECT number FROM system.numbers LIMIT 200000']));
    const lines = result.stdout.split('\n');
    assert.equal(lines.length, 200_002);
    assert.deepEqual([lines[0], lines[1], lines[200_000], lines[200_001]], ['number', '0', '199999', '']);
  });

  it('resolves unqualified table names in --clickhouse-database and ASPECTS_CLICKHOUSE_DATABASE', async () => {
    const { url, database } = engineOf();
    const sql = `SELECT count() AS n, currentDatabase() AS db FROM ${NOTES_TABLE}`;
    const byFlag = expectOk(await runAspects(['query', sql, '--format', 'json', '--clickhouse-url', url, '--clickhouse-database', database]));
    // count() is a UInt64: the server's JSON quotes it, the embedded engine's does not.
    assert.deepEqual((JSON.parse(byFlag.stdout) as { n: unknown; db: string }[]).map(({ n, db }) => ({ n: Number(n), db })), [{ n: 3, db: database }]);
    const byEnv = expectOk(await runAspects(['query', sql, '--format', 'csv', '--clickhouse-url', url], { ASPECTS_CLICKHOUSE_DATABASE: database }));
    assert.equal(byEnv.stdout, `"n","db"\n"3","${database}"\n`);
  });

  it('shows NULL as ᴺᵁᴸᴸ in the table, \\N in CSV (as ClickHouse writes it) and null in JSON', async () => {
    const sql = `SELECT id, note FROM ${NOTES_TABLE} ORDER BY id`;
    const run = async (...format: string[]) => expectOk(await cliOn(engineOf())(['query', sql, ...format])).stdout;
    assert.equal(await run(), 'id  note\n1   ᴺᵁᴸᴸ\n2   a;b\n3   \\N\n');
    assert.equal(await run('--format', 'csv'), '"id","note"\n"1",\\N\n"2","a;b"\n"3","\\N"\n');
    assert.deepEqual(JSON.parse(await run('--format', 'json')), [{ id: 1, note: null }, { id: 2, note: 'a;b' }, { id: 3, note: '\\N' }]);
  });

  it('runs several statements in order, printing each result; `USE` holds for the later ones', async () => {
    const aspects = cliOn(engineOf());
    const sql = `SELECT 1 AS a; SELECT 'x;y' AS b /* ; */; -- a comment; \nUSE system; SELECT count() = 1 AS found FROM one;`;
    assert.equal(expectOk(await aspects(['query', sql])).stdout, 'a\n1\n\nb\nx;y\n\nfound\n1\n');
    assert.deepEqual(JSON.parse(expectOk(await aspects(['query', sql, '--json'])).stdout), [[{ a: 1 }], [{ b: 'x;y' }], [], [{ found: 1 }]]);
  });

  it('stops at the first failing statement: the results before it, then one line naming it, exit 1', async () => {
    const aspects = cliOn(engineOf());
    const result = await aspects(['query', 'SELECT 1 AS a; SELECT * FROM no_such_table; SELECT 3 AS c']);
    assert.equal(result.code, 1);
    assert.equal(result.stdout, 'a\n1\n');
    assert.match(oneErrorLine(result), /^aspects: statement 2 of 3: .*no_such_table/);
    const json = await aspects(['query', 'SELECT 1 AS a; SELECT * FROM no_such_table', '--format', 'json']);
    assert.equal(json.code, 1);
    assert.deepEqual(JSON.parse(json.stdout), [[{ a: 1 }]]);
  });

  it('reads the statements from stdin with `-`', async () => {
    const { url, database } = engineOf();
    const stdin = `SELECT count() AS n FROM ${NOTES_TABLE};\nSELECT 2 AS two;\n`;
    const result = expectOk(await aspectsWithStdin(['query', '-', '--clickhouse-url', url, '--clickhouse-database', database], stdin));
    assert.equal(result.stdout, 'n\n3\n\ntwo\n2\n');
  });

  it('quotes only the operator\'s statement in ClickHouse\'s errors (exit 1, one line, no stack)', async () => {
    for (const sql of ['SELEC 1', 'SELECT * FROM no_such_table']) {
      const result = await cliOn(engineOf())(['query', sql]);
      assert.equal(result.code, 1);
      const line = oneErrorLine(result);
      assert.match(line, /^aspects: Code: \d+/);
      assert.ok(line.includes(sql.split(' ').at(-1) as string), line);
      assert.ok(!/FORMAT|JSONEachRow|TabSeparated/.test(line), line);
    }
  });

  it('passes the output of a statement\'s own FORMAT clause through, and refuses it with --format json or csv', async () => {
    const aspects = cliOn(engineOf());
    const sql = `SELECT id, note FROM ${NOTES_TABLE} ORDER BY id FORMAT CSV`;
    assert.equal(expectOk(await aspects(['query', sql])).stdout, '1,\\N\n2,"a;b"\n3,"\\N"\n');
    const refused = await aspects(['query', sql, '--format', 'json']);
    assert.equal(refused.code, 2);
    const line = oneErrorLine(refused);
    assert.match(line, /^aspects: the statement ends with FORMAT CSV, which --format json cannot hold/);
    assert.deepEqual(JSON.parse(refused.stdout), { command: 'query', status: 'error', exit_code: 2, error: line.slice('aspects: '.length) });
  });

  it('refuses empty SQL and unreadable stdin with one line and exit 2; --json still prints a document', async () => {
    const engine = engineOf();
    const aspects = cliOn(engine);
    for (const sql of ['', ' ; -- nothing but a comment\n;']) {
      const result = await aspects(['query', sql]);
      assert.equal(result.code, 2);
      assert.equal(oneErrorLine(result), 'aspects: no SQL statement given');
    }
    const emptyStdin = await aspects(['query', '-', '--json']);
    assert.equal(emptyStdin.code, 2);
    assert.equal(oneErrorLine(emptyStdin), 'aspects: stdin held no SQL statement');
    assert.deepEqual(JSON.parse(emptyStdin.stdout), { command: 'query', status: 'error', exit_code: 2, error: 'stdin held no SQL statement' });
    const directory = await withDirectoryAsStdin((fd) => aspectsWithStdin(['query', '-', '--clickhouse-url', engine.url], fd));
    assert.equal(directory.code, 2);
    assert.equal(oneErrorLine(directory), 'aspects: cannot read the SQL from stdin: it is a directory');
    const failed = await aspects(['query', 'SELECT * FROM no_such_table', '--json']);
    assert.equal(failed.code, 1);
    assert.equal((JSON.parse(failed.stdout) as { exit_code: number }).exit_code, 1);
  });
}

describe('aspects query on the ClickHouse server', () => {
  let sink: TestEventSink;
  before(async () => {
    sink = await createTestEventSink();
    await clickHouseSql(sink.url, `CREATE TABLE ${sink.database}.${NOTES_TABLE} (id UInt8, note Nullable(String)) ENGINE = Memory`);
    await clickHouseSql(sink.url, `INSERT INTO ${sink.database}.${NOTES_TABLE} VALUES ${NOTES_ROWS}`);
  });
  after(() => sink.drop());
  const engine = (): Engine => ({ url: sink.url, database: sink.database });

  sharedChecks(engine);

  it('the operator\'s case: SELECT count() FROM user_profile with --clickhouse-database', async () => {
    const result = expectOk(await runAspects(['query', 'SELECT count() FROM user_profile', '--clickhouse-url', sink.url, '--clickhouse-database', sink.database]));
    assert.equal(result.stdout, 'count()\n0\n');
  });

  it('a configured database that does not exist: said once on stderr, unqualified names resolve in the server\'s default', async () => {
    const result = expectOk(await runAspects(['query', 'SELECT currentDatabase() AS db', '--clickhouse-url', sink.url, '--clickhouse-database', 'no_such_database']));
    assert.equal(result.stdout, 'db\ndefault\n');
    assert.match(oneErrorLine(result), /^aspects: note: database no_such_database does not exist on /);
  });

  it('refuses SET, which cannot hold for the next statement over HTTP, before running anything (exit 2)', async () => {
    const result = await cliOn(engine())(['query', 'SELECT 1 AS a; SET max_threads = 1; SELECT 2 AS b']);
    assert.equal(result.code, 2);
    assert.equal(result.stdout, '');
    assert.match(oneErrorLine(result), /^aspects: SET does not carry over to the next statement on a ClickHouse server .*SETTINGS clause/);
  });
});

describe('aspects query on the embedded engine (chdb:PATH)', () => {
  let folder: string;
  before(async () => {
    folder = mkdtempSync(join(tmpdir(), 'aspects-query-'));
    // Commands run one after another in one session: the table exists when the insert runs.
    const setup = await runAspects(['query', `CREATE DATABASE notes; CREATE TABLE notes.${NOTES_TABLE} (id UInt8, note Nullable(String)) ENGINE = MergeTree ORDER BY id; INSERT INTO notes.${NOTES_TABLE} VALUES ${NOTES_ROWS}`, '--clickhouse-url', `chdb:${folder}`]);
    assert.equal(setup.code, 0, setup.stderr);
  });
  after(() => { rmSync(folder, { recursive: true, force: true }); });

  sharedChecks(() => ({ url: `chdb:${folder}`, database: 'notes' }));

  it('keeps SET for the statements after it (one session)', async () => {
    const result = expectOk(await cliOn({ url: `chdb:${folder}`, database: 'notes' })(['query', "SET max_threads = 3; SELECT getSetting('max_threads') AS threads"]));
    assert.equal(result.stdout, 'threads\n3\n');
  });
});
