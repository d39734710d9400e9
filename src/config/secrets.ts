/**
 * Keeps secrets out of every message: the CLI's error printer and the reporters pass all text
 * through `redact`. A secret is found two ways:
 * - by place: the password of URL userinfo, credential headers, Bearer tokens, `password=`-like
 *   pairs and JSON/YAML fields whose key names a secret are hidden whatever their value;
 * - by value: a registered secret that cannot be mistaken for ordinary text (see `isDistinctive`)
 *   is hidden wherever it occurs, in any URL-encoded or JSON-escaped spelling. A weak one (`1`,
 *   `default`, `superset`: also a digit, user, host or database name) is hidden only in those
 *   places, or right after a word naming it ("refresh token r rejected"), so it never mangles
 *   `127.0.0.1`, `as default` or `course-dashboard`.
 */

const MASK = '***';

/** Registered secrets hidden anywhere, and those hidden only where a secret is expected. */
const distinctive = new Set<string>();
const weak = new Set<string>();

/** The registered secrets' patterns, rebuilt when one is registered (undefined: none of the kind). */
let distinctivePattern: RegExp | undefined;
let weakPattern: RegExp | undefined;

/** Remember a secret for redaction; any URL-encoded or JSON-escaped spelling of it is hidden too. */
export function registerSecret(secret: string | undefined): void {
  if (!secret) return;
  (isDistinctive(secret) ? distinctive : weak).add(secret);
  distinctivePattern = anySpellingOf(distinctive, '', '');
  weakPattern = anySpellingOf(weak, A_SECRET_WORD, BEFORE_WORD_END);
}

/** `text` with every secret in a secret's place, and every distinctive registered secret, replaced by `***`. */
export function redact(text: string): string {
  const withoutValues = distinctivePattern ? text.replace(distinctivePattern, MASK) : text;
  const withoutPlaces = PLACES.reduce((clean, hide) => hide(clean), withoutValues);
  return weakPattern ? withoutPlaces.replace(weakPattern, `$1${MASK}`) : withoutPlaces;
}

/** Any secret this long is hidden everywhere: that many characters are no word or name of a message by chance. */
const LONG_SECRET = 16;

/** Shorter ones are hidden everywhere from this length when they mix letters with digits or symbols. */
const MIXED_SECRET = 8;

/**
 * Whether `secret` cannot be mistaken for ordinary text: long, or mixing letters with digits or
 * symbols. `-`, `_` and `.` do not count: `ch_cms`, `openedx-lms` or `127.0.0.1` are names.
 */
export function isDistinctive(secret: string): boolean {
  const length = [...secret].length;
  if (length >= LONG_SECRET) return true;
  return length >= MIXED_SECRET && /\p{L}/u.test(secret) && /[^\p{L}._-]/u.test(secret);
}

// ---- by value ---------------------------------------------------------------------------------

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** One hex digit in either case (`%2f` and `%2F` are the same byte). */
function hexDigit(value: number): string {
  const digit = value.toString(16);
  return digit === digit.toUpperCase() ? digit : `[${digit}${digit.toUpperCase()}]`;
}

/** A character as it may be written: itself, percent-encoded (UTF-8), JSON-escaped, `+` for a space. */
function characterSpellings(character: string): string {
  const percent = [...Buffer.from(character, 'utf8')].map((byte) => `%${hexDigit(byte >> 4)}${hexDigit(byte & 15)}`).join('');
  const spellings = new Set([escapeRegExp(character), percent, escapeRegExp(JSON.stringify(character).slice(1, -1))]);
  if (character === ' ') spellings.add('\\+');
  return `(?:${[...spellings].join('|')})`;
}

/** The secret in any mix of literal, URL-encoded and JSON-escaped characters. */
const spellingsOf = (secret: string): string => [...secret].map(characterSpellings).join('');

/** One pattern for all `secrets` between `before` and `after`, longest first (so one containing a shorter one is hidden whole). */
function anySpellingOf(secrets: ReadonlySet<string>, before: string, after: string): RegExp | undefined {
  if (secrets.size === 0) return undefined;
  const longestFirst = [...secrets].sort((a, b) => b.length - a.length);
  return new RegExp(`${before}(?:${longestFirst.map(spellingsOf).join('|')})${after}`, 'g');
}

/** A word of `letters` in any case, for patterns that must match the secret itself case-sensitively. */
const caseless = (letters: string): string => [...letters].map((letter) => `[${letter}${letter.toUpperCase()}]`).join('');

/** Where a weak secret is expected (kept, as `$1`): `password`, `token`… then spaces, a `:`, an opening quote. */
const SECRET_WORDS = ['password', 'passwd', 'pwd', 'secret', 'token', 'bearer'].map(caseless).join('|');
const A_SECRET_WORD = `(?<![A-Za-z0-9])((?:${SECRET_WORDS}):?\\s+["']?)`;

/** The end of a word: what follows is a space, punctuation closing something, or a sentence's last dot. */
const BEFORE_WORD_END = String.raw`(?=$|[\s,;:)"'\]}]|\.(?!\S))`;

// ---- by place ---------------------------------------------------------------------------------

