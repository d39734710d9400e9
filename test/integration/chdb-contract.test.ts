import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseMysqlUrl } from '../../src/config/urls.js';
import { openLmsDatabase, type LmsDatabase } from '../../src/lms/database.js';
import { readPage } from '../../src/lms/keyset.js';
import { loadReferences } from '../../src/lms/references.js';
import { encodeBatch, encodeHeld, insertColumns, shapeRow, withStampColumns } from '../../src/pipeline/shape.js';
import { encodeFields } from '../../src/format/cell.js';
import { newInsertStamp, rowStamp } from '../../src/pipeline/stamp.js';
import { courseBlocks } from '../../src/sinks/course_blocks.js';
import { structureFromDocument } from '../../src/structure/modulestore.js';
import { SINKS } from '../../src/sinks/index.js';
import { aspectsTables } from '../support/aspects-ddl.js';
import { openChdbSession, type ChdbSession } from '../support/chdb.js';
import { fillCourses } from '../support/course-fixture.js';
import type { TestLms } from '../support/env.js';
import { assertSameRows, expectedRows, TARGET_KEY } from '../support/expected.js';
import { filledLms } from '../support/scenario.js';
import { demoStructureDocument } from '../support/structures.js';
import { fillTags } from '../support/tag-fixture.js';

/** Bool comes back from the modern engine as JSON true/false; the contract wrote True/False. */
function asWritten(row: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(row).map(([key, value]) =>
    [key, value === true ? 'True' : value === false ? 'False' : value]));
}

// The exact Aspects DDL on the embedded modern ClickHouse (chdb 26.x): every sink's rows, as the
// pipeline encodes them, must load into the real column types and read back field for field.
describe('rows fit the real Aspects schema on a modern ClickHouse (chdb)', () => {
  let lms: TestLms;
  let db: LmsDatabase;
  let session: ChdbSession;
  let folder: string;
  before(async () => {
    lms = await filledLms({ users: 150 });
    const courses = await fillCourses(lms.db, 30);
    await fillTags(lms.db, 'newest', [...courses, 'block-v1:OpenedX+DemoX+DemoCourse+type@html+block@x']);
    db = openLmsDatabase(parseMysqlUrl(lms.url));
    folder = mkdtempSync(join(tmpdir(), 'aspects-chdb-'));
    session = await openChdbSession(folder);
    session.query('CREATE DATABASE event_sink');
    for (const ddl of Object.values(aspectsTables('event_sink'))) session.query(ddl);
  });
  after(async () => {
    session.close();
    rmSync(folder, { recursive: true, force: true });
    await db.close();
    await lms.drop();
  });

  it('course_blocks: a demo course\'s blocks load into the real column types and read back unchanged', async () => {
    const references = await loadReferences(['tagTree', 'objectTags'], db);
    const course = 'course-v1:OpenedX+DemoX+DemoCourse';
    const cells = courseBlocks.rowsOf(course, structureFromDocument(demoStructureDocument()), references);
    const stamp = rowStamp(course, 'abcdef012345678', newInsertStamp('2024-05-01 12:34:56.789012+00:00'));
    const csv = Buffer.concat(encodeHeld(cells.map((row) => ({ line: encodeFields(row), keyText: '', stamp, identity: '' })))).toString('utf8');
    const columns = withStampColumns(courseBlocks.columns).map((name) => `\`${name}\``).join(', ');
    session.query(`INSERT INTO event_sink.course_blocks (${columns}) FORMAT CSV\n${csv}`);
    const stored = session.query('SELECT * FROM event_sink.course_blocks ORDER BY `order`', 'JSONEachRow')
      .split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.equal(stored.length, cells.length);
    stored.forEach((row, index) => {
      const written = cells[index] as { text: string }[];
      courseBlocks.columns.forEach((name, column) => assert.equal(String(row[name]), written[column]?.text, `${name} of block ${index + 1}`));
      assert.equal(row.dump_id, stamp.dumpId);
      assert.equal(row.time_last_dumped, stamp.timeLastDumped);
    });
  });

  for (const sink of SINKS) {
    it(`${sink.name}: every row loads into the real column types and reads back unchanged`, async () => {
      const references = await loadReferences(sink.references ?? [], db);
      const rows = (await readPage(db, sink.source, {}, {}, 100_000)).map((row) => shapeRow(sink, row, references));
      const csv = Buffer.concat(encodeBatch(rows)).toString('utf8');
      session.query(`INSERT INTO event_sink.${sink.table} (${insertColumns(sink).map((name) => `\`${name}\``).join(', ')}) FORMAT CSV\n${csv}`);
      const stored = session.query(`SELECT * FROM event_sink.${sink.table}`, 'JSONEachRow')
        .split('\n').filter(Boolean).map((line) => asWritten(JSON.parse(line) as Record<string, unknown>));
      assert.ok(stored.length > 0);
      assertSameRows(stored, await expectedRows(lms.db, sink.name), TARGET_KEY[sink.name] as string);
    });
  }
});
