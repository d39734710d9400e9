import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Where Debian's faketime package puts the library (a multiarch folder), or other systems do. */
function libfaketime(): string {
  const multiarch = readdirSync('/usr/lib').filter((name) => name.includes('-linux-')).map((name) => join('/usr/lib', name, 'faketime'));
  const found = [...multiarch, '/usr/lib/faketime', '/usr/local/lib/faketime'].map((folder) => join(folder, 'libfaketime.so.1')).find(existsSync);
  if (!found) throw new Error('libfaketime not found: install it with apt-get install faketime');
  return found;
}

/**
 * Environment for a child process whose clock runs `offset` from the real one (libfaketime's
 * relative form: '-1h', '+1h'), as Debian's `faketime -f` sets it. Monotonic clocks stay real,
 * so Node's timers are unaffected; Date.now and performance.timeOrigin are moved.
 */
export function skewedClock(offset: string): Record<string, string> {
  return { LD_PRELOAD: libfaketime(), FAKETIME: offset, FAKETIME_DONT_FAKE_MONOTONIC: '1' };
}
