import { Command } from 'commander';
import { connectClickHouse } from '../clickhouse/open.js';
import { resolveSettings, type ConnectionFlags } from '../config/settings.js';
import { Drift, UsageError } from '../errors.js';
import { writeLine } from '../output/streams.js';
import { initSchema, initXapiSchema, schemaDifferences, type SchemaDifference } from '../schema/schema.js';
import type { CommandContext } from './context.js';
import { addClickHouseOptions } from './connection-options.js';

interface InitFlags extends ConnectionFlags { cluster?: string; xapi?: boolean }
interface StatusFlags extends ConnectionFlags { json?: boolean }

async function initAction(flags: InitFlags, context: CommandContext): Promise<void> {
  if (flags.cluster !== undefined && !/^[A-Za-z0-9_.-]+$/.test(flags.cluster)) {
    throw new UsageError(`--cluster ${JSON.stringify(flags.cluster)} is not a cluster name`);
  }
  const settings = resolveSettings(flags, context.env);
  // schema init is what creates a chdb: store, so its folder may be new.
  const target = await connectClickHouse(settings.clickhouse, undefined, true);
  try {
    for (const notice of await initSchema(target, settings.clickhouse.database, flags.cluster)) writeLine(context.streams.stdout, notice);
    if (flags.xapi) {
      const { xapiDatabase, xapiTable } = settings.loadTest;
      writeLine(context.streams.stdout, await initXapiSchema(target, xapiDatabase, xapiTable, flags.cluster));
    }
  } finally {
    await target.close();
  }
}

function differenceLine(difference: SchemaDifference): string {
  const column = difference.column ? `.${difference.column}` : '';
  const types = difference.kind === 'mistyped column' ? ` (expected ${difference.expected}, found ${difference.actual})`
    : difference.expected ? ` (${difference.expected})` : difference.actual ? ` (${difference.actual})` : '';
  return `${difference.kind}: ${difference.table}${column}${types}`;
}

async function statusAction(flags: StatusFlags, context: CommandContext): Promise<void> {
  const settings = resolveSettings(flags, context.env);
  const target = await connectClickHouse(settings.clickhouse);
  let differences: SchemaDifference[];
  try {
    differences = await schemaDifferences(target, settings.clickhouse.database);
  } finally {
    await target.close();
  }
  const text = flags.json
    ? JSON.stringify({ command: 'schema status', database: settings.clickhouse.database, matches: differences.length === 0, differences })
    : differences.length === 0 ? `schema of ${settings.clickhouse.database} matches` : differences.map(differenceLine).join('\n');
  writeLine(context.streams.stdout, text);
  if (differences.length > 0) throw new Drift(`the schema of ${settings.clickhouse.database} drifts from Aspects' in ${differences.length} places`);
}

/** `aspects schema init|status`: create the event_sink tables, or compare them with Aspects'. */
export function schemaCommand(context: CommandContext): Command {
  const init = addClickHouseOptions(new Command('init')
    .description('create the database and every event_sink table the tool writes, as Aspects defines them (idempotent)')
    .option('--cluster <name>', 'ON CLUSTER and Replicated engines, as Tutor does with CLICKHOUSE_CLUSTER_NAME')
    .option('--xapi', 'also create the xAPI statements table (xapi.xapi_events_all) for a standalone or embedded store')
    .action((flags: InitFlags) => initAction(flags, context)));
  const status = addClickHouseOptions(new Command('status')
    .description('report missing tables and missing, extra or mistyped columns; exit 3 when they drift')
    .option('--json', 'print one JSON document')
    .action((flags: StatusFlags) => statusAction(flags, context)));
  return new Command('schema')
    .description('create or check the event_sink schema')
    .addCommand(init)
    .addCommand(status)
    .addHelpText('after', '\nExamples:\n  $ aspects schema init --clickhouse-url chdb:./aspects-data\n  $ aspects schema status --json');
}
