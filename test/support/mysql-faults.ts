import type { Connection } from 'mysql2/promise';

/** One row of information_schema.PROCESSLIST. */
export interface MysqlProcess {
  readonly id: number;
  readonly user: string;
  readonly db: string | null;
  /** e.g. 'Query', 'Sleep'. */
  readonly command: string;
  readonly state: string | null;
  /** The statement running now, or null. */
  readonly info: string | null;
}

/** The connections (other than `admin` itself) whose current database is `database`. */
export async function connectionsOn(admin: Connection, database: string): Promise<MysqlProcess[]> {
  const [rows] = await admin.query(
    'SELECT ID AS id, USER AS user, DB AS db, COMMAND AS command, STATE AS state, INFO AS info'
    + ' FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()', [database]);
  return (rows as MysqlProcess[]).map((row) => ({ ...row, id: Number(row.id) }));
}

/** KILL (the connection); false when it had already gone (ER_NO_SUCH_THREAD). */
async function kill(admin: Connection, id: number): Promise<boolean> {
  try {
    await admin.query(`KILL ${Number(id)}`);
    return true;
  } catch (error) {
    if ((error as { errno?: number }).errno === 1094) return false;
    throw error;
  }
}

/**
 * Kills the connections on `database` (e.g. the tool's reader mid-dump), optionally only those
 * `predicate` picks by COMMAND / INFO; returns how many were killed. `admin` itself is spared.
 */
export async function killConnections(admin: Connection, database: string, predicate: (process: MysqlProcess) => boolean = () => true): Promise<number> {
  let killed = 0;
  for (const process of (await connectionsOn(admin, database)).filter(predicate)) {
    if (await kill(admin, process.id)) killed += 1;
  }
  return killed;
}

/**
 * Resolves with the connections on `database` that `predicate` picks, once there is one; polls
 * PROCESSLIST every 20 ms until `timeoutMs` (to kill a reader while its query runs).
 */
export async function waitForConnections(admin: Connection, database: string, predicate: (process: MysqlProcess) => boolean, timeoutMs = 30_000): Promise<MysqlProcess[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = (await connectionsOn(admin, database)).filter(predicate);
    if (found.length > 0) return found;
    if (Date.now() >= deadline) throw new Error(`no connection on ${database} matched within ${timeoutMs / 1000}s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
