/**
 * Every password the run knows about, so that no message can carry one out:
 * the CLI's error printer and the reporters pass all text through `redact`.
 */
const secrets = new Set<string>();

/** Remember a secret (and its URL-encoded spelling) for redaction. */
export function registerSecret(secret: string | undefined): void {
  if (!secret) return;
  secrets.add(secret);
  secrets.add(encodeURIComponent(secret));
}

/** `text` with every registered secret replaced by `***`. */
export function redact(text: string): string {
  let clean = text;
  // Longest first, so a secret that contains a shorter one is hidden whole.
  const longestFirst = [...secrets].sort((a, b) => b.length - a.length);
  for (const secret of longestFirst) clean = clean.split(secret).join('***');
  return clean;
}
