import { Command, Option } from 'commander';
import { resolveSettings, type ConnectionFlags } from '../config/settings.js';
import { AspectsError, EXIT_CODES, messageOf } from '../errors.js';
import { ClickHouseFailure } from '../clickhouse/target.js';
import { writeLine } from '../output/streams.js';
import { hasDatabase } from '../query/databases.js';
import { openQueryEngine, type QueryEngine } from '../query/engine.js';
import { Output } from '../query/output.js';
import { csvPrinter, jsonPrinter, tablePrinter, type ResultPrinter } from '../query/printers.js';
import { checkOwnFormats, checkSettings, statementsOf } from '../query/sql-input.js';
import { ownFormat, returnsRows, usedDatabase, type Statement } from '../query/statements.js';
import type { CommandContext } from './context.js';
import { addClickHouseOptions } from './connection-options.js';

type Format = 'table' | 'json' | 'csv';

interface QueryFlags extends ConnectionFlags {
  format: Format;
  json?: boolean;
}

function printerFor(format: Format, out: Output, statements: number): ResultPrinter {
  if (format === 'json') return jsonPrinter(out, statements);
  return format === 'csv' ? csvPrinter(out) : tablePrinter(out);
}

/** Runs one statement and prints what it returns. */
async function runStatement(engine: QueryEngine, statement: Statement, printer: ResultPrinter): Promise<void> {
  const database = usedDatabase(statement);
  if (database !== undefined) await engine.use(database);
  else if (!returnsRows(statement)) await engine.run(statement.text);
  else if (ownFormat(statement) !== undefined) return printer.raw(engine.output(statement.text));
  else return printer.rows(engine.output(statement.text, printer.engineFormat));
  return printer.command();
}

/** A failure of one of several statements, saying which. */
function inStatement(error: unknown, index: number, total: number): unknown {
  if (total === 1 || !(error instanceof ClickHouseFailure)) return error;
  return new ClickHouseFailure(`statement ${index + 1} of ${total}: ${error.message}`, error.transient, error.detail);
}

/** Unqualified table names resolve in the configured database, where it exists (else in the engine's default, said once). */
async function useConfiguredDatabase(engine: QueryEngine, database: string, context: CommandContext): Promise<void> {
  if (await hasDatabase(engine, database)) return engine.use(database);
  writeLine(context.streams.stderr, `aspects: note: database ${database} does not exist on ${engine.description}; unqualified table names resolve in its default database`);
}

async function runAll(statements: readonly Statement[], flags: QueryFlags, printer: ResultPrinter, context: CommandContext): Promise<void> {
  const settings = resolveSettings(flags, context.env).clickhouse;
  const engine = await openQueryEngine(settings);
  try {
    checkSettings(statements, engine.keepsSettings);
    await useConfiguredDatabase(engine, settings.database, context);
    for (const [index, statement] of statements.entries()) {
      await runStatement(engine, statement, printer).catch((error: unknown) => { throw inStatement(error, index, statements.length); });
    }
  } finally {
    await printer.end();
    await engine.close();
  }
}

/** With JSON output, a failure before anything was printed still prints a document. */
function errorDocument(error: unknown): string {
  const exitCode = error instanceof AspectsError ? error.exitCode : EXIT_CODES.runtime;
  return JSON.stringify({ command: 'query', status: 'error', exit_code: exitCode, error: messageOf(error).split('\n')[0] });
}

async function queryAction(sql: string, flags: QueryFlags, context: CommandContext): Promise<void> {
  const format: Format = flags.json === true ? 'json' : flags.format;
  const out = new Output(context.streams.stdout);
  try {
    const statements = await statementsOf(sql);
    checkOwnFormats(statements, format);
    await runAll(statements, flags, printerFor(format, out, statements.length), context);
  } catch (error) {
    if (format === 'json' && !out.written) writeLine(context.streams.stdout, errorDocument(error));
    throw error;
  }
}

/** `aspects query SQL`: statements on the configured ClickHouse, server or embedded (which has no client of its own). */
export function queryCommand(context: CommandContext): Command {
  const command = new Command('query')
    .description('run SQL statements on the configured ClickHouse and print their results')
    .argument('<sql>', 'the statements, separated by ";" (e.g. "SELECT count() FROM course_overviews"), or - to read them from stdin; unqualified table names resolve in --clickhouse-database')
    .addOption(new Option('--format <format>', 'output format (NULL shows as ᴺᵁᴸᴸ in the table, \\N in CSV, null in JSON)').choices(['table', 'json', 'csv']).default('table'))
    .option('--json', 'the same as --format json: one JSON document, also when the query fails')
    .addHelpText('after', '\nExamples:\n  $ aspects query "SELECT org, count() FROM course_overviews GROUP BY org" --clickhouse-url chdb:./aspects-data\n  $ aspects query "SHOW TABLES" --format json\n  $ echo "SELECT 1; SELECT 2" | aspects query -')
    .action((sql: string, flags: QueryFlags) => queryAction(sql, flags, context));
  return addClickHouseOptions(command);
}
