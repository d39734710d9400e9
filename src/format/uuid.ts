import { DataError } from '../errors.js';
import { pythonHexInt, pythonStrip } from './python-text.js';

const UUID_RANGE = 1n << 128n;

/**
 * str(uuid.UUID(hex=value)), the form DRF renders for a UUIDField, from any storage Python
 * accepts: char(32) hex, MariaDB's native dashed uuid, `urn:uuid:…`, `{…}`, hyphens anywhere,
 * upper case. As Python does: 'urn:' and 'uuid:' removed, braces stripped, hyphens removed, then
 * exactly 32 characters read by int(…, 16).
 */
export function dashedUuid(value: string): string {
  const hex = pythonStrip(value.replaceAll('urn:', '').replaceAll('uuid:', ''), '{}').replaceAll('-', '');
  const number = [...hex].length === 32 ? pythonHexInt(hex) : undefined;
  if (number === undefined || number < 0n || number >= UUID_RANGE) {
    throw new DataError(`not a valid UUID: ${JSON.stringify(value)}`);
  }
  const digits = number.toString(16).padStart(32, '0');
  return `${digits.slice(0, 8)}-${digits.slice(8, 12)}-${digits.slice(12, 16)}-${digits.slice(16, 20)}-${digits.slice(20)}`;
}
