import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Readable } from 'node:stream';
import { ServerTarget } from '../../src/clickhouse/server.js';
import { ClickHouseFailure, type ClickHouseTarget, type InsertOptions, type TableName } from '../../src/clickhouse/target.js';
import { bare, quoted } from '../../src/format/cell.js';
import { ExactlyOnceWriter, HeldRows, InsertFailed, planInsert } from '../../src/pipeline/exactly-once.js';
import { encodeRows, type HeldRow, type PageRow } from '../../src/pipeline/shape.js';
import { encodeFields } from '../../src/format/cell.js';
import { TableWriter } from '../../src/pipeline/table-writer.js';
import { identityOfDumpId, newInsertStamp, rowStamp, STORED_IDENTITY } from '../../src/pipeline/stamp.js';
import { clickHouseSql, createTestEventSink, type TestEventSink } from '../support/clickhouse.js';

/** What the faulty target does with one insert call. */
type Action =
  | 'pass'
  /** Stores the rows, then fails as if the answer was lost. */
  | 'lost-answer'
  /** Stores the first `rows` rows only, then fails (transient or not). */
  | { readonly partial: number; readonly transient: boolean }
  /** Stores nothing now and fails; the body is stored right after the next call, as a late delivery. */
  | 'deliver-late';

/** The real server, with each insert call played as the script says (deterministic faults). */
class ScriptedTarget implements ClickHouseTarget {
  readonly description = 'scripted';
  readonly maxInsertBytes = Number.POSITIVE_INFINITY;
  /** The script plays the network's faults itself: the writer takes the direct path (as for chdb). */
  readonly overNetwork = false;
  readonly bodies: string[][] = [];
  private late: string[] | undefined;

  constructor(private readonly real: ClickHouseTarget, private readonly script: Action[]) {}

  ping = () => this.real.ping();
  query = (sql: string) => this.real.query(sql);
  queryFields = (sql: string) => this.real.queryFields(sql);
  command = (sql: string) => this.real.command(sql);
  close = () => this.real.close();

  async insertCsv(into: TableName, columns: readonly string[], csv: readonly Buffer[] | Readable, options?: InsertOptions): Promise<void> {
    const pieces: Buffer[] = [];
    for await (const piece of csv instanceof Readable ? csv : Readable.from(csv)) pieces.push(piece as Buffer);
    const lines = Buffer.concat(pieces).toString('utf8').split('\r\n').filter(Boolean);
    this.bodies.push(lines);
    const action = this.script.shift() ?? 'pass';
    const send = (rows: readonly string[]) => this.real.insertCsv(into, columns, [Buffer.from(rows.map((row) => `${row}\r\n`).join(''))], options);
    if (action === 'deliver-late') {
      this.late = [...lines];
      throw new ClickHouseFailure('Timeout error.', true);
    }
    await send(typeof action === 'object' ? lines.slice(0, action.partial) : lines);
    if (this.late) await send(this.late.splice(0));
    if (action === 'lost-answer') throw new ClickHouseFailure('socket hang up', true);
    if (typeof action === 'object') throw new ClickHouseFailure(action.transient ? 'Code: 209. Timeout' : 'Code: 75. No space left on device', action.transient);
  }
}

const COLUMNS = ['id', 'course_key', 'created', 'is_active', 'mode', 'username', 'user_id', 'dump_id', 'time_last_dumped'];

/** The CSV data fields of enrollment `id`. */
const enrollmentLine = (id: number): string => encodeFields([bare(String(id)), quoted('course-v1:OrgX+C1+R1'), quoted('2024-01-01T00:00:00Z'),
  bare('True'), quoted('audit'), quoted(`learner_${id}`), bare(String(id))]);

/** `count` enrollment rows of one insert stamped `time`. */
function enrollmentRows(count: number, time: string): HeldRow[] {
  const stamp = newInsertStamp(time);
  return Array.from({ length: count }, (_, index) => {
    const rowStamped = rowStamp(index + 1, '0123456789abcde', stamp);
    return { line: enrollmentLine(index + 1), keyText: String(index + 1), stamp: rowStamped, identity: identityOfDumpId(rowStamped.dumpId) };
  });
}

/** Retries fast: the faults are played, not waited for. */
const policy = { budgetMs: 20_000, baseDelayMs: 10, maxDelayMs: 50 };

/** A test sink and a target on the real server for the describe's tests, dropped after them. */
function onRealServer(use: (made: { sink: TestEventSink; real: ClickHouseTarget }) => void): void {
  let made: { sink: TestEventSink; real: ClickHouseTarget } | undefined;
  before(async () => {
    const sink = await createTestEventSink();
    made = { sink, real: new ServerTarget({ url: sink.url, username: 'default', password: '', database: sink.database, timeoutSeconds: 30 }) };
    use(made);
  });
  after(async () => {
    await made?.real.close();
    await made?.sink.drop();
  });
}

