import { createHash } from 'node:crypto';
import type { Cell } from '../format/cell.js';
import type { SelectFields } from '../lms/keyset.js';
import type { Sink } from '../sinks/types.js';

/**
 * Row fingerprints: what lets an incremental run skip unchanged rows without reading them.
 * MySQL computes MD5 over a row's source fields (each preceded by its length, so values never
 * run together, and NULL told from ''), and the first 15 hex digits go into the dump_id of the
 * row written (stamp.ts). Later runs ask MySQL for the same digits (the key and 15 characters a
 * row) and ClickHouse for those of each key's newest row, and read in full only the rows
 * whose digits differ. Both sides are computed by MySQL, so no formatting has to agree.
 *
 * The digits also carry the sink's format version: rows are formatted by this tool's code, so
 * when that code changes what a sink writes, its version goes up and each of its rows counts as
 * changed once. test/unit/format-version.test.ts fails when formatted output changes without it.
 */
export function formatVersion(sink: Sink): number {
  return sink.formatVersion ?? 1;
}

/** Result field with a row's fingerprint. */
export const FINGERPRINT_FIELD = '__fp';

/** Fingerprints are 15 hex digits (60 bits). */
const DIGITS = 15;

/** The MySQL expression of a sink's row fingerprint. */
export function fingerprintSql(sink: Sink): string {
  const fields = Object.values(sink.source.fields);
  const lengths = fields.map((expression) => `IFNULL(LENGTH(${expression}), -1)`);
  return `LEFT(MD5(CONCAT_WS(',', '${sink.name}:${formatVersion(sink)}', ${[...lengths, ...fields].join(', ')})), ${DIGITS})`;
}

/**
 * MySQL select list of a range's summary: its row count `n`, and the XOR `x` of the first 64
 * bits of the dump_ids its rows are written with (fingerprint and version digit, stamp.ts).
 */
export function fingerprintSummarySql(sink: Sink): string {
  return `COUNT(*) AS n, BIT_XOR(CAST(CONV(INSERT(${fingerprintSql(sink)}, 13, 0, '4'), 16, 10) AS UNSIGNED)) AS x`;
}

/** The sink's select list with the fingerprint. */
export function withFingerprint(sink: Sink): SelectFields {
  return { ...sink.source.fields, [FINGERPRINT_FIELD]: fingerprintSql(sink) };
}

/** Whether some columns are computed (from references) rather than read: their values join the fingerprint. */
export function hasComputedColumns(sink: Sink): boolean {
  return sink.columns.some((column) => typeof column.source !== 'string');
}

/** A fingerprint that also covers the computed columns' cells. */
export function withComputedCells(fingerprint: string, sink: Sink, cells: readonly Cell[]): string {
  const hash = createHash('md5').update(fingerprint);
  sink.columns.forEach((column, index) => {
    const text = cells[index]?.text ?? '';
    if (typeof column.source !== 'string') hash.update(`${text.length}:${text}`);
  });
  return hash.digest('hex').slice(0, DIGITS);
}
