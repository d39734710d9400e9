import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { createConnection } from 'mysql2/promise';
import { startMariaDb } from '../support/servers.js';

// The fallback the harness uses where no MySQL server is running.
describe('test harness', () => {
  it('starts a throwaway mariadbd in a temp folder and removes it afterwards', async () => {
    const server = await startMariaDb();
    const db = await createConnection(server.url);
    try {
      const [rows] = await db.query('SELECT @@datadir AS datadir, VERSION() AS version');
      const { datadir, version } = (rows as { datadir: string; version: string }[])[0] as { datadir: string; version: string };
      assert.match(version, /MariaDB/);
      assert.match(datadir, /aspects-mariadb-/);
      await db.end();
      await server.stop();
      assert.equal(existsSync(datadir), false);
    } finally {
      await server.stop();
    }
  });
});
