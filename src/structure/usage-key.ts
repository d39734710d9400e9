const USAGE_KEY = /^block-v1:[^+]+\+[^+]+\+[^+]+\+type@([^+]+)\+block@(.+)$/;

/** [type, id] of a `block-v1:` usage key, or undefined for any other form. */
export function typeAndId(usageKey: string): [string, string] | undefined {
  const match = USAGE_KEY.exec(usageKey);
  return match ? [match[1] as string, match[2] as string] : undefined;
}
