import { DataError } from '../errors.js';

const HEX32 = /^[0-9a-f]{32}$/;

/**
 * The dashed lowercase form DRF renders for a UUIDField, from either storage:
 * char(32) hex on MySQL or the native dashed `uuid` type on MariaDB.
 */
export function dashedUuid(value: string): string {
  const hex = value.trim().toLowerCase().replaceAll('-', '');
  const dashes = (value.match(/-/g) ?? []).length;
  if (!HEX32.test(hex) || (dashes !== 0 && !/^[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$/.test(value.trim()))) {
    throw new DataError(`not a valid UUID: ${JSON.stringify(value)}`);
  }
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