// The exactly-once writer on the real 18.16 server, with faults played at exact points.
describe('exactly-once inserts', () => {
  let sink: TestEventSink;
  let real: ClickHouseTarget;
  const notes: string[] = [];
  const retries: string[] = [];
  const listener = { retrying: (_: number, __: number, reason: string) => retries.push(reason), note: (text: string) => notes.push(text) };
  onRealServer((made) => ({ sink, real } = made));

  /** Writes 200 rows stamped `time` through the script; returns the target, which kept every body it was sent. */
  async function play(script: Action[], time: string): Promise<ScriptedTarget> {
    notes.length = 0;
    retries.length = 0;
    const target = new ScriptedTarget(real, script);
    const plan = planInsert({ database: sink.database, table: 'course_enrollment' }, COLUMNS, STORED_IDENTITY, time);
    await new ExactlyOnceWriter(target, policy).write(plan, new HeldRows(enrollmentRows(200, time)), listener);
    return target;
  }

  /** Copies stored of each dump_id stamped `time`. */
  async function stored(time: string): Promise<Map<string, number>> {
    const rows = await sink.rows(`SELECT toString(dump_id) AS id, count() AS n FROM ${sink.database}.course_enrollment WHERE time_last_dumped = '${time}' GROUP BY id`);
    return new Map(rows.map((row) => [String(row.id), Number(row.n)]));
  }

  /** 200 rows, each once. */
  async function assertOnceEach(time: string): Promise<void> {
    const copies = await stored(time);
    assert.equal(copies.size, 200);
    assert.deepEqual([...new Set(copies.values())], [1], 'a row is stored more than once');
  }

  it('an answer lost after the rows landed: nothing is sent again', async () => {
    const target = await play(['lost-answer'], '2024-05-01 00:00:01+00:00');
    assert.equal(target.bodies.length, 1);
    await assertOnceEach('2024-05-01 00:00:01+00:00');
    assert.deepEqual(notes, ['the answer to an insert into course_enrollment was lost (socket hang up); all 200 rows had landed']);
  });

  it('a batch that landed in part is completed with the other rows only', async () => {
    const target = await play([{ partial: 70, transient: true }], '2024-05-01 00:00:02+00:00');
    assert.deepEqual(target.bodies.map((body) => body.length), [200, 130]);
    await assertOnceEach('2024-05-01 00:00:02+00:00');
    assert.match(retries[0] as string, /^ClickHouse insert: Code: 209\. Timeout; 70 of 200 rows had landed$/);
  });

  it('a permanent failure after a partial landing says exactly what landed', async () => {
    await assert.rejects(play([{ partial: 45, transient: false }], '2024-05-01 00:00:03+00:00'), (error: unknown) => {
      assert.ok(error instanceof InsertFailed);
      assert.deepEqual([error.table, error.total, error.landed], ['course_enrollment', 200, 45]);
      return true;
    });
    assert.equal((await stored('2024-05-01 00:00:03+00:00')).size, 45);
  });

  it('an attempt delivered after its retry stored rows twice: the copies are deleted and the rows written once', async () => {
    const target = await play(['deliver-late'], '2024-05-01 00:00:04+00:00');
    await assertOnceEach('2024-05-01 00:00:04+00:00');
    assert.deepEqual(target.bodies.map((body) => body.length), [200, 200, 200]);
    assert.ok(notes.some((note) => /^200 rows of an insert into course_enrollment were stored twice by a late attempt; deleting the copies and writing them once$/.test(note)), notes.join('\n'));
  });
});

