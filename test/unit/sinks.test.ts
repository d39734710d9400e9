import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bare, encodeRow, quoted } from '../../src/format/cell.js';
import { text } from '../../src/format/values.js';
import { KEY_FIELD } from '../../src/lms/keyset.js';
import { encodeBatch, insertColumns, shapeRow } from '../../src/pipeline/shape.js';
import { OBJECT_NAMES, SINKS, findSink } from '../../src/sinks/index.js';
import { defineSink, type Sink } from '../../src/sinks/types.js';

const DUMP_ID = '4f1c2a9e-8a53-4c2e-9d1b-2f7b6c1e0a11';
const DUMPED = '2024-05-01 12:34:56.789012+00:00';

function contractLine(sink: Sink, row: Record<string, unknown>): string {
  const shaped = shapeRow(sink, { [KEY_FIELD]: 1, ...row } as never);
  return encodeRow([...shaped.cells, bare(DUMP_ID), quoted(DUMPED)]);
}

describe('sinks reproduce the contract example rows byte for byte (§3.3–§3.5)', () => {
  it('course_enrollment', () => {
    const line = contractLine(findSink('course_enrollment') as Sink, {
      id: 1234, course_key: 'course-v1:OpenedX+DemoX+DemoCourse', created: '2024-04-30 08:15:02.512345',
      is_active: 1, mode: 'audit', username: 'jdoe', user_id: 42,
    });
    assert.equal(line, `1234,"course-v1:OpenedX+DemoX+DemoCourse","2024-04-30T08:15:02.512345Z",True,"audit","jdoe",42,${DUMP_ID},"${DUMPED}"\r\n`);
  });

  it('user_profile', () => {
    const line = contractLine(findSink('user_profile') as Sink, {
      id: 40, user_id: 42, name: 'Jane Doe', username: 'jdoe', email: 'jdoe@example.com', meta: '',
      courseware: 'course.xml', language: '', location: '', year_of_birth: 1990, gender: 'f',
      level_of_education: 'b', mailing_address: null, city: 'Lyon', country: 'FR', state: null,
      goals: 'Learn "stuff", fast', bio: null, profile_image_uploaded_at: null, phone_number: null,
    });
    assert.equal(line, `40,42,"Jane Doe","jdoe","jdoe@example.com","","course.xml","","",1990,"f","b","","Lyon","FR","","Learn ""stuff"", fast","","","",${DUMP_ID},"${DUMPED}"\r\n`);
  });

  it('external_id, from char(32) storage', () => {
    const line = contractLine(findSink('external_id') as Sink, {
      id: 7, external_user_id: '32e08e30f8ae4ce294a8c2bfe38a70cb', external_id_type: 'xapi', username: 'jdoe', user_id: 42,
    });
    assert.equal(line, `"32e08e30-f8ae-4ce2-94a8-c2bfe38a70cb","xapi","jdoe",42,${DUMP_ID},"${DUMPED}"\r\n`);
  });
});

describe('sink registry and batches', () => {
  it('names each sink after its file and lists columns in contract order', () => {
    assert.deepEqual(OBJECT_NAMES, ['course_overviews', 'user_profile', 'external_id', 'course_enrollment', 'taxonomy', 'tag', 'object_tag']);
    assert.deepEqual(insertColumns(findSink('user_profile') as Sink).slice(0, 6), ['id', 'user_id', 'name', 'username', 'email', 'meta']);
    for (const sink of SINKS) {
      assert.ok(sink.columns.some((column) => column.name === sink.incremental.targetKey), sink.name);
      assert.ok(Object.isFrozen(sink));
    }
  });

  it('gives every row its own dump_id and the batch one time_last_dumped', () => {
    const sink = findSink('course_enrollment') as Sink;
    const rows = [1, 2].map((id) => shapeRow(sink, { [KEY_FIELD]: id, id, course_key: 'c', created: null, is_active: 0, mode: 'audit', username: 'u', user_id: 3 }));
    const lines = Buffer.concat(encodeBatch(rows, DUMPED)).toString('utf8').split('\r\n').filter(Boolean);
    const dumpIds = lines.map((line) => line.split(',')[7]);
    assert.equal(new Set(dumpIds).size, 2);
    assert.ok(lines.every((line) => line.endsWith(`,"${DUMPED}"`)));
  });

  it('splits a large batch into pieces that join into the same rows', () => {
    const sink = findSink('course_enrollment') as Sink;
    const mode = 'ü'.repeat(600);
    const rows = Array.from({ length: 3000 }, (_, i) => shapeRow(sink, { [KEY_FIELD]: i + 1, id: i + 1, course_key: 'c', created: null, is_active: 1, mode, username: 'u', user_id: 3 }));
    const pieces = encodeBatch(rows, DUMPED);
    assert.ok(pieces.length >= 2);
    const lines = Buffer.concat(pieces).toString('utf8').split('\r\n').filter(Boolean);
    assert.equal(lines.length, 3000);
    lines.forEach((line, index) => assert.ok(line.startsWith(`${index + 1},"c","",True,"${mode}","u",3,`), `row ${index + 1}`));
  });

  it('names the object, key and column of a value it cannot format', () => {
    const sink = findSink('external_id') as Sink;
    assert.throws(() => shapeRow(sink, { [KEY_FIELD]: 9, external_user_id: 'not-a-uuid' } as never),
      /external_id pk 9, column external_user_id: not a valid UUID/);
  });

  it('does not compile a column without a formatter', () => {
    const sink = defineSink({
      ...(findSink('user_profile') as Sink),
      // @ts-expect-error every column needs a format function
      columns: [{ name: 'id', source: 'id' }],
    });
    assert.equal(sink.columns.length, 1);
    assert.equal(text('x').text, 'x');
  });
});
