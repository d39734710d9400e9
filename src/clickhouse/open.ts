import { RuntimeFailure, messageOf } from '../errors.js';
import type { ClickHouseSettings } from '../config/settings.js';
import { openEmbeddedTarget } from './embedded.js';
import { ServerTarget } from './server.js';
import { qualifiedTable } from './sql.js';
import { isTransientClickHouse, type ClickHouseTarget } from './target.js';
import { connecting, type ConnectRetry } from '../pipeline/retry.js';

/**
 * The ClickHouse destination the settings name: a server over HTTP, or `chdb:PATH` embedded.
 * `signal` abandons the server's requests (in-process calls cannot be); `create` lets a chdb:
 * folder be new (schema init), where otherwise a missing one is a mistyped path.
 */
export async function openClickHouse(settings: ClickHouseSettings, signal?: AbortSignal, create = false): Promise<ClickHouseTarget> {
  if (settings.url.startsWith('chdb:')) return openEmbeddedTarget(settings.url.slice('chdb:'.length), create);
  return new ServerTarget(settings, signal);
}

/** Opens the destination and checks it answers (retrying while it may come up, when asked); one clear failure otherwise. */
export async function connectClickHouse(settings: ClickHouseSettings, retry?: ConnectRetry, create = false): Promise<ClickHouseTarget> {
  const target = await openClickHouse(settings, retry?.signal, create);
  try {
    await connecting(() => target.ping(), isTransientClickHouse, retry);
    return target;
  } catch (error) {
    await target.close().catch(() => undefined);
    throw new RuntimeFailure(`cannot connect to ClickHouse ${target.description}: ${messageOf(error)}`);
  }
}

/** Whether `database`.`table` exists on the destination. */
export async function tableExists(target: ClickHouseTarget, database: string, table: string): Promise<boolean> {
  const [row] = await target.query(`EXISTS TABLE ${qualifiedTable(database, table)}`);
  return Number(Object.values(row ?? {})[0]) === 1;
}

