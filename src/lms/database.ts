import { createPool, type Pool, type RowDataPacket } from 'mysql2/promise';
import type { MysqlLocation } from '../config/urls.js';
import { RuntimeFailure, messageOf } from '../errors.js';
import type { SourceValue } from '../format/values.js';

/** A row of the LMS database, keyed by result field name. */
export type SourceRow = Readonly<Record<string, SourceValue>>;

/** The part of the LMS database connection the pipeline uses. */
export interface LmsDatabase {
  /** Runs one parameterised SELECT. */
  select(sql: string, params: readonly unknown[]): Promise<SourceRow[]>;
  close(): Promise<void>;
}

/** Opens a small pool on the LMS database: text datetimes (no time-zone shifts), utf8mb4. */
export function openLmsDatabase(location: MysqlLocation): LmsDatabase {
  const pool: Pool = createPool({
    host: location.host,
    port: location.port,
    user: location.user,
    password: location.password,
    database: location.database,
    charset: 'utf8mb4',
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
    connectionLimit: 2,
    connectTimeout: 10_000,
    enableKeepAlive: true,
  });
  return {
    async select(sql, params) {
      const [rows] = await pool.query<RowDataPacket[]>(sql, params as unknown[]);
      return rows as SourceRow[];
    },
    close: () => pool.end(),
  };
}

/** Opens the LMS database and checks it answers; a failure names where it tried (never the password). */
export async function connectLmsDatabase(location: MysqlLocation): Promise<LmsDatabase> {
  const lms = openLmsDatabase(location);
  try {
    await lms.select('SELECT 1', []);
    return lms;
  } catch (error) {
    await lms.close().catch(() => undefined);
    const where = `${location.user}@${location.host}:${location.port}/${location.database}`;
    throw new RuntimeFailure(`cannot connect to MySQL ${where}: ${messageOf(error)}`);
  }
}

/** Whether the LMS database has `table` (and `column` in it, when given). */
export async function hasColumn(db: LmsDatabase, table: string, column?: string): Promise<boolean> {
  const [probe] = await db.select(
    'SELECT COUNT(*) AS n FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?'
    + (column ? ' AND COLUMN_NAME = ?' : ''), column ? [table, column] : [table]);
  return Number(probe?.n) > 0;
}
