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

/** The values each route was named with by the transactions gathered so far. */
export class ChangedKeys {
  private named = new Map<Route, Set<unknown>>();
  private transactions = 0;
  private position = '';
  private at = 0;

  constructor(private readonly routes: readonly Route[]) {}

  /** The LMS tables whose changes matter. */
  tables(): string[] {
    return [...new Set(this.routes.map((route) => route.table))];
  }

  add(transaction: Transaction): void {
    for (const { table, change } of transaction.changes) {
      for (const route of this.routes.filter((each) => each.table === table)) {
        const values = namedValues(route, change);
        if (values.length > 0) this.named.set(route, new Set([...(this.named.get(route) ?? []), ...values]));
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
    for (const [route, values] of named) {
      const found = await keysNamed(lms, route, [...values]);
      keys.set(route.sink, new Set([...(keys.get(route.sink) ?? []), ...found]));
    }
    return { ...batch, keys: new Map([...keys].map(([sink, each]) => [sink, [...each].sort((a, b) => a - b)])) };
  }
}