// The long inserts of the pipeline: pages streamed into one insert; after a failure the missing
// rows are made again from the source (here a table in memory standing for MySQL).
describe('streamed inserts', () => {
  let sink: TestEventSink;
  let real: ClickHouseTarget;
  const notes: string[] = [];
  const listener = { retrying: () => undefined, note: (text: string) => notes.push(text) };
  onRealServer((made) => ({ sink, real } = made));

  /** Enrollment `key` as the source holds it. */
  const shaped = (key: number): PageRow => {
    const chunk = Buffer.from(enrollmentLine(key));
    return { key, keyText: String(key), chunk, start: 0, end: chunk.length, cursor: null, fingerprint: '0123456789abcde' };
  };

  /** Streams three pages of 100 rows through the script; returns what the insert reported as stored. */
  async function stream(script: Action[], gone: readonly number[] = []): Promise<{ target: ScriptedTarget; stored: number; table: string }> {
    notes.length = 0;
    const table = 'course_enrollment';
    await clickHouseSql(sink.url, `TRUNCATE TABLE ${sink.database}.${table}`);
    const target = new ScriptedTarget(real, script);
    let stored = -1;
    const writer = new TableWriter({
      writer: new ExactlyOnceWriter(target, policy), into: { database: sink.database, table }, columns: COLUMNS, listener, keysPerRead: 64,
      bounds: { rows: 1000, bytes: 1 << 30, seconds: 600 },
      remake: async (keys, stamp) => {
        const made = keys.filter((key) => !gone.includes(key as number)).map((key) => shaped(key as number));
        return { pieces: encodeRows(made, stamp), made: made.map((row) => row.key) };
      },
      committed: async (rows) => { stored = rows; },
      lockLost: async () => undefined,
    });
    for (const first of [1, 101, 201]) {
      const rows = Array.from({ length: 100 }, (_, index) => shaped(first + index));
      const stamp = await writer.stamp();
      await writer.push(encodeRows(rows, stamp), rows.map((row) => row.key), first + 99);
    }
    await writer.flush();
    return { target, stored, table };
  }

  async function storedOnce(table: string, expected: number): Promise<void> {
    const [row] = await sink.rows(`SELECT count() AS rows, uniqExact(id) AS ids, uniqExact(${STORED_IDENTITY}) AS identities FROM ${sink.database}.${table}`);
    assert.deepEqual([Number(row?.rows), Number(row?.ids), Number(row?.identities)], [expected, expected, expected]);
  }

  it('three pages in one insert, cut after 130 rows landed: only the other 170 are made again and sent', async () => {
    const { target, stored, table } = await stream([{ partial: 130, transient: true }]);
    assert.deepEqual(target.bodies.map((body) => body.length), [300, 170]);
    assert.equal(stored, 300);
    await storedOnce(table, 300);
  });

  it('a row gone from the source before the resend is left out, and not counted as stored', async () => {
    const { target, stored, table } = await stream([{ partial: 10, transient: true }], [250, 251]);
    assert.deepEqual(target.bodies.map((body) => body.length), [300, 288]);
    assert.equal(stored, 298);
    await storedOnce(table, 298);
  });

  it('the answer lost after everything landed: nothing is made again', async () => {
    const { target, stored, table } = await stream(['lost-answer']);
    assert.deepEqual(target.bodies.map((body) => body.length), [300]);
    assert.equal(stored, 300);
    assert.match(notes.join('\n'), /all 300 rows had landed/);
    await storedOnce(table, 300);
  });

  it('an attempt delivered late, after its resend: the doubled rows are deleted and written once', async () => {
    const { stored, table } = await stream(['deliver-late']);
    assert.equal(stored, 300);
    await storedOnce(table, 300);
  });
});

/**
 * The real server as a round-robin balancer over two servers would look to staged inserts: the
 * first `CREATE TABLE` of a staging table goes to the "other" server, so the table is not there
 * for the insert that follows.
 */
class SecondServerFirst implements ClickHouseTarget {
  readonly description = 'a balancer';
  readonly maxInsertBytes = Number.POSITIVE_INFINITY;
  readonly overNetwork = true;
  readonly statements: string[] = [];
  private skipped = false;

  constructor(private readonly real: ClickHouseTarget) {}

  ping = () => this.real.ping();
  query = (sql: string) => this.real.query(sql);
  queryFields = (sql: string) => this.real.queryFields(sql);
  close = () => this.real.close();
  insertCsv = (into: TableName, columns: readonly string[], csv: readonly Buffer[] | Readable, options?: InsertOptions) => {
    this.statements.push(`INSERT INTO ${into.table}`);
    return this.real.insertCsv(into, columns, csv, options);
  };

  async command(sql: string, options?: InsertOptions): Promise<void> {
    this.statements.push(sql.slice(0, 12));
    if (sql.startsWith('CREATE TABLE') && !this.skipped) {
      this.skipped = true;
      return;
    }
    await this.real.command(sql, options);
  }
}

// Staged inserts when requests reach more than one server: a staging table created on one is
// not on the other, and the writer goes on writing directly, saying so once.
describe('staged inserts behind a load balancer', () => {
  let sink: TestEventSink;
  let real: ClickHouseTarget;
  onRealServer((made) => ({ sink, real } = made));

  it('a staging table missing for the insert that follows its CREATE: the rows are written directly, once, and the run says why', async () => {
    const notes: string[] = [];
    const listener = { retrying: () => undefined, note: (text: string) => notes.push(text) };
    const target = new SecondServerFirst(real);
    const time = '2024-05-03 00:00:01+00:00';
    const writer = new ExactlyOnceWriter(target, policy);
    await writer.write(planInsert({ database: sink.database, table: 'course_enrollment' }, COLUMNS, STORED_IDENTITY, time), new HeldRows(enrollmentRows(200, time)), listener);
    const [row] = await sink.rows(`SELECT count() AS n, uniqExact(dump_id) AS ids FROM ${sink.database}.course_enrollment WHERE time_last_dumped = '${time}'`);
    assert.deepEqual([Number(row?.n), Number(row?.ids)], [200, 200]);
    assert.equal(writer.staged, false);
    assert.equal(target.statements.filter((each) => each === 'INSERT INTO course_enrollment').length, 1, 'the second attempt went directly into the table');
    assert.equal(notes.length, 1);
    assert.match(notes[0] as string, /^a staging table created through a balancer was not there for the next request, so requests reach more than one ClickHouse server \(a load balancer\?\): inserts are written directly from now on/);
  });
});
