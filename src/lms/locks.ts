import { createHash } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { hostname } from 'node:os';
import type { ClickHouseSettings } from '../config/settings.js';
import type { MysqlLocation } from '../config/urls.js';
import { Interrupted, LockHeld } from '../errors.js';
import type { LmsDatabase, LmsSession } from './database.js';
import { openLmsSession } from './database.js';

/**
 * Run locks: MySQL user-level locks (GET_LOCK) on the LMS server, so every operator machine
 * sees them, held by a session of their own, so they vanish when the holder's connection ends.
 */

/** Who holds a lock, as other runs report it. */
export interface LockOwner {
  readonly command: string;
  readonly objects: string;
  readonly host: string;
  readonly pid: number;
  /** ISO 8601 UTC. */
  readonly since: string;
}

/** How long to wait for a lock: not at all, some seconds, or until it is free. */
export type LockWait = number | 'forever';

/** What the locks of one ClickHouse destination are named after: the LMS and the destination's database. */
export interface LockScope {
  readonly lmsDatabase: string;
  /** The ClickHouse database, plus the folder for the embedded engine. */
  readonly destination: string;
}

/** The folder as every process names it (a missing one as given). */
function canonicalFolder(folder: string): string {
  try {
    return realpathSync(folder);
  } catch {
    return folder;
  }
}

/**
 * What the locks of a run are named after: the LMS database and the ClickHouse database (with
 * the folder of an embedded store), not the ClickHouse URL, which differs between machines.
 */
export function lockScope(mysql: MysqlLocation, clickhouse: ClickHouseSettings): LockScope {
  const embedded = clickhouse.url.startsWith('chdb:') ? `\n${canonicalFolder(clickhouse.url.slice('chdb:'.length))}` : '';
  return { lmsDatabase: mysql.database, destination: `${clickhouse.database}${embedded}` };
}

/** A lock name of at most 64 characters (MySQL's limit): kind, object and a hash of the scope. */
export function lockName(kind: 'dump' | 'write', object: string, scope: LockScope): string {
  const hash = createHash('sha256').update(`${scope.lmsDatabase}\n${scope.destination}`).digest('hex').slice(0, 12);
  return `aspects:${kind}:${object}:${hash}`.slice(0, 64);
}

/** This process as a lock owner. */
export function thisProcess(command: string, objects: readonly string[]): LockOwner {
  return { command, objects: objects.join(','), host: hostname(), pid: process.pid, since: new Date().toISOString().replace(/\.\d+Z$/, 'Z') };
}

const WORD = /[^A-Za-z0-9._:@,-]/g;
const OWNER_NOTE = /aspects-lock (\S+) (\S+) host=(\S+) pid=(\d+) since=(\S+)/;

/** The owner as a SQL comment other sessions read in the process list (characters limited to a safe set). */
function ownerNote(owner: LockOwner): string {
  const word = (text: string) => text.replace(WORD, '_') || '_';
  return `/* aspects-lock ${word(owner.command)} ${word(owner.objects)} host=${word(owner.host)} pid=${owner.pid} since=${word(owner.since)} */`;
}

/** The owner a process-list entry names, if it is one of ours. */
export function parseOwnerNote(info: string): LockOwner | undefined {
  const match = OWNER_NOTE.exec(info);
  if (!match) return undefined;
  return { command: match[1] as string, objects: match[2] as string, host: match[3] as string, pid: Number(match[4]), since: match[5] as string };
}

/** GET_LOCK in steps of at most 2 s (so a signal is noticed) until it is ours or the deadline passes. */
export async function getLock(session: LmsSession, name: string, deadline: number, signal?: AbortSignal): Promise<boolean> {
  for (;;) {
    const seconds = Math.max(0, Math.min(2, (deadline - Date.now()) / 1000));
    const [row] = await session.select('SELECT GET_LOCK(?, ?) AS got', [name, seconds]);
    if (Number(row?.got) === 1) return true;
    if (Date.now() >= deadline || signal?.aborted) return false;
  }
}

/** Takes each lock it can within the wait, in the given order: those taken, and those that stayed taken. */
async function getAvailableLocks(session: LmsSession, names: readonly string[], wait: LockWait, signal?: AbortSignal): Promise<{ taken: string[]; locked: string[] }> {
  const deadline = wait === 'forever' ? Infinity : Date.now() + wait * 1000;
  const taken: string[] = [];
  const locked: string[] = [];
  for (const name of names) (await getLock(session, name, deadline, signal) ? taken : locked).push(name);
  return { taken, locked };
}

/** The object a lock name is about. */
export function lockedObject(name: string): string {
  return name.split(':')[2] ?? name;
}

/** Takes every lock, in the given order; the name that stayed taken (and none held) otherwise. */
async function getLocks(session: LmsSession, names: readonly string[], wait: LockWait, signal?: AbortSignal): Promise<string | undefined> {
  const deadline = wait === 'forever' ? Infinity : Date.now() + wait * 1000;
  for (const [index, name] of names.entries()) {
    if (await getLock(session, name, deadline, signal)) continue;
    for (const taken of names.slice(0, index)) await session.select('SELECT RELEASE_LOCK(?) AS released', [taken]);
    return name;
  }
  return undefined;
}

