/** Exit codes of every `aspects` command; printed in `--help` and README. */
export const EXIT_CODES = Object.freeze({
  success: 0,
  runtime: 1,
  usage: 2,
  stale: 3,
  /** EX_DATAERR: every row landed but some the plugin's own code could not write either (named). */
  rowsLeftOut: 65,
  /** EX_TEMPFAIL: another run holds the lock; try again later. */
  locked: 75,
  interrupted: 130,
} as const);

/** Base of every error the CLI reports: one line for stderr plus the exit code. */
export class AspectsError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.exitCode = exitCode;
  }
}

/** Bad flag, bad config value, unknown object, PII not enabled: exit 2, nothing written. */
export class UsageError extends AspectsError {
  constructor(message: string) {
    super(message, EXIT_CODES.usage);
  }
}

/** A failure while running (server unreachable, batch rejected): exit 1. */
export class RuntimeFailure extends AspectsError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, EXIT_CODES.runtime, options);
  }
}

/** A source row that cannot be written in the contract's format (e.g. a malformed UUID). */
export class DataError extends RuntimeFailure {}

/** The run wrote everything but the rows no rule can write (where the plugin's code would fail too), each named: exit 65. */
export class RowsLeftOut extends AspectsError {
  constructor(message: string) {
    super(message, EXIT_CODES.rowsLeftOut);
  }
}

/** The checked state is not what it should be (schema drift, stale data): exit 3. */
export class Drift extends AspectsError {
  constructor(message: string) {
    super(message, EXIT_CODES.stale);
  }
}

/** Another run holds the lock this one needs (a dump of the same object): exit 75, nothing written. */
export class LockHeld extends AspectsError {
  constructor(message: string) {
    super(message, EXIT_CODES.locked);
  }
}

/** The run stopped on SIGINT/SIGTERM after the current batch: exit 130. */
export class Interrupted extends AspectsError {
  constructor(message: string) {
    super(message, EXIT_CODES.interrupted);
  }
}

/** The message of anything thrown, without a stack. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}
