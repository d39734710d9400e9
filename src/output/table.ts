/** Rows as a plain text table: a header line, then one line per row, columns padded. */
export function textTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  // A reduce, not Math.max(...): a spread of a huge table's rows overflows the call stack.
  const widths = header.map((title, index) => rows.reduce((widest, row) => Math.max(widest, (row[index] ?? '').length), title.length));
  const line = (cells: readonly string[]) => cells.map((cell, index) => cell.padEnd(widths[index] ?? 0)).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
