import type { Readable } from 'node:stream';

/** A table of the destination. */
export interface TableName {
  readonly database: string;
  readonly table: string;
}

/** How one insert is sent: its query id and extra settings (e.g. insert_deduplication_token). */
export interface InsertOptions {
  readonly queryId?: string;
  readonly settings?: Readonly<Record<string, string>>;
}

/** A row returned by a ClickHouse SELECT (JSONEachRow). */
export type ClickHouseRow = Readonly<Record<string, unknown>>;

/**
 * The only way the rest of the tool talks to ClickHouse. One implementation per destination
 * (the HTTP server today); every method throws ClickHouseFailure.
 */
export interface ClickHouseTarget {
  /** A short description without credentials, for messages. */
  readonly description: string;
  /** Fails unless the server answers and accepts the credentials. */
  ping(): Promise<void>;
  /** Runs a SELECT and returns its rows. */
  query(sql: string): Promise<ClickHouseRow[]>;
  /** Runs a SELECT and returns its rows as lists of fields in text form (TabSeparated: many small rows). */
  queryFields(sql: string): Promise<string[][]>;
  /** Runs a statement that returns nothing (DDL, INSERT … SELECT), with a query id and settings if given. */
  command(sql: string, options?: InsertOptions): Promise<void>;
  /**
   * Inserts CSV rows into `into` with an explicit column list: UTF-8 pieces sent in order, or a
   * stream of them (a long insert fed while it runs).
   */
  insertCsv(into: TableName, columns: readonly string[], csv: readonly Buffer[] | Readable, options?: InsertOptions): Promise<void>;
  /**
   * Whether requests cross a network, where their bytes can be held back and delivered after the
   * tool gave up on them (inserts are then staged, see pipeline/staging.ts).
   */
  readonly overNetwork: boolean;
  /** The largest insert body worth building (the embedded engine takes a body whole, in memory). */
  readonly maxInsertBytes: number;
  /**
   * On a cluster, every other server (all replicas of all shards), for the checks that must see
   * them all: earlier runs' staging tables and queries, retirement; absent for one server.
   */
  readonly peers?: readonly Peer[];
  /** On a cluster: which replica the run talks to and why the others were passed over, for the log. */
  readonly routing?: string;
  /** On a cluster: resolves once the run's replica has fetched every part its replication logs name (bounded). */
  untilUpToDate?(): Promise<void>;
  close(): Promise<void>;
}

/** Another server of the cluster a run talks to, by the name system.clusters gives it. */
export interface Peer {
  readonly name: string;
  readonly target: ClickHouseTarget;
}

/** The target itself and its cluster peers. */
export function serversOf(target: ClickHouseTarget): Peer[] {
  return [{ name: target.description, target }, ...(target.peers ?? [])];
}

/** Whether `error` is a ClickHouse failure that trying again may cure. */
export function isTransientClickHouse(error: unknown): boolean {
  return error instanceof ClickHouseFailure && error.transient;
}

/** A ClickHouse call that failed; `transient` says whether trying again may succeed. */
export class ClickHouseFailure extends Error {
  readonly transient: boolean;
  /** The server's whole message (all its lines, no stack trace), where `message` is its first line. */
  readonly detail: string;
  constructor(message: string, transient: boolean, detail = message) {
    super(message);
    this.name = 'ClickHouseFailure';
    this.transient = transient;
    this.detail = detail;
  }
}
