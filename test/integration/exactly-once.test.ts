import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ServerTarget } from '../../src/clickhouse/server.js';
import { ClickHouseFailure, type ClickHouseTarget, type InsertOptions, type TableName } from '../../src/clickhouse/target.js';
import { bare, quoted } from '../../src/format/cell.js';
import { BY_DUMP_ID, ExactlyOnceWriter, InsertFailed, prepareInsert } from '../../src/pipeline/exactly-once.js';
import { newStamp, type StampedRow } from '../../src/pipeline/shape.js';
import { createTestEventSink, type TestEventSink } from '../support/clickhouse.js';

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
  readonly bodies: string[][] = [];
  private late: string[] | undefined;

  constructor(private readonly real: ClickHouseTarget, private readonly script: Action[]) {}

  ping = () => this.real.ping();
  query = (sql: string) => this.real.query(sql);
  command = (sql: string) => this.real.command(sql);
  close = () => this.real.close();

  async insertCsv(into: TableName, columns: readonly string[], csv: readonly Buffer[], options?: InsertOptions): Promise<void> {
    const lines = Buffer.concat(csv).toString('utf8').split('\r\n').filter(Boolean);
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

/** `count` enrollment rows with their own dump_ids and one time_last_dumped. */
function enrollmentRows(count: number, time: string): StampedRow[] {
  return Array.from({ length: count }, (_, index) => ({
    cells: [bare(String(index + 1)), quoted('course-v1:OrgX+C1+R1'), quoted('2024-01-01T00:00:00Z'), bare('True'), quoted('audit'),
      quoted(`learner_${index + 1}`), bare(String(index + 1))],
    stamp: newStamp(time),
  }));
}

// The exactly-once writer on the real 18.16 server, with faults played at exact points.
describe('exactly-once inserts', () => {
  let sink: TestEventSink;
  let real: ClickHouseTarget;
  const notes: string[] = [];
  const retries: string[] = [];
  const listener = { retrying: (_: number, __: number, reason: string) => retries.push(reason), note: (text: string) => notes.push(text) };
  const policy = { budgetMs: 20_000, baseDelayMs: 10, maxDelayMs: 50 };
  before(async () => {
    sink = await createTestEventSink();
    real = new ServerTarget({ url: sink.url, username: 'default', password: '', database: sink.database, timeoutSeconds: 30 });
  });
  after(async () => {
    await real.close();
    await sink.drop();
  });

  /** Writes 200 rows stamped `time` through the script; returns the target, which kept every body it was sent. */
  async function play(script: Action[], time: string): Promise<ScriptedTarget> {
    notes.length = 0;
    retries.length = 0;
    const target = new ScriptedTarget(real, script);
    const insert = prepareInsert({ database: sink.database, table: 'course_enrollment' }, COLUMNS, enrollmentRows(200, time), BY_DUMP_ID);
    await new ExactlyOnceWriter(target, policy).write(insert, listener);
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
