/**
 * The embedded engine's raw insert takes a CSV body as inline query data, which ends at the first
 * empty line: a quoted value holding "\n\n" cut the insert there. Bodies for it are therefore
 * rewritten as TabSeparated, where every newline inside a value is escaped.
 */

const TSV_ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r', '\0': '\\0', '\b': '\\b', '\f': '\\f',
};

/** A value as TabSeparated writes it (backslash escapes). */
function escaped(value: string): string {
  return value.replace(/[\\\t\n\r\0\b\f]/g, (char) => TSV_ESCAPES[char] as string);
}

/** The quoted field starting at `start` (its opening quote): its value and where it ends. */
function quotedField(csv: string, start: number): { value: string; end: number } {
  let value = '';
  let index = start + 1;
  for (;;) {
    const quote = csv.indexOf('"', index);
    if (quote < 0) return { value: value + csv.slice(index), end: csv.length };
    value += csv.slice(index, quote);
    if (csv[quote + 1] !== '"') return { value, end: quote + 1 };
    value += '"';
    index = quote + 2;
  }
}

/** The bare field starting at `start`: up to the next comma or line end. */
function bareField(csv: string, start: number): { value: string; end: number } {
  const match = /[,\r\n]/g;
  match.lastIndex = start;
  const found = match.exec(csv);
  const end = found ? found.index : csv.length;
  return { value: csv.slice(start, end), end };
}

/** A CSV body (fields quoted with doubled quotes, or bare; rows ending in \r\n or \n) as TabSeparated rows ending in \n. */
export function csvAsTabSeparated(csv: string): string {
  let out = '';
  let index = 0;
  while (index < csv.length) {
    const field = csv[index] === '"' ? quotedField(csv, index) : bareField(csv, index);
    out += escaped(field.value);
    index = field.end;
    if (csv[index] === ',') {
      out += '\t';
      index += 1;
      continue;
    }
    if (csv[index] === '\r') index += 1;
    if (csv[index] === '\n') index += 1;
    out += '\n';
  }
  return out;
}
