import { fstatSync } from 'node:fs';
import { UsageError, messageOf } from '../errors.js';
import { ownFormat, returnsRows, setsSetting, splitStatements, type Statement } from './statements.js';

/** The SQL argument that means "read the statements from stdin". */
export const FROM_STDIN = '-';

/** Everything on stdin, as UTF-8 text. */
async function readStdin(): Promise<string> {
  const pieces: Buffer[] = [];
  try {
    // Node reads a directory on stdin as empty: say what it is instead.
    if (fstatSync(0).isDirectory()) throw new Error('it is a directory');
    for await (const piece of process.stdin) pieces.push(Buffer.from(piece as Uint8Array));
  } catch (error) {
    throw new UsageError(`cannot read the SQL from stdin: ${messageOf(error)}`);
  }
  return Buffer.concat(pieces).toString('utf8');
}

/** The statements to run: the argument's, or stdin's for `-`; one clear usage error when there are none. */
export async function statementsOf(argument: string): Promise<Statement[]> {
  const fromStdin = argument === FROM_STDIN;
  const statements = splitStatements(fromStdin ? await readStdin() : argument);
  if (statements.length === 0) throw new UsageError(fromStdin ? 'stdin held no SQL statement' : 'no SQL statement given');
  return statements;
}

/** Refuses a statement that names its own output format when --format asks for another (its output is printed as it is only in the table format). */
export function checkOwnFormats(statements: readonly Statement[], format: string): void {
  if (format === 'table') return;
  const named = statements.find((statement) => returnsRows(statement) && ownFormat(statement) !== undefined);
  if (named === undefined) return;
  throw new UsageError(`the statement ends with FORMAT ${ownFormat(named)}, which --format ${format} cannot hold: leave out one of them (without --format, ClickHouse's own output is printed as it is)`);
}

/** Refuses `SET` where it cannot hold for the statements after it (the server's HTTP interface keeps no session). */
export function checkSettings(statements: readonly Statement[], keepsSettings: boolean): void {
  if (keepsSettings || !statements.some(setsSetting)) return;
  throw new UsageError('SET does not carry over to the next statement on a ClickHouse server (each runs in its own request): give the setting in the statement\'s SETTINGS clause, e.g. SELECT … SETTINGS max_threads = 1');
}
