import { marksTableSql } from '../clickhouse/run-marks.js';
import { columnType, EVENT_SINK_TABLES, LOCAL_SUFFIX, serverDialect, tableStatements, xapiEventsTable, type ClusterLayout, type ServerDialect, type TableDefinition } from '../clickhouse/ddl.js';
import { messageOf } from '../errors.js';
import { literal, quoteIdentifier } from '../clickhouse/sql.js';
import type { ClickHouseTarget, Peer } from '../clickhouse/target.js';

function createDatabaseSql(database: string, layout?: ClusterLayout): string {
  return `CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(database)}${layout ? ` ON CLUSTER ${literal(layout.cluster)}` : ''}`;
}

/** Creates the xAPI database and statements table (for a standalone or embedded store). */
export async function initXapiSchema(target: ClickHouseTarget, database: string, table: string, layout?: ClusterLayout): Promise<string> {
  const { version, dialect } = await serverDialect(target);
  await target.command(createDatabaseSql(database, layout));
  for (const statement of tableStatements(xapiEventsTable(table), database, dialect, layout)) await target.command(statement);
  return dialect.modernTypes ? `xAPI table ready: ${database}.${table}`
    : `xAPI table ready: ${database}.${table} (ClickHouse ${version} has no DateTime64: emission_time keeps whole seconds)`;
}

/**
 * Creates the database and every event_sink table that does not exist yet (idempotent).
 * Returns notices for the operator (types replaced on an old server).
 */
export async function initSchema(target: ClickHouseTarget, database: string, layout?: ClusterLayout): Promise<string[]> {
  const { version, dialect } = await serverDialect(target);
  await target.command(createDatabaseSql(database, layout));
  for (const table of EVENT_SINK_TABLES) {
    for (const statement of tableStatements(table, database, dialect, layout)) await target.command(statement);
  }
  await target.command(marksTableSql(database, layout?.cluster));
  const where = layout ? ` on every server of cluster ${layout.cluster}${layout.sharded ? ' (local replicated tables and Distributed ones)' : ''}` : '';
  const notices = [`event_sink tables ready in ${database}${where} (${EVENT_SINK_TABLES.length} tables, ClickHouse ${version})`];
  if (!dialect.modernTypes) notices.push(`ClickHouse ${version} has no Bool or LowCardinality: String stands in for them (True/False are stored as text)`);
  if (!dialect.modernSyntax) notices.push(`ClickHouse ${version} has no separate PRIMARY KEY clause: ORDER BY alone defines the key`);
  return notices;
}

/** One difference between the expected and the existing schema. */
export interface SchemaDifference {
  table: string;
  kind: 'missing table' | 'missing column' | 'extra column' | 'mistyped column' | 'other engine' | 'unreachable server';
  column?: string;
  expected?: string;
  actual?: string;
  /** On a cluster: the server that differs. */
  server?: string;
}

/** The columns (name → type) of every table of `database`, and each table's engine. */
async function existingTables(target: ClickHouseTarget, database: string): Promise<{ columns: Map<string, Map<string, string>>; engines: Map<string, string> }> {
  const rows = await target.queryFields(`SELECT table, name, type FROM system.columns WHERE database = ${literal(database)}`);
  const columns = new Map<string, Map<string, string>>();
  for (const [table = '', name = '', type = ''] of rows) columns.set(table, (columns.get(table) ?? new Map<string, string>()).set(name, type));
  const engines = await target.queryFields(`SELECT name, engine FROM system.tables WHERE database = ${literal(database)}`);
  return { columns, engines: new Map(engines.map(([name = '', engine = '']) => [name, engine])) };
}

function columnDifferences(table: TableDefinition, columns: ReadonlyMap<string, string>, dialect: ServerDialect): SchemaDifference[] {
  const differences: SchemaDifference[] = [];
  for (const [name, type] of table.columns) {
    const expected = columnType(type, dialect);
    const found = columns.get(name);
    if (found === undefined) differences.push({ table: table.name, kind: 'missing column', column: name, expected });
    else if (found !== expected) differences.push({ table: table.name, kind: 'mistyped column', column: name, expected, actual: found });
  }
  const known = new Set(table.columns.map(([name]) => name));
  for (const [name, type] of columns) {
    if (!known.has(name)) differences.push({ table: table.name, kind: 'extra column', column: name, actual: type });
  }
  return differences;
}

/**
 * The table that holds `table`'s rows on this server (its `_local` table when it is Distributed),
 * and the engine it should have: Replicated on a cluster, plain otherwise.
 */
function storageOf(table: TableDefinition, engines: ReadonlyMap<string, string>, replicated: boolean): { name: string; expected: string } {
  const name = engines.get(table.name) === 'Distributed' ? `${table.name}${LOCAL_SUFFIX}` : table.name;
  return { name, expected: replicated ? `Replicated${table.engine}` : table.engine };
}

/**
 * Compares the existing tables, their engines (Replicated on a cluster) and columns with the
 * expected ones (types as this server needs them).
 */
export async function schemaDifferences(target: ClickHouseTarget, database: string, replicated = false): Promise<SchemaDifference[]> {
  const { dialect } = await serverDialect(target);
  const { columns, engines } = await existingTables(target, database);
  return EVENT_SINK_TABLES.flatMap((table): SchemaDifference[] => {
    const storage = storageOf(table, engines, replicated);
    const found = columns.get(storage.name);
    if (!found) return [{ table: storage.name, kind: 'missing table' }];
    const engine = engines.get(storage.name) ?? '';
    const other: SchemaDifference[] = engine === storage.expected ? [] : [{ table: storage.name, kind: 'other engine', expected: storage.expected, actual: engine }];
    return [...other, ...columnDifferences({ ...table, name: storage.name }, found, dialect)];
  });
}

/** schemaDifferences on every server of a cluster (each difference names its server); a server that does not answer is one. */
export async function clusterSchemaDifferences(servers: readonly Peer[], database: string): Promise<SchemaDifference[]> {
  const each = await Promise.all(servers.map(async ({ name, target }) => {
    try {
      return (await schemaDifferences(target, database, true)).map((difference) => ({ ...difference, server: name }));
    } catch (error) {
      return [{ table: '*', kind: 'unreachable server' as const, server: name, actual: messageOf(error) }];
    }
  }));
  return each.flat();
}
