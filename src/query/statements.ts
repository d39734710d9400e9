/** One statement of the SQL an operator gave: as written, and its code without comments or literal contents. */
export interface Statement {
  /** The statement as written (what runs, and what messages quote). */
  readonly text: string;
  /** Its code: comments blanked, every character of a literal or quoted name shown as its quote (for the checks below, never run). */
  readonly code: string;
}

/** Where a scan of the SQL is: in code, in a quoted literal or name, or in a comment. */
type Place = 'code' | "'" | '"' | '`' | 'line' | 'block';

const QUOTES = new Set(["'", '"', '`']);

/** The place the characters at `index` start, from code. */
function opening(sql: string, index: number): Place {
  const char = sql[index] as string;
  if (QUOTES.has(char)) return char as Place;
  if (sql.startsWith('--', index)) return 'line';
  if (sql.startsWith('/*', index)) return 'block';
  return 'code';
}

/** How many characters close `place` at `index` (0: it goes on). */
function closing(sql: string, index: number, place: Place): number {
  if (place === 'line') return sql[index] === '\n' ? 1 : 0;
  if (place === 'block') return sql.startsWith('*/', index) ? 2 : 0;
  return sql[index] === place ? 1 : 0;
}

/** The place of every character of `sql` (a literal's or comment's delimiters are its own). */
function places(sql: string): Place[] {
  const marks: Place[] = [];
  let place: Place = 'code';
  for (let index = 0; index < sql.length; index += 1) {
    const inside = place !== 'code';
    if (!inside) place = opening(sql, index);
    marks.push(place);
    // A backslash inside quotes escapes the next character; a comment opens with two.
    const pair = (inside && QUOTES.has(place) && sql[index] === '\\') || (!inside && (place === 'line' || place === 'block'));
    const length = inside && !pair ? closing(sql, index, place) : 0;
    if (pair || length === 2) {
      marks.push(place);
      index += 1;
    }
    if (length > 0) place = 'code';
  }
  return marks;
}

/** A character as the statement's code shows it: itself, its literal's quote, or a blank for a comment. */
function codeOf(char: string, place: Place): string {
  if (place === 'code') return char;
  return QUOTES.has(place) ? place : ' ';
}

/** Splits SQL into its statements at semicolons outside quotes and comments; empty statements are dropped. */
export function splitStatements(sql: string): Statement[] {
  const marks = places(sql);
  const statements: Statement[] = [];
  let [text, code] = ['', ''];
  for (let index = 0; index < sql.length; index += 1) {
    const char = sql[index] as string;
    const place = marks[index] ?? 'code';
    if (place === 'code' && char === ';') {
      statements.push({ text, code });
      [text, code] = ['', ''];
      continue;
    }
    text += char;
    code += codeOf(char, place);
  }
  statements.push({ text, code });
  return statements.map(trimmed).filter((statement) => statement.code !== '');
}

/** A statement without the blanks around it. */
function trimmed(statement: Statement): Statement {
  return { text: statement.text.trim(), code: statement.code.trim() };
}

/** Statements that return rows; anything else runs as a command. */
const RETURNS_ROWS = /^\(*\s*(SELECT|WITH|SHOW|DESCRIBE|DESC|EXISTS|EXPLAIN)\b/i;

/** Whether a statement returns rows (to print) rather than runs as a command. */
export function returnsRows(statement: Statement): boolean {
  return RETURNS_ROWS.test(statement.code);
}

/** The output format a statement names itself (`… FORMAT CSV`), if any. */
export function ownFormat(statement: Statement): string | undefined {
  return /\bFORMAT\s+([A-Za-z][A-Za-z0-9_]*)$/i.exec(statement.code)?.[1];
}

/** `USE name` (a plain name): the database later statements resolve unqualified names in. */
export function usedDatabase(statement: Statement): string | undefined {
  return /^USE\s+([A-Za-z_][A-Za-z0-9_]*)$/i.exec(statement.code)?.[1];
}

/** Whether a statement is `SET …` (a setting for the statements after it). */
export function setsSetting(statement: Statement): boolean {
  return /^SET\s/i.test(statement.code);
}
