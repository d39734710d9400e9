import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { messageOf } from '../../src/errors.js';
import type { SourceValue } from '../../src/format/values.js';
import { formatVersion } from '../../src/pipeline/fingerprint.js';
import type { Sink } from '../../src/sinks/types.js';
import { SINKS } from '../../src/sinks/index.js';

/**
 * Rows are skipped when the MySQL fingerprint of their source fields is unchanged, so a change to
 * how a read column is formatted would go unnoticed by rows already written: the sink's
 * formatVersion must go up with it (computed columns are in the fingerprint already). This digest
 * of each sink's read columns over hostile values records the formatting each version stands for.
 */
const DIGESTS: Readonly<Record<string, Readonly<Record<number, string>>>> = {
  // Version 1 of the others: a date MySQLdb cannot build, written as None since, used to fail the run (no row had it).
  course_enrollment: { 1: '6dfd51cb549e39b3f42713987858b942cb4a7d4e30a0e4dbd618c927fca37659' },
  course_overviews: { 1: '3393b3fdc527f30a2a3c794af4876ee91d5888e6fe46e2d44ad4e425ac05a44e' },
  external_id: { 1: 'd0cf92663f3b05ef34dd95d2815a19ee0d0865ac11fcdfc128be38e136711512' },
  object_tag: { 1: 'c0b18f5187c8519c7c8706c0d742b29a78f27294464f30cd1c5c2cb95236486e' },
  tag: { 1: '1cecf93c19d40267ac05bacfba7f90cf6089b5841680895bf3afb7be5c388807' },
  taxonomy: { 1: '5879889ce9ad730ad47cff88aed9bef3d6a1c2f912fad8ddd0b1ae492397e080' },
  // 2: the country as django-countries normalises it ('us' was written as 'us').
  user_profile: { 2: 'ca8c27d0eae6e27f77d74640a023f4276df12cc4ae52600419d00664c7902b13' },
};

const SAMPLES: readonly SourceValue[] = [
  null, undefined, '', 'plain', 'quote "x" and \\ backslash', 'new\nline\r\n', '\t tab\u0000nul', 'ü ñ 中文 😀 \u2028',
  ' trailing \n', '0', '-17', '007', '12345678901234567890', '2024-04-30 17:05:09.101112', '2024-04-30 17:05:09',
  '2024-04-30 17:05:09.000000', '0000-00-00 00:00:00', '2020-00-10 10:00:00', 'course-v1:edX+DemoX+2024\n  ', 'None',
  'us', 'Fr', '04', '40', 'zz', 'usa',
  'urn:uuid:{12345678-1234-5678-1234-567812345678}', '1234567812345678123456781234567X', '0x1234567812345678123456781234567',
  Buffer.from([0xff, 0x41, 0x22]), 1, 0, -1, true, false, 42n,
];

/** Every read column of one sink over every sample: the cell, or the error it raises. */
function formattedSamples(sink: Sink): string {
  const lines: string[] = [];
  for (const column of sink.columns) {
    if (typeof column.source !== 'string') continue;
    for (const sample of SAMPLES) {
      let result: string;
      try {
        const cell = column.format(sample);
        result = `${cell.quoted ? 'quoted' : 'bare'} ${JSON.stringify(cell.text)}`;
      } catch (error) {
        result = `error ${messageOf(error)}`;
      }
      lines.push(`${sink.name}.${column.name} ${String(sample)} -> ${result}`);
    }
  }
  return createHash('sha256').update(lines.join('\n')).digest('hex');
}

describe('the fingerprint format version', () => {
  for (const sink of SINKS) {
    it(`${sink.name}: stands for the formatting of its read columns as it is (raise its formatVersion when it changes)`, () => {
      const digest = formattedSamples(sink);
      assert.equal(DIGESTS[sink.name]?.[formatVersion(sink)], digest,
        `formatted output of ${sink.name} changed: raise its formatVersion (src/sinks/${sink.name}.ts) and record ${digest} for it here`);
    });
  }
});
