import type { LmsDatabase } from './database.js';

/**
 * What `aspects follow` needs of the LMS database before it reads its binlog: the binlog on,
 * whole rows logged (so a change names its key and the columns it changed), and the grants of a
 * replica. Each missing one is named with what to change.
 */

/** The server variables follow needs, and the value each must have. */
const REQUIRED: ReadonlyArray<readonly [string, string]> = [
  ['log_bin', 'ON'], ['binlog_format', 'ROW'], ['binlog_row_image', 'FULL'], ['binlog_row_metadata', 'FULL'],
];

/** Where each variable is set, for the operator. */
const HOW: Readonly<Record<string, string>> = {
  log_bin: 'start the server with --log-bin (Tutor\'s MySQL 8.4 has it on by default)',
  binlog_format: 'SET GLOBAL binlog_format = \'ROW\' (and binlog_format=ROW in the server\'s config)',
  binlog_row_image: 'SET GLOBAL binlog_row_image = \'FULL\'',
  binlog_row_metadata: 'SET GLOBAL binlog_row_metadata = \'FULL\' (MariaDB 10.5+, MySQL 8.0+)',
};

async function variables(db: LmsDatabase): Promise<Map<string, string>> {
  const names = [...REQUIRED.map(([name]) => name), 'gtid_mode'];
  const rows = await db.select(`SHOW GLOBAL VARIABLES WHERE Variable_name IN (${names.map(() => '?').join(', ')})`, names);
  return new Map(rows.map((row) => [String(row.Variable_name).toLowerCase(), String(row.Value).toUpperCase()]));
}

/** The settings that are not as follow needs them, each with what to change. */
export async function binlogSettingProblems(db: LmsDatabase): Promise<string[]> {
  const found = await variables(db);
  const problems = REQUIRED.filter(([name, wanted]) => found.get(name) !== wanted)
    .map(([name, wanted]) => `${name} is ${found.get(name) ?? 'not a setting of this server'}, not ${wanted}: ${HOW[name]}`);
  // MySQL resumes by GTID only with gtid_mode ON (MariaDB always has GTIDs and no such variable).
  const gtidMode = found.get('gtid_mode');
  if (gtidMode !== undefined && gtidMode !== 'ON') {
    problems.push(`gtid_mode is ${gtidMode}, not ON: SET PERSIST enforce_gtid_consistency = ON, then gtid_mode = OFF_PERMISSIVE, ON_PERMISSIVE and ON (MySQL 8)`);
  }
  return problems;
}

/** Whether the grants hold a privilege (or ALL PRIVILEGES on *.*). */
function granted(grants: readonly string[], ...privileges: string[]): boolean {
  return grants.some((line) => /GRANT ALL PRIVILEGES ON \*\.\*/i.test(line) || privileges.some((privilege) => new RegExp(`\\b${privilege}\\b`, 'i').test(line)));
}

/** The replica grants the user lacks, named as a GRANT statement would. */
export async function missingBinlogGrants(db: LmsDatabase): Promise<string[]> {
  const grants = (await db.select('SHOW GRANTS', [])).map((row) => String(Object.values(row)[0]));
  const missing: string[] = [];
  if (!granted(grants, 'REPLICATION SLAVE', 'REPLICA', 'SUPER')) missing.push('REPLICATION SLAVE');
  if (!granted(grants, 'REPLICATION CLIENT', 'BINLOG MONITOR', 'SUPER')) missing.push('BINLOG MONITOR (MariaDB) or REPLICATION CLIENT (MySQL)');
  return missing;
}

/** The server's current GTID position (MariaDB) or executed set (MySQL): where a snapshot's stream starts. */
export async function currentBinlogPosition(db: LmsDatabase): Promise<string> {
  const [mariadb] = await db.select("SHOW GLOBAL VARIABLES WHERE Variable_name = 'gtid_binlog_pos'", []);
  if (mariadb) return String(mariadb.Value);
  const [mysql] = await db.select("SHOW GLOBAL VARIABLES WHERE Variable_name = 'gtid_executed'", []);
  return String(mysql?.Value ?? '').replace(/\s+/g, '');
}
