import { encodeCell, quoted } from '../format/cell.js';
import { decodeLine, linesOf } from './lines.js';
import type { Output } from './output.js';

/** How `aspects query` prints results: the format it asks the engine for, and what it makes of it. */
export interface ResultPrinter {
  /** The engine's output format this printer reads. */
  readonly engineFormat: string;
  /** Prints the result of a statement that returns rows, from the engine's output. */
  rows(output: AsyncIterable<string>): Promise<void>;
  /** Notes a statement that returned nothing. */
  command(): Promise<void>;
  /** Prints a statement's output as the engine wrote it (the statement named its own FORMAT). */
  raw(output: AsyncIterable<string>): Promise<void>;
  /** Ends the printout, after every statement ran or after one failed. */
  end(): Promise<void>;
}

/** How ClickHouse's own client shows NULL in its pretty formats. */
export const TABLE_NULL = 'ᴺᵁᴸᴸ';

/** Table rows are aligned over windows of this many rows: memory stays bounded whatever the result's size. */
const TABLE_WINDOW = 1000;

/** One line of a text table: cells padded to the column widths, two blanks apart. */
function tableLine(cells: readonly string[], widths: readonly number[]): string {
  return cells.map((cell, index) => cell.padEnd(widths[index] ?? 0)).join('  ').trimEnd();
}

/** Widens `widths` to fit every row (a loop: a result may have any number of rows). */
function widen(widths: number[], rows: readonly (readonly string[])[]): void {
  for (const row of rows) row.forEach((cell, index) => { widths[index] = Math.max(widths[index] ?? 0, cell.length); });
}

/**
 * Prints one result (its header line first) as a text table. Columns are as wide as the widest
 * cell of the rows printed so far and the window being printed; a later window may widen them.
 */
async function printTable(output: AsyncIterable<string>, out: Output): Promise<void> {
  const widths: number[] = [];
  let window: string[][] = [];
  let lines = 0;
  const flush = async () => {
    widen(widths, window);
    for (const row of window) await out.line(tableLine(row, widths));
    window = [];
  };
  for await (const line of linesOf(output)) {
    window.push(decodeLine(line).map((cell) => cell ?? TABLE_NULL));
    lines += 1;
    if (window.length > TABLE_WINDOW) await flush();
  }
  if (lines <= 1) await out.line('(no rows)');
  else await flush();
}

/** One CSV line: every value quoted, NULL as ClickHouse's CSV writes it (\N, bare). */
function csvLine(cells: readonly (string | null)[]): string {
  return cells.map((cell) => (cell === null ? '\\N' : encodeCell(quoted(cell)))).join(',');
}

/** The output, after `separate` ran once it holds something (or once it ended empty): a failure before it leaves no separator. */
async function* separatedFrom(output: AsyncIterable<string>, separate: () => Promise<void>): AsyncGenerator<string> {
  let first = true;
  for await (const piece of output) {
    if (first) await separate();
    first = false;
    yield piece;
  }
  if (first) await separate();
}

/** Printers of results one after another, a blank line between two (table, CSV). */
function sequentialPrinter(engineFormat: string, print: (output: AsyncIterable<string>) => Promise<void>, out: Output): ResultPrinter {
  let results = 0;
  const separate = async () => { if (results++ > 0) await out.line(''); };
  return {
    engineFormat,
    rows: (output) => print(separatedFrom(output, separate)),
    raw: async (output) => { for await (const piece of separatedFrom(output, separate)) await out.write(piece); },
    command: async () => undefined,
    end: () => out.flush(),
  };
}

export function tablePrinter(out: Output): ResultPrinter {
  return sequentialPrinter('TabSeparatedWithNames', (output) => printTable(output, out), out);
}

export function csvPrinter(out: Output): ResultPrinter {
  const print = async (output: AsyncIterable<string>) => { for await (const line of linesOf(output)) await out.line(csvLine(decodeLine(line))); };
  return sequentialPrinter('TabSeparatedWithNames', print, out);
}

/**
 * One JSON document: a statement's rows as an array of objects (ClickHouse's JSONEachRow
 * objects), or with several statements an array of such arrays. Brackets are opened with the
 * first thing inside them, so a statement that failed before printing leaves nothing behind, and
 * `end` closes whatever is open, so even a run that failed part-way leaves a document.
 */
export function jsonPrinter(out: Output, statements: number): ResultPrinter {
  const nested = statements > 1;
  const open = { outer: false, inner: false };
  const startResult = async () => {
    if (nested) await out.write(open.outer ? ',\n' : '[');
    open.outer = true;
  };
  const rows = async (output: AsyncIterable<string>) => {
    for await (const line of linesOf(output)) {
      if (!open.inner) await startResult();
      await out.write(open.inner ? `,\n${line}` : `[${line}`);
      open.inner = true;
    }
    if (!open.inner) await startResult();
    await out.write(open.inner ? ']' : '[]');
    open.inner = false;
  };
  return {
    engineFormat: 'JSONEachRow',
    rows,
    command: () => rows(noOutput()),
    raw: () => Promise.reject(new Error('a statement\'s own FORMAT cannot go into a JSON document')),
    end: async () => {
      await out.write((open.inner ? ']' : '') + (nested && open.outer ? ']' : ''));
      if (out.written) await out.line('');
      await out.flush();
    },
  };
}

/** The output of a statement that printed nothing. */
async function* noOutput(): AsyncGenerator<string> {
  // Nothing to yield.
}
