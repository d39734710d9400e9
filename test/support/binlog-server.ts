import { rmSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { prepareMariaDb, spawnMariaDb, type MariaDbLayout } from './servers.js';

/** What `aspects follow` reads: a row binlog with full images and metadata, GTIDs (MariaDB always has them). */
export const BINLOG_ARGS = Object.freeze(['--log-bin=binlog', '--server-id=1', '--binlog-format=ROW', '--binlog-row-image=FULL', '--binlog-row-metadata=FULL']);

/** A throwaway mariadbd writing a binlog, which a test can kill and start again on the same data. */
export class BinlogMariaDb {
  private constructor(private readonly layout: MariaDbLayout, private child: ChildProcess) {}

  static async start(): Promise<BinlogMariaDb> {
    const layout = await prepareMariaDb();
    return new BinlogMariaDb(layout, await spawnMariaDb(layout, BINLOG_ARGS));
  }

  get url(): string {
    return `mysql://root@127.0.0.1:${this.layout.port}`;
  }

  /** kill -9, then resolves once the process is gone. */
  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const gone = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGKILL');
    await gone;
  }

  /** Starts mariadbd again on the same data (after kill()); resolves once it accepts connections. */
  async restart(): Promise<void> {
    await this.kill();
    this.child = await spawnMariaDb(this.layout, BINLOG_ARGS);
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.layout.folder, { recursive: true, force: true });
  }
}
