/**
 * Python's notion of whitespace (str.isspace(), what str.strip() and str.rstrip() remove):
 * the ASCII controls \t \n \v \f \r and \x1c–\x1f, the space, and the Unicode spaces.
 */
const PYTHON_SPACE = /[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/u;
const TRAILING_PYTHON_SPACE = new RegExp(`${PYTHON_SPACE.source}+$`, 'u');

/** Whether one character is whitespace to Python. */
export function isPythonSpace(char: string): boolean {
  return PYTHON_SPACE.test(char);
}

/** Python's `text.rstrip()`. */
export function pythonRstrip(text: string): string {
  return text.replace(TRAILING_PYTHON_SPACE, '');
}

/** Python's `text.strip(chars)` for a set of plain characters. */
export function pythonStrip(text: string, chars: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && chars.includes(text[start] as string)) start += 1;
  while (end > start && chars.includes(text[end - 1] as string)) end -= 1;
  return text.slice(start, end);
}

const DECIMAL_DIGIT = /\p{Nd}/u;

/**
 * The value of a Unicode decimal digit (category Nd), which Python's int() accepts like 0–9.
 * Unicode encodes every decimal digit set as a contiguous run starting at its zero.
 */
function decimalValue(char: string): number | undefined {
  if (!DECIMAL_DIGIT.test(char)) return undefined;
  const code = char.codePointAt(0) as number;
  let start = code;
  while (DECIMAL_DIGIT.test(String.fromCodePoint(start - 1))) start -= 1;
  return (code - start) % 10;
}

/** CPython's first step of int(str): ASCII kept, Unicode spaces to ' ', Unicode digits to 0–9. */
function asciiForInt(text: string): string | undefined {
  let ascii = '';
  for (const char of text) {
    if ((char.codePointAt(0) as number) < 127) ascii += char;
    else if (isPythonSpace(char)) ascii += ' ';
    else {
      const digit = decimalValue(char);
      if (digit === undefined) return undefined;
      ascii += String(digit);
    }
  }
  return ascii;
}

const HEX_INT = /^[ \t\n\v\f\r]*([+-]?)(?:0[xX]_?)?([0-9a-fA-F]+(?:_[0-9a-fA-F]+)*)[ \t\n\v\f\r]*$/;

/** Python's `int(text, 16)`, or undefined where Python raises ValueError. */
export function pythonHexInt(text: string): bigint | undefined {
  const ascii = asciiForInt(text);
  const match = ascii === undefined ? null : HEX_INT.exec(ascii);
  if (!match) return undefined;
  const magnitude = BigInt(`0x${(match[2] as string).replaceAll('_', '')}`);
  return match[1] === '-' ? -magnitude : magnitude;
}
