import type { KeySpan, PageBounds, RowFilter } from '../lms/keyset.js';
import type { SourceSpec } from '../sinks/types.js';

/** A key range of one object, read page by page by one lane; units are written in index order. */
export interface Unit {
  readonly index: number;
  readonly bounds: PageBounds;
}

/** An object read as one range (text keys, a list of --ids, nothing to read). */
const WHOLE: readonly Unit[] = Object.freeze([Object.freeze({ index: 0, bounds: Object.freeze({}) })]);

/**
 * Splits the filter's integer keys into ranges of about `rowsPerUnit` rows each, from the key
 * density of the span (first to last key), so lanes can read them side by side. Text keys and
 * lists of ids are one range.
 */
export function splitUnits(source: SourceSpec, filter: RowFilter, span: KeySpan, rowsPerUnit: number): readonly Unit[] {
  const { first, last, rows } = span;
  if (source.keyType !== 'integer' || filter.ids || typeof first !== 'number' || typeof last !== 'number' || rows === 0) return WHOLE;
  const width = Math.max(1, Math.round((rowsPerUnit * (last - first + 1)) / rows));
  const units: Unit[] = [];
  for (let after = first - 1; after < last; after += width) {
    units.push({ index: units.length, bounds: { after, upTo: Math.min(last, after + width) } });
  }
  return units;
}
