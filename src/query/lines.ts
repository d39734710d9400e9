/** ClickHouse's TabSeparated escapes, undone. */
const ESCAPES: Readonly<Record<string, string>> = { b: '\b', f: '\f', r: '\r', n: '\n', t: '\t', 0: '\0', "'": "'", '\\': '\\' };

/** One TabSeparated field: its text, or null for `\N` (ClickHouse's NULL). */
export function decodeField(field: string): string | null {
  if (field === '\\N') return null;
  return field.includes('\\') ? field.replace(/\\(.)/g, (_, code: string) => ESCAPES[code] ?? code) : field;
}

/** A TabSeparated line as its fields. */
export function decodeLine(line: string): (string | null)[] {
  return line.split('\t').map(decodeField);
}

/** The lines of a text arriving in pieces (a line may span pieces), without their newlines. */
export async function* linesOf(pieces: AsyncIterable<string>): AsyncGenerator<string> {
  let rest = '';
  for await (const piece of pieces) {
    const lines = (rest + piece).split('\n');
    rest = lines.pop() ?? '';
    yield* lines;
  }
  if (rest !== '') yield rest;
}
