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

/** The current time for log lines: ISO 8601 in UTC, to the millisecond (2026-12-05T21:57:19.042Z). */
export function timestamp(): string {
  return new Date().toISOString();
}

/** Where the process's own notices (a signal received) go: stderr, or the reporter drawing bars. */
let processNotice: ((line: string) => void) | undefined;

/** Sends the process's notices to `to` (bars print them above themselves), or back to stderr. */
export function routeProcessNotices(to: ((line: string) => void) | undefined): void {
  processNotice = to;
}

/** A notice of the process itself, printed where it does not break a progress bar. */
export function processNoticeLine(line: string): void {
  if (processNotice) processNotice(line);
  else writeLine(process.stderr, line);
}
