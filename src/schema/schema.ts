import { createTableSql, columnType, EVENT_SINK_TABLES, serverDialect, xapiEventsTable } from '../clickhouse/ddl.js';
import { literal, quoteIdentifier } from '../clickhouse/sql.js';
import type { ClickHouseTarget } from '../clickhouse/target.js';

/** Creates the xAPI database and statements table (for a standalone or embedded store). */
export async function initXapiSchema(target: ClickHouseTarget, database: string, table: string, cluster?: string): Promise<string> {
  const { version, dialect } = await serverDialect(target);
  const onCluster = cluster ? ` ON CLUSTER '${cluster}'` : '';
  await target.command(`CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(database)}${onCluster}`);
  await target.command(createTableSql(xapiEventsTable(table), database, dialect, cluster));
  return dialect.modernTypes ? `xAPI table ready: ${database}.${table}`
    : `xAPI table ready: ${database}.${table} (ClickHouse ${version} has no DateTime64: emission_time keeps whole seconds)`;
}

/**
 * Creates the database and every event_sink table that does not exist yet (idempotent).
 * Returns notices for the operator (types replaced on an old server).
 */
export async function initSchema(target: ClickHouseTarget, database: string, cluster?: string): Promise<string[]> {
  const { version, dialect } = await serverDialect(target);
  const onCluster = cluster ? ` ON CLUSTER '${cluster}'` : '';
  await target.command(`CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(database)}${onCluster}`);
  for (const table of EVENT_SINK_TABLES) await target.command(createTableSql(table, database, dialect, cluster));
  const notices = [`event_sink tables ready in ${database} (${EVENT_SINK_TABLES.length} tables, ClickHouse ${version})`];
  if (!dialect.modernTypes) notices.push(`ClickHouse ${version} has no Bool or LowCardinality: String stands in for them (True/False are stored as text)`);
  if (!dialect.modernSyntax) notices.push(`ClickHouse ${version} has no separate PRIMARY KEY clause: ORDER BY alone defines the key`);
  return notices;
}

/** One difference between the expected and the existing schema. */
export interface SchemaDifference {
  table: string;
  kind: 'missing table' | 'missing column' | 'extra column' | 'mistyped column';
  column?: string;
  expected?: string;
  actual?: string;
}

/** Compares the existing tables and columns with the expected ones (types as this server needs them). */
export async function schemaDifferences(target: ClickHouseTarget, database: string): Promise<SchemaDifference[]> {
  const { dialect } = await serverDialect(target);
  const rows = await target.query(`SELECT table, name, type FROM system.columns WHERE database = ${literal(database)}`);
  const actual = new Map<string, Map<string, string>>();
  for (const row of rows) {
    const columns = actual.get(String(row.table)) ?? new Map<string, string>();
    columns.set(String(row.name), String(row.type));
    actual.set(String(row.table), columns);
  }
  const differences: SchemaDifference[] = [];
  for (const table of EVENT_SINK_TABLES) {
    const columns = actual.get(table.name);
    if (!columns) {
      differences.push({ table: table.name, kind: 'missing table' });
      continue;
    }
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
  }
  return differences;
}
