import { isTransientClickHouse } from '../clickhouse/target.js';
import { AspectsError, Interrupted, LockHeld } from '../errors.js';
import { isTransientStructureError } from '../structure/transient.js';

/** The error and the errors under it (an object's failure wraps what failed). */
function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let each = error; each !== undefined && !chain.includes(each); each = (each as { cause?: unknown }).cause) chain.push(each);
  return chain;
}

/** Whether a failure of either server may pass when tried again. */
export function isTransientAnywhere(error: unknown): boolean {
  return isTransientClickHouse(error) || isTransientStructureError(error);
}

/**
 * Whether an object's failure stops the objects after it: a signal, a lock another run took, or a
 * server that stayed unreachable past --retry-for (the next object would wait as long, in vain).
 * Anything else belongs to that object alone (its rows do not fit its table, its table was
 * replaced), so the others still run.
 */
export function endsTheRun(error: unknown): boolean {
  if (error instanceof Interrupted || error instanceof LockHeld) return true;
  return causes(error).some(isTransientAnywhere);
}

/**
 * One error for several: each message in order, with the exit code of the first (the list is in
 * order of weight), or 130 when the run was interrupted.
 */
export function combinedFailure(errors: readonly (AspectsError | undefined)[]): AspectsError | undefined {
  const present = errors.filter((each): each is AspectsError => each !== undefined);
  if (present.length <= 1) return present[0];
  const message = present.map((each) => each.message).join('; ');
  if (present.some((each) => each instanceof Interrupted)) return new Interrupted(message);
  return new AspectsError(message, (present[0] as AspectsError).exitCode);
}
