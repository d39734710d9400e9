import { InvalidArgumentError } from 'commander';

/** commander argParser: a whole number ≥ 1. */
export function positiveInteger(value: string): number {
  const number = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(number) || number < 1) {
    throw new InvalidArgumentError('must be a whole number of at least 1.');
  }
  return number;
}

/** commander argParser: a whole number ≥ 0. */
export function nonNegativeInteger(value: string): number {
  const number = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(number)) {
    throw new InvalidArgumentError('must be a whole number of at least 0.');
  }
  return number;
}

/** commander argParser: a primary key, whole and possibly negative (taxonomy -1). */
export function primaryKey(value: string): number {
  const number = Number(value);
  if (!/^\s*-?\d+\s*$/.test(value) || !Number.isSafeInteger(number)) {
    throw new InvalidArgumentError('must be a primary key (a whole number).');
  }
  return number;
}

/** commander argParser: seconds, fractions allowed, ≥ 0. */
export function nonNegativeSeconds(value: string): number {
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number) || number < 0) {
    throw new InvalidArgumentError('must be a number of seconds of at least 0.');
  }
  return number;
}

/** commander argParser for repeatable id lists: `--ids 1 2 3`, `--ids 1,2,3`. */
export function collectIds(value: string, previous: number[] | undefined): number[] {
  const ids = value.split(',').filter((part) => part.trim() !== '').map((part) => {
    try {
      return primaryKey(part);
    } catch {
      throw new InvalidArgumentError(`${JSON.stringify(part)} is not a primary key (a whole number).`);
    }
  });
  return [...(previous ?? []), ...ids];
}

/** commander argParser for repeatable names: `--object a b`, `--object a,b`, `--object a --object b`. */
export function collectNames(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...value.split(',').map((part) => part.trim()).filter(Boolean)];
}
