import type { KeySpan, PageBounds, RowFilter } from '../lms/keyset.js';
import type { SourceSpec } from '../sinks/types.js';

/** A key range of one object, read page by page by one lane; units are written in index order. */
export interface Unit {
  readonly index: number;
  readonly bounds: PageBounds;
}

/**
 * Integer keys cut into units of one width: unit i holds the keys from first + i × width to
 * first + (i + 1) × width − 1 (the last one ends at `last`).
 */
export interface UnitGrid {
  readonly first: number;
  readonly last: number;
  readonly width: number;
}

/** An object read as one range (text keys, a list of --ids, nothing to read). */
const WHOLE: readonly Unit[] = Object.freeze([Object.freeze({ index: 0, bounds: Object.freeze({}) })]);

/**
 * The grid of the filter's integer keys: units of about `rowsPerUnit` rows each, from the key
 * density of the span (first to last key), so lanes can read them side by side. None for text
 * keys and lists of ids (one range).
 */
export function unitGrid(source: SourceSpec, filter: RowFilter, span: KeySpan, rowsPerUnit: number): UnitGrid | undefined {
  const { first, last, rows } = span;
  if (source.keyType !== 'integer' || filter.ids || typeof first !== 'number' || typeof last !== 'number' || rows === 0) return undefined;
  return { first, last, width: Math.max(1, Math.round((rowsPerUnit * (last - first + 1)) / rows)) };
}

/** The units of a grid, in key order (one whole range without a grid). */
export function unitsOf(grid: UnitGrid | undefined): readonly Unit[] {
  if (!grid) return WHOLE;
  const units: Unit[] = [];
  for (let after = grid.first - 1; after < grid.last; after += grid.width) {
    units.push({ index: units.length, bounds: { after, upTo: Math.min(grid.last, after + grid.width) } });
  }
  return units;
}

/**
 * A list of integer --ids (a change signal's) in units of `perUnit` keys each, so lanes read
 * them side by side and each page asks MySQL for its own keys only.
 */
export function unitsOfIds(ids: readonly number[], perUnit: number): readonly Unit[] {
  const units: Unit[] = [];
  for (let start = 0; start < ids.length; start += perUnit) {
    const upTo = ids[Math.min(ids.length, start + perUnit) - 1] as number;
    units.push({ index: units.length, bounds: start === 0 ? { upTo } : { after: ids[start - 1] as number, upTo } });
  }
  return units.length > 0 ? units : WHOLE;
}