/** Whether a key names a secret: `password`, `ASPECTS_MYSQL_PASSWORD`, `client_secret`, `accessToken`, `X-ClickHouse-Key`… */
function namesSecret(key: string, bareToken = true): boolean {
  const name = key.toLowerCase().replace(/^-+/, '');
  if (name === 'token') return bareToken;
  return SECRET_HEADERS.has(name) || /(?:password|passwd|pwd|secret|token|secret[_-]?key)$/.test(name);
}

const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization', 'x-clickhouse-key', 'cookie', 'set-cookie']);

/** `scheme://user:PASSWORD@host` in any scheme; the password runs to the authority's last `@`. A `<password>` placeholder of an example stays. */
const URL_PASSWORD = /((?<![a-z0-9+.-])[a-z][a-z0-9+.-]*:\/\/[^\s:/?#@"]*:)(?!<[\w-]+>@)(?:[^\s/?#"\\]|\\.)+(?=@)/gi;

/** An Authorization header's credentials, to the end of its line or a quote (credentials have none); the scheme word is kept. */
const AUTHORIZATION_HEADER = /\b((?:Proxy-)?Authorization)(\s*:\s*)((?:[A-Za-z][\w-]*\s+(?=[^\s"']))?)[^\s"'\\][^\r\n"'\\]*/gi;

/** ClickHouse's password header, to the end of its line (or of the quoted text it is in). */
const CLICKHOUSE_KEY_HEADER = /\b(X-ClickHouse-Key)(\s*:\s*)(?:[^\r\n"\\]|\\.)+/gi;

/** Cookies sent or set, to the end of the line (capitalised: "session cookie: …" in a sentence is no header). */
const COOKIE_HEADER = /(?<![\w-])((?:Set-)?Cookie)(\s*:\s*)(?:[^\r\n"\\]|\\.)+/g;

/** `Bearer` and a token-like word (at least 8 characters with a digit or punctuation, so "Bearer authentication" stays). */
const BEARER_TOKEN = /\b(Bearer\s+)(?=[\w~+/.-]*[\d~+/.-])[\w~+/.-]{8,}=*/g;

/** `"key": value` in JSON: a string (its escapes included) or a bare number, literal or word. */
const JSON_FIELD = /"([^"\\\r\n]+)"(\s*:\s*)("(?:[^"\\]|\\.)*"|[^\s,}\]"]+)/g;

/** `key=value` in query strings, DSNs, environment assignments; a value's closing punctuation stays. */
const KEY_VALUE = /(?<![\w.-])([\w.-]+)=(\\"(?:[^"\\]|\\[^"])*\\"|"(?:[^"\\]|\\.)*"|'[^']*'|[^\s&;"'#]*[^\s&;"'#,.)\]}])/g;

/** `key: value` starting a YAML line (a list item's too). */
const YAML_FIELD = /^([ \t]*(?:-[ \t]+)?)([\w.-]+)([ \t]*:[ \t]+)(.+)$/gm;

/** A YAML value hidden, its trailing ` # comment` kept (found without backtracking patterns: lines may be long). */
function hiddenYamlValue(value: string): string {
  if (value.startsWith('#')) return value;
  const end = yamlValueEnd(value);
  return end < 0 ? MASK : `${MASK}${value.slice(end)}`;
}

/** Where a YAML value ends: after its closing quote, or where the spaces before a `#` start (-1: at the line's end). */
function yamlValueEnd(value: string): number {
  if (/^["']/.test(value)) return /^(?:"(?:[^"\\]|\\.)*"|'(?:[^']|'')*')/.exec(value)?.[0].length ?? -1;
  const comment = value.search(/\s#/);
  return comment < 0 ? -1 : value.slice(0, comment).trimEnd().length;
}

/** Each way of hiding secrets by their place, applied in turn. */
const PLACES: readonly ((text: string) => string)[] = [
  (text) => text.replace(URL_PASSWORD, `$1${MASK}`),
  (text) => text.replace(AUTHORIZATION_HEADER, `$1$2$3${MASK}`),
  (text) => text.replace(CLICKHOUSE_KEY_HEADER, `$1$2${MASK}`),
  (text) => text.replace(COOKIE_HEADER, `$1$2${MASK}`),
  (text) => text.replace(BEARER_TOKEN, `$1${MASK}`),
  // A bare "token" in JSON is what `superset guest-token --json` was asked for, not a credential.
  (text) => text.replace(JSON_FIELD, (field, key: string, colon: string) => (namesSecret(key, false) ? `"${key}"${colon}"${MASK}"` : field)),
  (text) => text.replace(KEY_VALUE, (pair, key: string) => (namesSecret(key) ? `${key}=${MASK}` : pair)),
  (text) => text.replace(YAML_FIELD, (line, indent: string, key: string, colon: string, value: string) =>
    (namesYamlSecret(key) ? `${indent}${key}${colon}${hiddenYamlValue(value)}` : line)),
];

/** A YAML key naming a secret; `Authorization:` lines are headers, already hidden with their scheme kept. */
const namesYamlSecret = (key: string): boolean => namesSecret(key) && !/^(?:proxy-)?authorization$/i.test(key);
