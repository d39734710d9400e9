import type { MysqlLocation } from '../config/urls.js';
import type { FollowSeam } from '../pipeline/execute-dump.js';
import type { StopSignals } from '../pipeline/execute-dump.js';
import { Follower, type FollowOptions } from './follower.js';

/**
 * follow's passes, under the run's locks, clock and writer: a first pass (a snapshot, with
 * change signals as any dump) when no common checkpoint exists, then one pass per batch of the
 * binlog's changed keys. A stop (SIGTERM) ends the stream after the batch under way is written
 * and checkpointed, so batches run on the hard stop only.
 */
export function followSeam(location: MysqlLocation, options: FollowOptions, stop: StopSignals, notice: (line: string) => void): FollowSeam {
  return async ({ lms, clickhouse, database, targets }, pass) => {
    const follower = new Follower({ lms, location, clickhouse, database, sinks: targets.map((target) => target.sink), notice, stop: stop.graceful }, options);
    await follower.check();
    if (await follower.needsSnapshot()) {
      const first = await pass(targets, stop.graceful);
      if (first.error || stop.graceful.aborted) return first;
      await follower.snapshotTaken();
      notice(`follow: snapshot done (${first.objects.map((each) => `${each.object} ${each.rows_written} written`).join(', ')})`);
    }
    return follower.stream((keys) => pass([...keys].map(([sink, ids]) => ({ sink, filter: { ids }, idsFrom: 'binlog' as const })), stop.hard));
  };
}
