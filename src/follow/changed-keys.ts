import type { LmsDatabase } from '../lms/database.js';
import type { Sink } from '../sinks/types.js';
import type { Transaction } from './binlog.js';
import { keysNamed, namedValues, type Route } from './routes.js';

/** A batch of changed keys, per object, and where the binlog stands after its transactions. */
export interface KeyBatch {
  readonly keys: ReadonlyMap<Sink, readonly number[]>;
  readonly position: string;
  /** When its newest transaction was written to the binlog (ms). */
  readonly at: number;
  readonly transactions: number;
}

/** Adds `values` to the set kept under `key` (made on first use). */
function addAll<K, V>(sets: Map<K, Set<V>>, key: K, values: readonly V[]): void {
  const set = sets.get(key) ?? new Set<V>();
  for (const value of values) set.add(value);
  sets.set(key, set);
}

/** The values each route was named with by the transactions gathered so far. */
export class ChangedKeys {
  private named = new Map<Route, Set<unknown>>();
  private transactions = 0;
  private position = '';
  private at = 0;
  /** The routes of each LMS table, so each changed row meets only its table's. */
  private readonly byTable = new Map<string, Route[]>();

  constructor(routes: readonly Route[]) {
    for (const route of routes) this.byTable.set(route.table, [...(this.byTable.get(route.table) ?? []), route]);
  }

  /** The LMS tables whose changes matter. */
  tables(): string[] {
    return [...this.byTable.keys()];
  }

  add(transaction: Transaction): void {
    for (const { table, change } of transaction.changes) {
      for (const route of this.byTable.get(table) ?? []) {
        const values = namedValues(route, change);
        if (values.length > 0) addAll(this.named, route, values);
      }
    }
    [this.transactions, this.position, this.at] = [this.transactions + 1, transaction.position, transaction.at];
  }

  /** Forgets what was gathered (the stream is read again from the checkpoint). */
  clear(): void {
    [this.named, this.transactions] = [new Map(), 0];
  }

  /** Values gathered, all routes together. */
  size(): number {
    return [...this.named.values()].reduce((sum, values) => sum + values.size, 0);
  }

  /** Transactions gathered and not yet taken. */
  waiting(): number {
    return this.transactions;
  }

  /** The batch gathered so far, keys of joined tables looked up (emptied); undefined when no transaction came. */
  async take(lms: LmsDatabase): Promise<KeyBatch | undefined> {
    if (this.transactions === 0) return undefined;
    const [named, batch] = [this.named, { position: this.position, at: this.at, transactions: this.transactions }];
    [this.named, this.transactions] = [new Map(), 0];
    const keys = new Map<Sink, Set<number>>();
    for (const [route, values] of named) addAll(keys, route.sink, await keysNamed(lms, route, [...values]));
    return { ...batch, keys: new Map([...keys].map(([sink, each]) => [sink, [...each].sort((a, b) => a - b)])) };
  }
}
