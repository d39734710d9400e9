import { hasColumn, type LmsDatabase } from './database.js';

/** Tables whose rows name a user from the moment they confirmed the deletion of their account. */
const RETIREMENT_TABLES = ['user_api_userretirementstatus', 'user_api_userretirementrequest'] as const;
/** The username the LMS gives a user at RETIRING_LMS. */
const RENAMED = "FROM auth_user WHERE username LIKE 'retired\\_\\_user\\_%'";

/** How far each source was read: row count and newest id per table, count of retired usernames. */
type Marks = Readonly<Record<string, number>>;

/**
 * Users the LMS has retired or is retiring: a retirement status or request row, or the
 * `retired__user_` username. Kept up to date during a run by `refresh`, which costs one
 * index-only query when nothing changed and reads only the new rows when something did.
 */
export class RetirementWatch {
  /** Every id in the order it was found, so callers can ask what was added since a moment. */
  private readonly found: number[] = [];

  private constructor(
    private readonly db: LmsDatabase, private readonly tables: readonly string[],
    readonly ids: Set<number>, private marks: Marks,
  ) {}

  static async open(db: LmsDatabase): Promise<RetirementWatch> {
    const tables: string[] = [];
    for (const table of RETIREMENT_TABLES) if (await hasColumn(db, table)) tables.push(table);
    const watch = new RetirementWatch(db, tables, new Set(), {});
    watch.marks = await watch.currentMarks();
    await watch.readAll();
    return watch;
  }

  has(userId: number): boolean {
    return this.ids.has(userId);
  }

  /** A moment of the watch, for `foundSince`. */
  mark(): number {
    return this.found.length;
  }

  /** The users found retired after `mark`. */
  foundSince(mark: number): number[] {
    return this.found.slice(mark);
  }

  /** Brings the set up to date with what the LMS retired since the last look. */
  async refresh(): Promise<void> {
    const now = await this.currentMarks();
    const before = this.marks;
    if (now.renamed !== before.renamed) await this.add(`SELECT id AS user_id ${RENAMED}`, []);
    for (const table of this.tables) {
      if (now[`${table}:count`] === before[`${table}:count`] && now[`${table}:max`] === before[`${table}:max`]) continue;
      const fresh = await this.add(`SELECT user_id FROM ${table} WHERE id > ?`, [before[`${table}:max`] ?? 0]);
      // Fewer new rows than the count grew by: a row with a lower id committed late, or rows went away.
      if (fresh !== (now[`${table}:count`] ?? 0) - (before[`${table}:count`] ?? 0)) await this.add(`SELECT user_id FROM ${table}`, []);
    }
    // Only once everything was read: a refresh that failed half-way is done again in full.
    this.marks = now;
  }

  private async currentMarks(): Promise<Marks> {
    const parts = [`(SELECT COUNT(*) ${RENAMED}) AS renamed`, ...this.tables.flatMap((table) => [
      `(SELECT COUNT(*) FROM ${table}) AS \`${table}:count\``, `(SELECT COALESCE(MAX(id), 0) FROM ${table}) AS \`${table}:max\``])];
    const [row] = await this.db.select(`SELECT ${parts.join(', ')}`, []);
    return Object.fromEntries(Object.entries(row ?? {}).map(([name, value]) => [name, Number(value)]));
  }

  private async readAll(): Promise<void> {
    await this.add(`SELECT id AS user_id ${RENAMED}`, []);
    for (const table of this.tables) await this.add(`SELECT user_id FROM ${table}`, []);
  }

  /** Adds the user ids a query returns; how many rows it returned. */
  private async add(sql: string, params: readonly unknown[]): Promise<number> {
    const rows = await this.db.select(sql, params);
    for (const row of rows) {
      const id = Number(row.user_id);
      if (!this.ids.has(id)) this.found.push(id);
      this.ids.add(id);
    }
    return rows.length;
  }
}

/**
 * One watch kept across runs (follow's batches): opened on first use, brought up to date on each
 * later one, so a batch costs one index-only query when no one retired, not a read of every
 * retired learner.
 */
export function sharedRetirementWatch(db: LmsDatabase): () => Promise<RetirementWatch> {
  let opened: Promise<RetirementWatch> | undefined;
  return async () => {
    if (!opened) {
      opened = RetirementWatch.open(db);
      opened.catch(() => { opened = undefined; });
      return opened;
    }
    const watch = await opened;
    await watch.refresh();
    return watch;
  };
}

/** Every user the LMS has retired or is retiring, read once. */
export async function retiredUserIds(db: LmsDatabase): Promise<Set<number>> {
  return (await RetirementWatch.open(db)).ids;
}
