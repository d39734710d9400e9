/**
 * Every password the run knows about, so that no message can carry one out:
 * the CLI's error printer and the reporters pass all text through `redact`.
 */
const secrets = new Set<string>();

/** The secrets' patterns, longest secret first (so one that contains a shorter one is hidden whole); made when a secret is registered. */
let patterns: RegExp[] = [];

/** Remember a secret (and its URL-encoded spelling) for redaction. */
export function registerSecret(secret: string | undefined): void {
  if (!secret) return;
  secrets.add(secret);
  secrets.add(encodeURIComponent(secret));
  patterns = [...secrets].sort((a, b) => b.length - a.length).map(patternOf);
}

/** Secrets at least this long are hidden wherever they occur; shorter ones only as words of their own. */
const HIDDEN_EVERYWHERE = 6;

/** Letters and digits: what a short secret must not touch to count as a word of its own. */
const WORD = String.raw`[\p{L}\p{N}]`;

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** How a secret is found: anywhere, or (short ones, so `r` leaves `course-dashboard` alone) only between non-letters. */
function patternOf(secret: string): RegExp {
  const escaped = escapeRegExp(secret);
  return new RegExp(secret.length >= HIDDEN_EVERYWHERE ? escaped : `(?<!${WORD})${escaped}(?!${WORD})`, 'gu');
}

/** `text` with every registered secret replaced by `***`. */
export function redact(text: string): string {
  return patterns.reduce((clean, pattern) => clean.replace(pattern, '***'), text);
}
