import { UsageError } from '../errors.js';
import { OBJECT_NAMES, SINKS, findSink } from '../sinks/index.js';
import type { Sink } from '../sinks/types.js';

/** What the operator allowed: PII and the per-object config switches. */
export interface ObjectPolicy {
  readonly enablePii: boolean;
  readonly disabledObjects: ReadonlySet<string>;
}

/** The sinks to dump and the ones `all` left out, with why; notes for the operator (an object run though switched off). */
export interface ObjectPlan {
  readonly sinks: readonly Sink[];
  readonly skipped: readonly { object: string; reason: string }[];
  readonly notes: readonly string[];
}

/** One line telling the operator how to allow PII objects. */
export function piiRefusal(object: string): string {
  return `${object} holds personal data and PII is not enabled; set ASPECTS_ENABLE_PII=true `
    + '(or ASPECTS_ENABLE_PII: true in the config file) to dump it';
}

function planAll(policy: ObjectPolicy): ObjectPlan {
  const skipped: { object: string; reason: string }[] = [];
  const sinks = SINKS.filter((sink) => {
    if (policy.disabledObjects.has(sink.name)) {
      skipped.push({ object: sink.name, reason: 'switched off in the config file' });
      return false;
    }
    if (sink.pii && !policy.enablePii) {
      skipped.push({ object: sink.name, reason: 'holds PII and ASPECTS_ENABLE_PII is not true' });
      return false;
    }
    return true;
  });
  return { sinks, skipped, notes: [] };
}

/** Resolves `--object` values (names or `all`) into sinks; refuses unknown names and PII. */
export function planObjects(names: readonly string[], policy: ObjectPolicy): ObjectPlan {
  if (names.length === 0) throw new UsageError(`choose what to dump with --object (${OBJECT_NAMES.join(', ')} or all)`);
  if (names.includes('all')) return planAll(policy);
  const sinks = namedSinks(names);
  const refused = sinks.find((sink) => sink.pii && !policy.enablePii);
  if (refused) throw new UsageError(piiRefusal(refused.name));
  const notes = sinks.filter((sink) => policy.disabledObjects.has(sink.name))
    .map((sink) => `${sink.name} is switched off in the config file; running it because --object names it`);
  return { sinks, skipped: [], notes };
}

/** The sinks of `--object` names (not `all`), each once; refuses unknown names. */
function namedSinks(names: readonly string[]): Sink[] {
  return [...new Set(names)].map((name) => {
    const sink = findSink(name);
    if (!sink) throw new UsageError(`unknown object ${JSON.stringify(name)}; choose from ${OBJECT_NAMES.join(', ')} or all`);
    return sink;
  });
}

/**
 * What `status` checks: the named objects (PII or not: it compares keys only), or for `all`
 * and by default, what `dump --object all` would dump, so a site without PII is not stale for ever.
 */
export function planStatus(names: readonly string[] | undefined, policy: ObjectPolicy): ObjectPlan {
  if (!names || names.length === 0 || names.includes('all')) return planAll(policy);
  return planObjects(names, { ...policy, enablePii: true });
}
