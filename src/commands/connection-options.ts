import { Option, type Command } from 'commander';
import { DEFAULTS } from '../config/settings.js';

/** Adds the flags of commands that read the LMS database too: ClickHouse's, and where MySQL is. */
export function addConnectionOptions(command: Command): Command {
  return addClickHouseOptions(command, true);
}

/** Adds the flags every command shares: the config file and where ClickHouse is (and MySQL, when it reads the LMS). */
export function addClickHouseOptions(command: Command, mysql = false): Command {
  command.option('--config <file>', 'JSON or YAML settings file with the plugin\'s keys (env ASPECTS_CONFIG)');
  if (mysql) command.option('--mysql-url <url>', 'LMS database, mysql://user:password@host:3306/edxapp (env ASPECTS_MYSQL_URL)');
  return command
    .option('--clickhouse-url <url>', `ClickHouse HTTP URL, or chdb:FOLDER for the embedded engine (env ASPECTS_CLICKHOUSE_URL; default ${DEFAULTS.clickhouseUrl})`)
    .option('--clickhouse-username <name>', `ClickHouse user (env ASPECTS_CLICKHOUSE_USERNAME; default ${DEFAULTS.clickhouseUsername})`)
    // No default shown: a password never appears in help.
    .addOption(new Option('--clickhouse-password <password>', 'ClickHouse password (env ASPECTS_CLICKHOUSE_PASSWORD)'))
    .option('--clickhouse-database <name>', `event_sink database (env ASPECTS_CLICKHOUSE_DATABASE; default ${DEFAULTS.clickhouseDatabase})`)
    .option('--clickhouse-timeout <seconds>', `per-request timeout (env ASPECTS_CLICKHOUSE_TIMEOUT; default ${DEFAULTS.clickhouseTimeoutSeconds})`);
}
