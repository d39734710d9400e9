import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import type { TestEventSink } from '../support/clickhouse.js';
import { BIN } from '../support/cli.js';
import type { TestLms } from '../support/env.js';
import { cliEnv, onLmsAndSink } from '../support/scenario.js';

const shellWord = (word: string): string => `'${word.replace(/'/g, `'\\''`)}'`;
/** The text a terminal shows: colours and cursor moves removed, lines split at CR and LF. */
const screenLines = (output: string): string[] => output.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '').split(/\r\n|\r|\n/).filter((line) => line.trim() !== '');

/** Runs the CLI on a pseudo-terminal `columns` wide (util-linux `script`); what it showed, and its exit code. */
function onTerminal(args: string[], env: Record<string, string>, columns = 80): Promise<{ code: number | null; lines: string[] }> {
  const command = `stty cols ${columns} rows 40; exec ${[process.execPath, BIN, ...args].map(shellWord).join(' ')}`;
  const child = spawn('script', ['-qefc', command, '/dev/null'], { env: { PATH: process.env.PATH ?? '', TERM: 'xterm', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString('utf8'); });
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, lines: screenLines(output) })));
}

// The progress bars as an operator sees them in a terminal, through a real pseudo-terminal.
describe('aspects dump on a terminal', () => {
  let lms: TestLms;
  let sink: TestEventSink;
  onLmsAndSink({ users: 30 }, (made) => ({ lms, sink } = made));

  it('a short --dry-run keeps every reason on screen, and the last bar whole within 80 columns', async () => {
    const { code, lines } = await onTerminal(['dump', '--object', 'external_id', '--ids', '12', '13', '14', '--dry-run', '--sleep-time', '0'], cliEnv(lms, sink));
    assert.equal(code, 0, lines.join('\n'));
    for (const id of [12, 13, 14]) assert.ok(lines.includes(`external_id ${id}: dump - not present in ClickHouse`), lines.join('\n'));
    const bars = lines.filter((line) => line.startsWith('external_id ') && line.includes(' rows | '));
    assert.ok(bars.length > 0, lines.join('\n'));
    assert.match(bars[bars.length - 1] as string, /3\/3 rows \| \d+ rows\/s \| ETA \S+$/);
    for (const line of lines) assert.ok(line.length <= 80, `longer than the terminal: ${line}`);
    assert.ok(lines.some((line) => /^external_id: success, read 3, would write 3 in 1 batch, \d+\.\ds, last pk 14$/.test(line)), lines.join('\n'));
  });

  it('a notice before the first bar (an object skipped) is shown too', async () => {
    const { code, lines } = await onTerminal(['dump', '--object', 'all', '--dry-run', '--sleep-time', '0'], { ...cliEnv(lms, sink), ASPECTS_ENABLE_PII: 'false' });
    assert.equal(code, 0, lines.join('\n'));
    assert.ok(lines.some((line) => line.endsWith('skipping user_profile: holds PII and ASPECTS_ENABLE_PII is not true')), lines.join('\n'));
  });

  it('a narrow terminal gets a shorter line (no ETA, then no rate), never one cut mid-word', async () => {
    for (const columns of [70, 44]) {
      const { code, lines } = await onTerminal(['dump', '--object', 'course_enrollment', '--force', '--sleep-time', '0', '--batch-size', '10'], cliEnv(lms, sink), columns);
      assert.equal(code, 0, lines.join('\n'));
      const bars = lines.filter((line) => line.startsWith('course_enrollment ') && line.includes(' rows'));
      assert.ok(bars.length > 0, lines.join('\n'));
      // Before the first batch there is no rate to show: '-', never a made-up 0 rows/s or an ETA of INF/NaN.
      assert.ok(!lines.some((line) => /\bNF|NaN|Infinity|INF\b/.test(line)), lines.join('\n'));
      for (const bar of bars) {
        assert.ok(bar.length <= columns, `longer than ${columns} columns: ${bar}`);
        assert.match(bar, columns === 70 ? / \d+\/\d+ rows \| (\d+|-) rows\/s$/ : / \d+\/\d+ rows$/);
      }
    }
  });
});
