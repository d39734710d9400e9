import { InvalidArgumentError } from 'commander';

/** A whole number written with digits only, in JavaScript's exact range; `what` names the range in the message. */
function wholeNumber(value: string, least: number, what: string): number {
  const number = Number(value);
  if (!/^\d+$/.test(value.trim()) || number < least) throw new InvalidArgumentError(`must be a whole number of at least ${least}.`);
  if (!Number.isSafeInteger(number)) throw new InvalidArgumentError(`must be ${what}, at most ${Number.MAX_SAFE_INTEGER}.`);
  return number;
}

/** commander argParser: a whole number ≥ 1. */
export function positiveInteger(value: string): number {
  return wholeNumber(value, 1, 'a whole number');
}

/** commander argParser: a TCP port, 1..65535. */
export function portNumber(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value.trim()) || port < 1 || port > 65535) throw new InvalidArgumentError('must be a port number from 1 to 65535.');
  return port;
}

/** commander argParser: a whole number ≥ 0. */
export function nonNegativeInteger(value: string): number {
  return wholeNumber(value, 0, 'a whole number');
}

/** commander argParser for --published-since: an ISO date or date-time, as UTC MySQL datetime text. */
export function isoDate(value: string): string {
  const match = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)(Z|[+-]\d{2}:?\d{2})?)?$/.exec(value.trim());
  const parsed = match ? Date.parse(`${match[1]}T${match[2] ?? '00:00:00'}${match[3] ?? 'Z'}`) : Number.NaN;
  if (Number.isNaN(parsed)) {
    throw new InvalidArgumentError('must be an ISO date such as 2024-05-01 or 2024-05-01T12:00:00Z.');
  }
  return new Date(parsed).toISOString().replace('T', ' ').replace('Z', '000');
}

/** The longest pause Node's timers can wait (2^31 − 1 ms, about 24.8 days); longer ones would not wait at all. */
const MAX_SECONDS = 2_147_483;

/** commander argParser: seconds, fractions allowed, from 0 to MAX_SECONDS. */
export const nonNegativeSeconds = nonNegativeAmount('seconds', MAX_SECONDS, ' (about 24 days)');

/** commander argParser for repeatable key lists: `--ids 1 2 3`, `--ids 1,2,3`; typed per object later. */
export function collectKeys(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...value.split(',').map((part) => part.trim()).filter(Boolean)];
}

/** commander argParser for repeatable names: `--object a b`, `--object a,b`, `--object a --object b`. */
export const collectNames = collectKeys;

/** commander argParser: a number of `unit` ≥ 0 (fractions allowed) up to `most` (`note` follows it in the message). */
export function nonNegativeAmount(unit: string, most: number, note = ''): (value: string) => number {
  return (value) => {
    const number = Number(value);
    if (value.trim() === '' || !Number.isFinite(number) || number < 0) throw new InvalidArgumentError(`must be a number of ${unit} of at least 0.`);
    if (number > most) throw new InvalidArgumentError(`must be at most ${most} ${unit}${note}.`);
    return number;
  };
}
