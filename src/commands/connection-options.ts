import { Option, type Command } from 'commander';
import { DEFAULTS } from '../config/settings.js';

/** Adds the flags of commands that read the LMS database too: ClickHouse's (its cluster included), and where MySQL is. */
export function addConnectionOptions(command: Command): Command {
  return addClickHouseOptions(command, { mysql: true, cluster: true });
}

/**
 * Adds the flags every command shares: the config file and where ClickHouse is (and MySQL, when
 * it reads the LMS; the cluster, when the command picks an up-to-date replica or checks them all).
 */
export function addClickHouseOptions(command: Command, { mysql = false, cluster = false } = {}): Command {
  command.option('--config <file>', 'JSON or YAML settings file with the plugin\'s keys (env ASPECTS_CONFIG)');
  if (mysql) command.option('--mysql-url <url>', 'LMS database, mysql://user:<password>@host:3306/edxapp (env ASPECTS_MYSQL_URL; or the password alone in ASPECTS_MYSQL_PASSWORD)');
  command
    .option('--clickhouse-url <url>', `ClickHouse HTTP URL, or chdb:FOLDER for the embedded engine (env ASPECTS_CLICKHOUSE_URL; default ${DEFAULTS.clickhouseUrl})`)
    .option('--clickhouse-username <name>', `ClickHouse user (env ASPECTS_CLICKHOUSE_USERNAME; default ${DEFAULTS.clickhouseUsername})`)
    // No default shown: a password never appears in help.
    .addOption(new Option('--clickhouse-password <password>', 'ClickHouse password (env ASPECTS_CLICKHOUSE_PASSWORD)'))
    .option('--clickhouse-database <name>', `event_sink database (env ASPECTS_CLICKHOUSE_DATABASE; default ${DEFAULTS.clickhouseDatabase})`)
    .option('--clickhouse-timeout <seconds>', `per-request timeout (env ASPECTS_CLICKHOUSE_TIMEOUT; default ${DEFAULTS.clickhouseTimeoutSeconds})`);
  if (cluster) command.option('--clickhouse-cluster <name>', 'the ClickHouse cluster of replicated tables: a run reads and writes one up-to-date replica, schema status checks every server (env ASPECTS_CLICKHOUSE_CLUSTER, Tutor\'s CLICKHOUSE_CLUSTER_NAME)');
  return command;
}
