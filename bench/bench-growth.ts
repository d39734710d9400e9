/**
 * Bench part 1b, growth: course_enrollment at BENCH_ROWS and 10 × BENCH_ROWS rows. For each size
 * a full dump, then incremental runs: nothing changed (the change signal, student_courseenrollment_history),
 * nothing changed comparing every row (--full-compare, fingerprints), and 1% changed (recorded as
 * the LMS records it). Figures: wall time, the MariaDB server's CPU seconds during the run, peak
 * RSS, and the ratio of the large size's to the small one's (flat: about 1; proportional: about 10).
 */
import type { TestLms } from '../test/support/env.js';
import { createTestLms } from '../test/support/env.js';
import { dumpArgs, envFor, generateEnrollments, historyOf, withServerCpu, type Sinks } from './bench-throughput.js';
import { timedDump } from './run.js';

/** One measured run: wall seconds, MariaDB CPU seconds, peak RSS (MB). */
interface Measured {
  readonly seconds: number;
  readonly mariadb: number;
  readonly peakMb: number;
}

/** The runs measured at one size, by name. */
type Runs = Record<'full' | 'unchanged' | 'fullCompare' | 'onePercent', Measured>;

async function measured(args: string[], env: Record<string, string>): Promise<Measured> {
  const { result, cpu } = await withServerCpu(() => timedDump(args, env));
  return { seconds: result.seconds, mariadb: cpu[1] ?? 0, peakMb: result.peakMb };
}

/** The four runs on an LMS of `size` enrollments. */
async function runsAt(lms: TestLms, sinks: Sinks): Promise<Runs> {
  const env = envFor(lms, await sinks.fresh());
  const full = await measured(dumpArgs('course_enrollment', '--force'), env);
  const unchanged = await measured(dumpArgs('course_enrollment'), env);
  const fullCompare = await measured(dumpArgs('course_enrollment', '--full-compare'), env);
  await lms.db.query('UPDATE student_courseenrollment SET is_active = 1 - is_active WHERE id % 100 = 0');
  await lms.db.query(historyOf('id % 100 = 0'));
  const onePercent = await measured(dumpArgs('course_enrollment'), env);
  return { full, unchanged, fullCompare, onePercent };
}

const ratio = (large: number, small: number): string => (small > 0 ? (large / small).toFixed(2) : '-');

/** One line comparing a run at both sizes. */
function line(label: string, small: Measured, large: Measured): string {
  return `growth, ${label}: time ${small.seconds.toFixed(2)} → ${large.seconds.toFixed(2)} s (ratio ${ratio(large.seconds, small.seconds)}), `
    + `MariaDB CPU ${small.mariadb.toFixed(2)} → ${large.mariadb.toFixed(2)} s (ratio ${ratio(large.mariadb, small.mariadb)}), `
    + `peak RSS ${small.peakMb.toFixed(0)} → ${large.peakMb.toFixed(0)} MB (ratio ${ratio(large.peakMb, small.peakMb)})`;
}

/** course_enrollment at `rows` and 10 × `rows`: the lines to print. */
export async function growth(sinks: Sinks, rows: number): Promise<string[]> {
  const sizes = [rows, rows * 10];
  const runs: Runs[] = [];
  for (const size of sizes) {
    process.stderr.write(`bench: generating ${size} enrollments…\n`);
    const lms = await createTestLms();
    try {
      await generateEnrollments(lms.db, size, Math.max(1, Math.round(size / 3)));
      runs.push(await runsAt(lms, sinks));
    } finally {
      await lms.drop();
    }
  }
  const [small, large] = runs as [Runs, Runs];
  return [`growth, course_enrollment ${sizes[0]} → ${sizes[1]} rows:`,
    line('full dump (--force)', small.full, large.full),
    line('nothing changed (change signal)', small.unchanged, large.unchanged),
    line('nothing changed, every row compared (--full-compare)', small.fullCompare, large.fullCompare),
    line('1% changed (change signal)', small.onePercent, large.onePercent)];
}
