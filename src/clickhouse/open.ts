import { RuntimeFailure, messageOf } from '../errors.js';
import type { ClickHouseSettings } from '../config/settings.js';
import { openEmbeddedTarget } from './embedded.js';
import { ServerTarget } from './server.js';
import { qualifiedTable } from './sql.js';
import type { ClickHouseTarget } from './target.js';

/** The ClickHouse destination the settings name: a server over HTTP, or `chdb:PATH` embedded. */
export async function openClickHouse(settings: ClickHouseSettings): Promise<ClickHouseTarget> {
  if (settings.url.startsWith('chdb:')) return openEmbeddedTarget(settings.url.slice('chdb:'.length));
  return new ServerTarget(settings);
}

/** Opens the destination and checks it answers; one clear failure otherwise. */
export async function connectClickHouse(settings: ClickHouseSettings): Promise<ClickHouseTarget> {
  const target = await openClickHouse(settings);
  try {
    await target.ping();
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
