import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { csvAsTabSeparated } from '../../src/clickhouse/csv-to-tsv.js';
import { djangoCountry } from '../../src/format/country.js';
import { buildableDatetime } from '../../src/format/datetime.js';
import { drfTimestamp, pythonTimestamp } from '../../src/format/values.js';

/** Whether CPython's datetime can hold each `YYYY-MM-DD hh:mm:ss` text (what MySQLdb tries; None where it cannot). */
function pythonBuilds(texts: readonly string[]): boolean[] {
  const script = `import json, sys, datetime
def builds(text):
    try:
        datetime.datetime(int(text[0:4]), int(text[5:7]), int(text[8:10]), int(text[11:13]), int(text[14:16]), int(text[17:19]))
        return True
    except ValueError:
        return False
print(json.dumps([builds(t) for t in json.load(sys.stdin)]))`;
  const result = spawnSync('python3', ['-c', script], { input: JSON.stringify(texts), encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`python3 is needed: ${result.error?.message ?? result.stderr}`);
  return JSON.parse(result.stdout) as boolean[];
}

describe('legacy MySQL datetimes, as MySQLdb and Django hand them to the plugin', () => {
  it('a date Python cannot build (zero date, zero month or day, 31 April, 29 February of a common year, year 0) is None; any other is kept', () => {
    const texts = ['0000-00-00 00:00:00', '2020-00-10 10:00:00', '2020-01-00 10:00:00', '0000-01-01 00:00:00', '0001-01-01 00:00:00',
      '9999-12-31 23:59:59', '2021-02-29 12:00:00', '2020-02-29 12:00:00', '1900-02-29 00:00:00', '2000-02-29 00:00:00',
      '2020-04-31 00:00:00', '2020-04-30 00:00:00', '2020-13-01 00:00:00', '2020-12-31 00:00:00', '2019-06-31 08:00:00'];
    const builds = pythonBuilds(texts);
    texts.forEach((text, index) => assert.equal(buildableDatetime(`${text}.000001`) !== null, builds[index], text));
  });

  it('is written as NULL is: the empty string in the DRF and str() columns', () => {
    for (const zero of ['0000-00-00 00:00:00', '2020-00-10 10:00:00.500000']) {
      assert.equal(drfTimestamp(zero), drfTimestamp(null));
      assert.equal(pythonTimestamp(zero), pythonTimestamp(null));
    }
    assert.notEqual(drfTimestamp('2020-02-29 10:00:00'), drfTimestamp(null));
  });
});

/** str(Country(code)) for each code, computed by the real django-countries (Debian's python3-django-countries). */
function djangoCountries(codes: readonly string[]): string[] {
  const script = `import json, sys
from django.conf import settings
settings.configure()
from django_countries.fields import Country
print(json.dumps([str(Country(code=c)) for c in json.load(sys.stdin)]))`;
  const result = spawnSync('/usr/bin/python3', ['-c', script], { input: JSON.stringify(codes), encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`Debian's python3-django-countries is needed (apt-get install python3-django-countries): ${result.error?.message ?? result.stderr}`);
  return JSON.parse(result.stdout) as string[];
}

describe('a stored country, as django-countries hands it to the plugin', () => {
  it('is upper-cased, looked up by numeric or alpha-3 code, and kept as stored when no country has it', () => {
    const numbers = Array.from({ length: 1000 }, (_, index) => String(index));
    const codes = [...numbers, ...numbers.map((number) => number.padStart(3, '0')), ...numbers.slice(0, 100).map((number) => number.padStart(2, '0')),
      'us', 'Fr', 'fR', 'gb', 'uk', 'xk', 'eu', 'zz', 'aa', '', ' us', 'us ', 'u', 'usa', 'Usa', 'gbr', 'xkx', 'abc', 'ß', 'ǆ', '٠٤', '۰۴۰', '४', '𝟎𝟒', '𝟬𝟒',
      '0004', '00000000000000000040', '+4', '-4', '4.0', 'None', 'a\u0000'];
    const expected = djangoCountries(codes);
    codes.forEach((code, index) => assert.equal(djangoCountry(code), expected[index], JSON.stringify(code)));
    assert.equal(djangoCountry(null), null);
  });
});

describe('bodies for the embedded engine, rewritten as TabSeparated', () => {
  it('keeps every value, escaping what TabSeparated must, quotes undoubled, empty fields empty', () => {
    const csv = '"\n\n","a\n\nb",7,True,""\r\n"say ""hi""\t\\","\0\r\n",,-1,"x,y"\r\n';
    assert.equal(csvAsTabSeparated(csv), '\\n\\n\ta\\n\\nb\t7\tTrue\t\nsay "hi"\\t\\\\\t\\0\\r\\n\t\t-1\tx,y\n');
    assert.equal(csvAsTabSeparated(''), '');
    assert.equal(csvAsTabSeparated('"unterminated\n'), 'unterminated\\n\n');
  });
});
