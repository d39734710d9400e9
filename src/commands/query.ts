import { Command, Option } from 'commander';
import { connectClickHouse } from '../clickhouse/open.js';
import type { ClickHouseRow } from '../clickhouse/target.js';
import { resolveSettings, type ConnectionFlags } from '../config/settings.js';
import { encodeCell, quoted } from '../format/cell.js';
import { writeLine } from '../output/streams.js';
import { textTable } from '../output/table.js';
import type { CommandContext } from './context.js';
import { addClickHouseOptions } from './connection-options.js';

interface QueryFlags extends ConnectionFlags {
  format: 'table' | 'json' | 'csv';
}

/** Statements that return rows; anything else runs as a command. */
const RETURNS_ROWS = /^\s*(SELECT|WITH|SHOW|DESCRIBE|DESC|EXISTS|EXPLAIN)\b/i;

const cellText = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));

function render(rows: readonly ClickHouseRow[], format: QueryFlags['format']): string {
  if (format === 'json') return JSON.stringify(rows);
  const columns = Object.keys(rows[0] ?? {});
  if (format === 'csv') {
    const line = (cells: readonly string[]) => cells.map((cell) => encodeCell(quoted(cell))).join(',');
    return [line(columns), ...rows.map((row) => line(columns.map((name) => cellText(row[name]))))].join('\n');
  }
  return rows.length === 0 ? '(no rows)' : textTable(columns, rows.map((row) => columns.map((name) => cellText(row[name]))));
}

async function queryAction(sql: string, flags: QueryFlags, context: CommandContext): Promise<void> {
  const settings = resolveSettings(flags, context.env);
  const target = await connectClickHouse(settings.clickhouse, { pin: false });
  try {
    if (RETURNS_ROWS.test(sql)) writeLine(context.streams.stdout, render(await target.query(sql.replace(/;\s*$/, '')), flags.format));
    else await target.command(sql);
  } finally {
    await target.close();
  }
}

/** `aspects query SQL`: one statement on the configured ClickHouse (the embedded store has no client). */
export function queryCommand(context: CommandContext): Command {
  const command = new Command('query')
    .description('run one SQL statement on the configured ClickHouse and print the result')
    .argument('<sql>', 'the statement, e.g. "SELECT count() FROM event_sink.course_overviews"')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json', 'csv']).default('table'))
    .addHelpText('after', '\nExamples:\n  $ aspects query "SELECT org, count() FROM event_sink.course_overviews GROUP BY org" --clickhouse-url chdb:./aspects-data\n  $ aspects query "SHOW TABLES FROM event_sink" --format json')
    .action((sql: string, flags: QueryFlags) => queryAction(sql, flags, context));
  return addClickHouseOptions(command);
}