/** Who holds `name` (from the holder's process-list note), or its MySQL connection when it has none. */
export async function lockHolder(db: LmsDatabase, name: string): Promise<string> {
  const [row] = await db.select('SELECT IS_USED_LOCK(?) AS holder', [name]);
  const id = row?.holder == null ? undefined : Number(row.holder);
  if (id === undefined) return 'a run that has just ended';
  const [entry] = await db.select('SELECT HOST AS host, INFO AS info FROM information_schema.PROCESSLIST WHERE ID = ?', [id]);
  const owner = parseOwnerNote(String(entry?.info ?? ''));
  const connection = `MySQL connection ${id}${entry?.host ? ` from ${String(entry.host)}` : ''}`;
  if (!owner) return connection;
  return `aspects ${owner.command} of ${owner.objects} on host ${owner.host}, pid ${owner.pid}, since ${owner.since} (${connection})`;
}

/** Who asks for locks, how long it waits, and what to tell the operator when they stay taken. */
export interface AcquireOptions {
  readonly owner: LockOwner;
  readonly wait: LockWait;
  readonly hint: string;
  readonly signal?: AbortSignal;
}

/** A day: the owner note's statement is started again when it ends. */
const NOTE_SECONDS = 86_400;

/**
 * Locks this process holds on a session of their own. The session keeps a statement running
 * whose text names the owner (host, pid, since), which is how other runs can say who holds
 * them; MySQL ends it within seconds of the holder's death, and the locks with it.
 */
export class HeldLocks {
  private lost = false;
  private releasing = false;

  private constructor(private readonly session: LmsSession, readonly names: readonly string[], private readonly owner: LockOwner) {}

  /** Takes the locks, or fails with LockHeld naming who holds the first one that stays taken. */
  static async acquire(location: MysqlLocation, names: readonly string[], how: AcquireOptions): Promise<HeldLocks> {
    const { owner, wait, signal, hint } = how;
    const session = await openLmsSession(location);
    try {
      const taken = await getLocks(session, names, wait, signal);
      if (taken !== undefined && signal?.aborted) throw new Interrupted('interrupted while waiting for the lock; nothing was written');
      if (taken !== undefined) throw new LockHeld(`${taken.split(':')[2]} is locked by ${await lockHolder(session, taken)}; ${hint}`);
    } catch (error) {
      await session.close();
      throw error;
    }
    const locks = new HeldLocks(session, names, owner);
    locks.advertise();
    return locks;
  }

  /**
   * Takes the locks it can (each waited for until the same deadline): the locks taken, and who holds
   * each other one. None taken fails with LockHeld naming every holder.
   */
  static async acquireAvailable(location: MysqlLocation, names: readonly string[], how: AcquireOptions): Promise<{ locks: HeldLocks; holders: Map<string, string> }> {
    const { owner, wait, signal, hint } = how;
    const session = await openLmsSession(location);
    try {
      const { taken, locked } = await getAvailableLocks(session, names, wait, signal);
      if (locked.length > 0 && signal?.aborted) throw new Interrupted('interrupted while waiting for the lock; nothing was written');
      const holders = new Map<string, string>();
      for (const name of locked) holders.set(name, await lockHolder(session, name));
      if (taken.length === 0) throw new LockHeld(`${[...holders].map(([name, holder]) => `${lockedObject(name)} is locked by ${holder}`).join('; ')}; ${hint}`);
      const locks = new HeldLocks(session, taken, owner);
      locks.advertise();
      return { locks, holders };
    } catch (error) {
      await session.close();
      throw error;
    }
  }

  private advertise(): void {
    void this.session.hold(`SELECT SLEEP(?) AS slept ${ownerNote(this.owner)}`, [NOTE_SECONDS]).then(
      () => { if (!this.releasing) this.advertise(); },
      (error: unknown) => {
        // KILL QUERY (a DBA's, or ours on release) ends the statement, not the session.
        if ((error as { code?: unknown }).code === 'ER_QUERY_INTERRUPTED' && !this.releasing) this.advertise();
        else this.lost = !this.releasing;
      },
    );
  }

  /** Whether every lock is still this session's (false once the session dropped or was killed). */
  async held(db: LmsDatabase): Promise<boolean> {
    if (this.lost) return false;
    const [row] = await db.select(`SELECT ${this.names.map((_, index) => `IS_USED_LOCK(?) AS h${index}`).join(', ')}`, [...this.names]);
    return this.names.every((_, index) => Number(row?.[`h${index}`]) === this.session.id);
  }

  /** Releases the locks now (not seconds later, when MySQL would notice the closed session). */
  async release(db: LmsDatabase): Promise<void> {
    this.releasing = true;
    if (!this.lost) await this.unlock(db).catch(() => undefined);
    await this.session.close();
  }

  /**
   * Ends the owner note and releases each lock (queued behind the note on the session). A
   * statement MySQL does not answer (each is watched) ends it: closing the session releases
   * them too, once MySQL notices.
   */
  private async unlock(db: LmsDatabase): Promise<void> {
    await db.select('KILL QUERY ?', [this.session.id]);
    for (const name of this.names) await this.session.select('SELECT RELEASE_LOCK(?) AS released', [name]);
  }
}
