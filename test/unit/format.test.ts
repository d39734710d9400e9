import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bare, encodeRow, quoted } from '../../src/format/cell.js';
import { drfDatetime, nowPythonDatetime, pythonDatetime, pythonIsoDatetime } from '../../src/format/datetime.js';
import { dashedUuid } from '../../src/format/uuid.js';
import { boolean, courseKey, drfTimestamp, integer, text, uuidString } from '../../src/format/values.js';

describe('datetime formats (contract §3.0)', () => {
  it('renders DRF ISO-Z with the fraction only when non-zero', () => {
    assert.equal(drfDatetime('2024-04-30 17:05:09.101112'), '2024-04-30T17:05:09.101112Z');
    assert.equal(drfDatetime('2019-12-01 00:00:00.000000'), '2019-12-01T00:00:00Z');
    assert.equal(drfDatetime('2019-12-01 00:00:00'), '2019-12-01T00:00:00Z');
    assert.equal(drfDatetime('2024-04-30 17:05:09.5'), '2024-04-30T17:05:09.500000Z');
  });

  it('renders Python str() and isoformat() with +00:00', () => {
    assert.equal(pythonDatetime('2024-05-01 12:34:56.789012'), '2024-05-01 12:34:56.789012+00:00');
    assert.equal(pythonDatetime('2024-05-01 12:34:56.000000'), '2024-05-01 12:34:56+00:00');
    assert.equal(pythonIsoDatetime('2019-11-01 12:00:00'), '2019-11-01T12:00:00+00:00');
  });

  it('stamps time_last_dumped like str(timezone.now())', () => {
    assert.equal(nowPythonDatetime(Date.UTC(2024, 4, 1, 12, 34, 56, 789) + 0.012), '2024-05-01 12:34:56.789012+00:00');
    assert.equal(nowPythonDatetime(Date.UTC(2024, 4, 1, 12, 34, 56)), '2024-05-01 12:34:56+00:00');
    assert.match(nowPythonDatetime(), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?\+00:00$/);
  });

  it('refuses values that are not datetimes', () => {
    assert.throws(() => drfDatetime('0000-00-00 00:00:00'), /not a valid datetime/);
    assert.throws(() => drfDatetime('yesterday'), /not a valid datetime/);
  });
});

describe('UUIDs as str(uuid.UUID(hex=value)) writes them', () => {
  it('dashes char(32) and normalises dashed or upper-case values', () => {
    const want = '32e08e30-f8ae-4ce2-94a8-c2bfe38a70cb';
    assert.equal(dashedUuid('32e08e30f8ae4ce294a8c2bfe38a70cb'), want);
    assert.equal(dashedUuid('32E08E30-F8AE-4CE2-94A8-C2BFE38A70CB'), want);
    assert.equal(dashedUuid(want), want);
  });

  it('accepts every spelling Python accepts, with the value Python gives (CPython 3.11 output)', () => {
    const cases: readonly [string, string][] = [
      ['urn:uuid:0f1e6f1e-6f1e-6f1e-6f1e-6f1e6f1e6f1e', '0f1e6f1e-6f1e-6f1e-6f1e-6f1e6f1e6f1e'],
      ['{0F1E6F1E6F1E6F1E6F1E6F1E6F1E6F1E}', '0f1e6f1e-6f1e-6f1e-6f1e-6f1e6f1e6f1e'],
      ['{{22222222222222222222222222222222}', '22222222-2222-2222-2222-222222222222'],
      ['uuid:urn:11111111111111111111111111111111', '11111111-1111-1111-1111-111111111111'],
      ['32e08e30f8ae-4ce2-94a8-c2bfe38a70cb', '32e08e30-f8ae-4ce2-94a8-c2bfe38a70cb'],
      [`0x${'f'.repeat(30)}`, '00ffffff-ffff-ffff-ffff-ffffffffffff'],
      [`${' '.repeat(31)}f`, '00000000-0000-0000-0000-00000000000f'],
      [`+${'a'.repeat(31)}`, '0aaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa'],
      [`0x_${'1'.repeat(29)}`, '00011111-1111-1111-1111-111111111111'],
      [`${'a'.repeat(16)}_${'b'.repeat(15)}`, '0aaaaaaa-aaaa-aaaa-abbb-bbbbbbbbbbbb'],
      ['\u0663'.repeat(32), '33333333-3333-3333-3333-333333333333'],
      [`\u3000${'1'.repeat(31)}`, '01111111-1111-1111-1111-111111111111'],
      [`${'1'.repeat(31)}\u0085`, '01111111-1111-1111-1111-111111111111'],
    ];
    for (const [stored, want] of cases) assert.equal(dashedUuid(stored), want, JSON.stringify(stored));
  });

  it('refuses what Python refuses', () => {
    const bad = ['', 'zz08e30f8ae4ce294a8c2bfe38a70cb1', '32e08e30f8ae4ce294a8c2bfe38a70c', `\x1c${'1'.repeat(31)}`,
      `_${'1'.repeat(31)}`, `${'1'.repeat(15)}__${'1'.repeat(15)}`, `+ ${'1'.repeat(30)}`, `0x${'1'.repeat(31)}`, 'not-a-uuid-at-all-but-32-chars!!'];
    for (const value of bad) assert.throws(() => dashedUuid(value), /not a valid UUID/, JSON.stringify(value));
  });
});

describe('course keys as CourseKeyField reads them', () => {
  it('strips trailing whitespace only from a value ending in a newline; empty or NULL is None', () => {
    assert.deepEqual(courseKey('course-v1:OrgX+C1+R1\n'), quoted('course-v1:OrgX+C1+R1'));
    assert.deepEqual(courseKey('course-v1:OrgX+C1+R1\r\n'), quoted('course-v1:OrgX+C1+R1'));
    assert.deepEqual(courseKey('course-v1:OrgX+C1+R1 \t\u3000\n\n'), quoted('course-v1:OrgX+C1+R1'));
    assert.deepEqual(courseKey('course-v1:OrgX+C1+R1 '), quoted('course-v1:OrgX+C1+R1 '));
    assert.deepEqual(courseKey('course-v1:OrgX+C1+R1\r'), quoted('course-v1:OrgX+C1+R1\r'));
    assert.deepEqual(courseKey(''), quoted('None'));
    assert.deepEqual(courseKey(null), quoted('None'));
    assert.deepEqual(courseKey('\n'), quoted(''));
  });
});

describe('cells and CSV rows', () => {
  it('quotes strings, doubles quotes, leaves newlines raw, writes None as ""', () => {
    assert.equal(encodeRow([text('Learn "stuff", fast'), text(null), text('a\nb\tc\\d'), integer(42), integer(null)]),
      '"Learn ""stuff"", fast","","a\nb\tc\\d",42,""\r\n');
  });

  it('writes booleans bare as True/False and UUID strings quoted', () => {
    assert.equal(encodeRow([boolean(1), boolean(0), uuidString('32e08e30f8ae4ce294a8c2bfe38a70cb')]),
      'True,False,"32e08e30-f8ae-4ce2-94a8-c2bfe38a70cb"\r\n');
    assert.deepEqual(drfTimestamp(null), quoted(''));
    assert.deepEqual(bare('x'), { text: 'x', quoted: false });
  });

  it('refuses non-integers in integer columns', () => {
    assert.throws(() => integer('12abc'), /not an integer/);
  });
});
