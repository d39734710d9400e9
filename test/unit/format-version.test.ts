import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { messageOf } from '../../src/errors.js';
import type { SourceValue } from '../../src/format/values.js';
import { FORMAT_VERSION } from '../../src/pipeline/fingerprint.js';
import { SINKS } from '../../src/sinks/index.js';

/**
 * Rows are skipped when the MySQL fingerprint of their source fields is unchanged, so a change to
 * how a read column is formatted would go unnoticed by rows already written: FORMAT_VERSION must
 * go up with it (computed columns are in the fingerprint already). This digest of every read
 * column's formatter over hostile values records the formatting each version stands for.
 */
const DIGESTS: Readonly<Record<number, string>> = {
  1: '9734295764777be2cecc3353a731b299449ce49769b7b697c33df8c8ecbb14b5',
};

const SAMPLES: readonly SourceValue[] = [
  null, undefined, '', 'plain', 'quote "x" and \\ backslash', 'new\nline\r\n', '\t tab\u0000nul', 'ü ñ 中文 😀 \u2028',
  ' trailing \n', '0', '-17', '007', '12345678901234567890', '2024-04-30 17:05:09.101112', '2024-04-30 17:05:09',
  '2024-04-30 17:05:09.000000', '0000-00-00 00:00:00', 'course-v1:edX+DemoX+2024\n  ', 'None',
  'urn:uuid:{12345678-1234-5678-1234-567812345678}', '1234567812345678123456781234567X', '0x1234567812345678123456781234567',
  Buffer.from([0xff, 0x41, 0x22]), 1, 0, -1, true, false, 42n,
];

/** Every read column of every sink over every sample: the cell, or the error it raises. */
function formattedSamples(): string {
  const lines: string[] = [];
  for (const sink of SINKS) {
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
  }
  return createHash('sha256').update(lines.join('\n')).digest('hex');
}

describe('the fingerprint format version', () => {
  it('stands for the formatting of read columns as it is (bump FORMAT_VERSION when it changes)', () => {
    const digest = formattedSamples();
    assert.equal(DIGESTS[FORMAT_VERSION], digest,
      `formatted output changed: raise FORMAT_VERSION in src/pipeline/fingerprint.ts and record ${digest} for it here`);
  });
});
