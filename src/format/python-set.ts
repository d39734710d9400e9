/**
 * The order in which CPython (3.8–3.12, Objects/setobject.c) iterates a set of ints built by
 * adding them one by one, so that `list(set(ids))` can be written as the plugin writes it. A small
 * int's hash is the int itself, but -1 is reserved for errors and -2 stands in for it; the slot is
 * the hash as an unsigned 64-bit word masked to the table, probed linearly (up to 9 more) and then
 * by the perturbed recurrence; the table starts at 8 slots and grows to the smallest power of two
 * above 4 × used once it is three-fifths full.
 */

const MIN_SIZE = 8;
const LINEAR_PROBES = 9;
const PERTURB_SHIFT = 5n;

/** CPython's hash of an int of magnitude below 2^61 - 1, as the unsigned 64-bit word the set table uses. */
function slotHash(value: number): bigint {
  return BigInt.asUintN(64, BigInt(value === -1 ? -2 : value));
}

/** The slots probed for `value` in a table of `mask + 1` slots, in CPython's order, endlessly. */
function* probeSequence(value: number, mask: number): Generator<number> {
  let perturb = slotHash(value);
  let index = Number(perturb & BigInt(mask));
  for (;;) {
    yield index;
    if (index + LINEAR_PROBES <= mask) for (let step = 1; step <= LINEAR_PROBES; step += 1) yield index + step;
    perturb >>= PERTURB_SHIFT;
    index = Number((BigInt(index) * 5n + 1n + perturb) & BigInt(mask));
  }
}

/** Puts `value` in the first free slot of its probe sequence. */
function insertClean(table: (number | undefined)[], value: number): void {
  for (const slot of probeSequence(value, table.length - 1)) {
    if (table[slot] === undefined) {
      table[slot] = value;
      return;
    }
  }
}

/** A new table of the size CPython picks for `used` entries, holding the old table's values in slot order. */
function resized(table: readonly (number | undefined)[], used: number): (number | undefined)[] {
  let size = MIN_SIZE;
  while (size <= used * 4) size *= 2;
  const grown: (number | undefined)[] = new Array<number | undefined>(size).fill(undefined);
  for (const value of table) if (value !== undefined) insertClean(grown, value);
  return grown;
}

/** `list(set(values))` for integers (of magnitude below 2^53) added in this order. */
export function pythonSetOrder(values: readonly number[]): number[] {
  let table: (number | undefined)[] = new Array<number | undefined>(MIN_SIZE).fill(undefined);
  let used = 0;
  for (const value of values) {
    if (table.includes(value)) continue;
    insertClean(table, value);
    used += 1;
    // fill * 5 >= mask * 3 (no deletions, so fill = used).
    if (used * 5 >= (table.length - 1) * 3) table = resized(table, used);
  }
  return table.filter((value): value is number => value !== undefined);
}
