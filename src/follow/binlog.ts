import ZongJi, { type AnyBinlogEvent, type UpdateRowData } from '@vlasky/zongji';
import type { MysqlLocation } from '../config/urls.js';
import { connectionOptions } from '../lms/connection.js';
import { mysqlDeadlines } from '../lms/deadlines.js';
import type { RowChange } from './routes.js';

/**
 * The LMS binlog as committed transactions: @vlasky/zongji (maintained; decodes MariaDB 10.11
 * and MySQL 8 row events, MariaDB GTIDs and binlog_row_metadata=FULL, which hand-written
 * decoding would have to match byte for byte) reads it as a replica would, and this turns its
 * events into one record per commit, with the GTID position after it, so a checkpoint always
 * falls between whole transactions.
 */

/** One table's changed row. */
export interface TableChange {
  readonly table: string;
  readonly change: RowChange;
}

/** One committed transaction's row changes (of the tables followed), and where the stream stands after it. */
export interface Transaction {
  readonly changes: readonly TableChange[];
  /** GTID position after this transaction: where a restart goes on from. */
  readonly position: string;
  /** When it was written to the binlog (ms since the epoch, the LMS server's clock, whole seconds). */
  readonly at: number;
}

/** What the stream reports. */
export interface BinlogListener {
  transaction(transaction: Transaction): void;
  error(error: Error): void;
}

/** How long stopping may take before the connections are left to the process's exit. */
const STOP_DEADLINE_MS = 5000;

const ROW_EVENTS = new Set(['writerows', 'updaterows', 'deleterows']);

/** The row changes of a rows event. */
function changesOf(event: AnyBinlogEvent): TableChange[] {
  if (!ROW_EVENTS.has(event.getEventName())) return [];
  const rows = (event as unknown as { rows: unknown[]; tableMap: Record<number, { tableName: string }>; tableId: number });
  const table = rows.tableMap[rows.tableId]?.tableName ?? '';
  return rows.rows.map((row) => {
    const name = event.getEventName();
    if (name === 'updaterows') return { table, change: { before: (row as UpdateRowData).before, after: (row as UpdateRowData).after } };
    return { table, change: name === 'writerows' ? { after: row as Record<string, unknown> } : { before: row as Record<string, unknown> } };
  });
}

/** A stream of the binlog's committed transactions on `tables` of the LMS database. */
export class BinlogStream {
  private readonly zongji: ZongJi;
  private pending: TableChange[] = [];

  constructor(location: MysqlLocation, private readonly tables: readonly string[], private readonly listener: BinlogListener) {
    this.zongji = new ZongJi(connectionOptions(location, mysqlDeadlines()));
    this.zongji.on('binlog', (event: AnyBinlogEvent) => this.event(event));
    this.zongji.on('error', (error: Error) => listener.error(error));
  }

  /** Starts after the transactions `position` covers (a GTID position or set); rejects when the server refuses, or answers nothing within `deadlineMs`. */
  start(location: MysqlLocation, position: string, serverId: number, deadlineMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the LMS database did not start sending its binlog within ${deadlineMs / 1000} s`)), deadlineMs);
      const settle = (error?: Error) => {
        clearTimeout(timer);
        this.zongji.off('error', settle);
        if (error) reject(error);
        else resolve();
      };
      this.zongji.once('ready', () => settle());
      this.zongji.on('error', settle);
      this.zongji.start({
        serverId, gtidSet: position, includeSchema: { [location.database]: [...this.tables] },
        includeEvents: ['tablemap', 'writerows', 'updaterows', 'deleterows', 'xid', 'query', 'mariadbgtid'],
      });
    });
  }

  private event(event: AnyBinlogEvent): void {
    const name = event.getEventName();
    if (name === 'mariadbgtid') this.pending = [];
    this.pending.push(...changesOf(event));
    const commit = name === 'xid' || (name === 'query' && /^COMMIT$/i.test((event as unknown as { query: string }).query ?? ''));
    if (!commit) return;
    const changes = this.pending;
    this.pending = [];
    this.listener.transaction({ changes, position: this.zongji.gtidSet ?? '', at: event.timestamp });
  }

  /** Stops reading (the connections closed); resolves once stopped, or after STOP_DEADLINE_MS whatever happened. */
  stop(): Promise<void> {
    if (this.zongji.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, STOP_DEADLINE_MS);
      this.zongji.once('stopped', () => { clearTimeout(timer); resolve(); });
      try {
        this.zongji.stop();
      } catch {
        clearTimeout(timer);
        resolve();
      }
    });
  }
}
