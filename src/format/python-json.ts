/**
 * JSON text exactly as Python's `json.dumps` writes it with default settings:
 * separators ", " and ": ", non-ASCII escaped as lower-case \uXXXX (ensure_ascii), keys in
 * insertion order, floats keeping a ".0" when whole, `true`/`false`/`null`.
 */

/** A Python float: rendered with a fraction even when whole (1.0, not 1). */
export interface PythonFloat {
  readonly float: number;
}

/** Values `pythonJson` can render. */
export type PythonJsonValue =
  | string | number | boolean | null | PythonFloat
  | readonly PythonJsonValue[] | { readonly [key: string]: PythonJsonValue };

/** Marks a number as a Python float. */
export function pyFloat(value: number): PythonFloat {
  return { float: value };
}

const SHORT_ESCAPES: Readonly<Record<string, string>> = {
  '"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f',
};

function escapeChar(char: string): string {
  const short = SHORT_ESCAPES[char];
  if (short !== undefined) return short;
  return `\\u${(char.charCodeAt(0)).toString(16).padStart(4, '0')}`;
}

/** A JSON string literal with ensure_ascii: each UTF-16 unit outside space..tilde escaped (DEL too). */
export function pythonJsonString(text: string): string {
  return `"${text.replace(/["\\\u0000-\u001f\u007f-\uffff]/g, escapeChar)}"`;
}

/** Python's repr() of a float: shortest round-trip digits, exponent as e-05 / e+16. */
export function pythonFloatRepr(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e16)) {
    const [mantissa, exponent = '0'] = value.toExponential().split('e');
    const power = Number(exponent);
    return `${mantissa}e${power < 0 ? '-' : '+'}${String(Math.abs(power)).padStart(2, '0')}`;
  }
  const text = String(value);
  return text.includes('.') || text.includes('e') ? text : `${text}.0`;
}

function isFloat(value: PythonJsonValue): value is PythonFloat {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && 'float' in value
    && typeof (value as PythonFloat).float === 'number' && Object.keys(value).length === 1;
}

/** Renders `value` as Python's json.dumps would. */
export function pythonJson(value: PythonJsonValue): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return pythonJsonString(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : pythonFloatRepr(value);
  if (isFloat(value)) return pythonFloatRepr(value.float);
  if (Array.isArray(value)) return `[${(value as readonly PythonJsonValue[]).map(pythonJson).join(', ')}]`;
  const entries = Object.entries(value as Record<string, PythonJsonValue>);
  return `{${entries.map(([key, item]) => `${pythonJsonString(key)}: ${pythonJson(item)}`).join(', ')}}`;
}
