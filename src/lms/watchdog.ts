import { createConnection, type Connection, type ConnectionOptions } from 'mysql2';
import { messageOf } from '../errors.js';
import { drop, run, socketOf, within } from './connection.js';
import { MysqlFailure, SILENT } from './failures.js';

/**
 * Signs of life of the statements on MySQL connections. A statement may legitimately send
 * nothing for long (a COUNT over a big table, a wait for a lock), so silence is not a failure by
 * itself: after half the deadline without a byte, a new connection asks MySQL whether the
 * statement's connection is still at work. No answer within the other half (a frozen server, a
 * blackholed network), or a connection MySQL no longer has or that idles, fails the statement:
 * its socket is destroyed with an error naming MySQL, which the caller retries like a reset.
 */
export class Watchdog {
  constructor(private readonly options: ConnectionOptions, private readonly answerMs: number) {}

  /** Runs `statement` on `connection` under watch. */
  async watching<T>(connection: Connection, statement: () => Promise<T>): Promise<T> {
    const stop = this.watch(connection);
    try {
      return await statement();
    } finally {
      stop();
    }
  }

  /** Watches `connection` until the returned function is called. */
  private watch(connection: Connection): () => void {
    const socket = socketOf(connection);
    const quietMs = this.answerMs / 2;
    let heard = Date.now();
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    const hear = (): void => { heard = Date.now(); };
    const wake = async (): Promise<void> => {
      const quiet = Date.now() - heard;
      const failure = quiet < quietMs ? undefined : await this.check(connection.threadId, heard);
      if (stopped) return;
      if (failure) return drop(connection, failure);
      if (quiet >= quietMs) hear();
      timer = setTimeout(wake, quietMs - (Date.now() - heard));
    };
    socket.on('data', hear);
    timer = setTimeout(wake, quietMs);
    return () => { stopped = true; clearTimeout(timer); socket.removeListener('data', hear); };
  }

  /** Why the statement of connection `id`, silent since `heard`, is taken for lost; undefined while MySQL works on it. */
  private async check(id: number, heard: number): Promise<MysqlFailure | undefined> {
    const checkMs = this.answerMs / 2;
    // Not awaited: the statement waits for the handshake, and a late check is dropped all the same.
    const probe = createConnection(this.options).on('error', () => undefined);
    try {
      const [row] = await within(checkMs, run(probe, COMMAND_OF, [id]), () => new Error(`no answer within ${seconds(checkMs)}s`));
      if (row === undefined) return failure(heard, `and no longer has connection ${id}`);
      return row.command === 'Sleep' ? failure(heard, `and connection ${id} idles: its answer was lost`) : undefined;
    } catch (error) {
      // An error MySQL sent (too many connections, say) is a sign of life.
      return answered(error) ? undefined : failure(heard, `and a new connection failed too (${messageOf(error)})`);
    } finally {
      drop(probe);
    }
  }
}

/** What a connection is doing, as MySQL sees it: 'Query' while a statement runs (or waits), 'Sleep' when idle. */
const COMMAND_OF = 'SELECT COMMAND AS command FROM information_schema.PROCESSLIST WHERE ID = ?';

/** The watchdog's verdict on a statement silent since `heard`. */
function failure(heard: number, why: string): MysqlFailure {
  return new MysqlFailure(`MySQL sent nothing for ${seconds(Date.now() - heard)}s ${why}; the connection was dropped`, SILENT, { fatal: true });
}

/** Whether MySQL itself sent `error` (an error packet), rather than the network or a deadline. */
function answered(error: unknown): boolean {
  return typeof (error as { sqlState?: unknown }).sqlState === 'string';
}

function seconds(ms: number): number {
  return Math.round(ms / 100) / 10;
}
