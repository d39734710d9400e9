import { UsageError } from '../errors.js';
import type { Key, RowFilter } from '../lms/keyset.js';
import { SINKS } from '../sinks/index.js';
import type { Sink } from '../sinks/types.js';

/** Row selection as given on the command line, before it is typed for a sink. */
export interface RawFilter {
  readonly startPk?: string;
  readonly ids?: readonly string[];
  readonly skipIds?: readonly string[];
  readonly orgs?: readonly string[];
  /** UTC MySQL datetime text. */
  readonly publishedSince?: string;
}

function typedKey(sink: Sink, value: string): Key {
  if (sink.source.keyType === 'text') return value;
  const key = Number(value);
  if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(key)) {
    throw new UsageError(`${JSON.stringify(value)} is not a primary key of ${sink.name} (a whole number)`);
  }
  return key;
}

function supportedBy(option: string, sink: Sink, supported: (each: Sink) => boolean): void {
  if (supported(sink)) return;
  const objects = SINKS.filter(supported).map((each) => each.name).join(', ');
  throw new UsageError(`${option} applies to ${objects} only; ${sink.name} cannot be filtered by it`);
}

/** The filter for one sink; refuses keys of the wrong type and filters the sink cannot apply. */
export function filterFor(sink: Sink, raw: RawFilter): RowFilter {
  if (raw.orgs?.length) supportedBy('--org', sink, (each) => each.source.orgColumn !== undefined);
  if (raw.publishedSince !== undefined) supportedBy('--published-since', sink, (each) => each.source.publishedColumn !== undefined);
  const keys = (values: readonly string[] | undefined) => values?.map((value) => typedKey(sink, value));
  return {
    afterKey: raw.startPk === undefined ? undefined : typedKey(sink, raw.startPk),
    ids: sink.source.keyType === 'integer' && raw.ids ? [...new Set(keys(raw.ids) as number[])].sort((a, b) => a - b) : keys(raw.ids),
    skipIds: keys(raw.skipIds),
    orgs: raw.orgs,
    publishedSince: raw.publishedSince,
  };
}
