import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bare, encodeRow, quoted } from '../../src/format/cell.js';
import { drfDatetime, nowPythonDatetime, pythonDatetime, pythonIsoDatetime } from '../../src/format/datetime.js';
import { dashedUuid } from '../../src/format/uuid.js';
import { boolean, drfTimestamp, integer, text, uuidString } from '../../src/format/values.js';

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

describe('UUIDs', () => {
  it('dashes char(32) and normalises dashed or upper-case values', () => {
    const want = '32e08e30-f8ae-4ce2-94a8-c2bfe38a70cb';
    assert.equal(dashedUuid('32e08e30f8ae4ce294a8c2bfe38a70cb'), want);
    assert.equal(dashedUuid('32E08E30-F8AE-4CE2-94A8-C2BFE38A70CB'), want);
    assert.equal(dashedUuid(want), want);
  });

  it('refuses malformed values', () => {
    for (const bad of ['', 'zz08e30f8ae4ce294a8c2bfe38a70cb1', '32e08e30f8ae4ce294a8c2bfe38a70c', '{32e08e30-f8ae-4ce2-94a8-c2bfe38a70cb}', '32e08e30f8ae-4ce2-94a8-c2bfe38a70cb']) {
      assert.throws(() => dashedUuid(bad), /not a valid UUID/, bad);
    }
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
