import { redact } from '../config/secrets.js';

/** Where a reporter writes: stdout for results, stderr for progress and notices. */
export interface OutputStreams {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  /** Whether colours are allowed (NO_COLOR unset and stderr a TTY). */
  readonly color: boolean;
}

/** Writes one redacted line. */
export function writeLine(stream: NodeJS.WritableStream, text: string): void {
  stream.write(`${redact(text)}\n`);
}

/** The current time as HH:MM:SS for log lines. */
export function clock(): string {
  return new Date().toISOString().slice(11, 19);
}
