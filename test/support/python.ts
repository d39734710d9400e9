import { spawnSync } from 'node:child_process';

/**
 * `list(set(sequence))` for each sequence, computed by CPython itself (python3 on PATH), as an
 * oracle independent of the tool's own emulation of CPython's set order.
 */
export function cpythonSetOrders(sequences: readonly (readonly number[])[]): number[][] {
  const script = 'import json, sys; print(json.dumps([list(set(s)) for s in json.load(sys.stdin)]))';
  const result = spawnSync('python3', ['-c', script], { input: JSON.stringify(sequences), encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`python3 is needed for the expected tag order: ${result.error?.message ?? result.stderr}`);
  return JSON.parse(result.stdout) as number[][];
}
