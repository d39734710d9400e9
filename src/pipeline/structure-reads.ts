import type { Sink } from '../sinks/types.js';
import { isTransientStructureError } from '../structure/transient.js';
import type { CourseStructure, StructureSource } from '../structure/types.js';
import type { ChildTimes } from './incremental.js';
import { withRetry, type RetryListener, type RetryPolicy } from './retry.js';

/** How one object's structure reads are retried: its policy, its reporter, the run's hard stop. */
export interface StructureRetries {
  readonly policy: RetryPolicy;
  readonly retrying: (what: string) => RetryListener;
  readonly hardStop: AbortSignal;
}

/** Course structures of one object's run (sinks with children), and when the source stored each, read with the run's retries. */
export class StructureReads {
  constructor(private readonly sink: Sink, private readonly source: StructureSource | undefined, private readonly retries: StructureRetries) {}

  private read<T>(operation: (source: StructureSource) => Promise<T>): Promise<T> {
    const { source, retries } = this;
    if (!source) return Promise.reject(new Error(`${this.sink.name} has children but no structure source was opened`));
    return withRetry(() => operation(source), isTransientStructureError, retries.policy, retries.retrying(`${source.name} read`), retries.hardStop);
  }

  structuresOf(keys: readonly string[]): Promise<Map<string, CourseStructure>> {
    return this.read((source) => source.structuresFor(keys));
  }

  /** When the source stored each course's structure, where that can follow the overview (learning_sequences); undefined where it cannot. */
  times(): ChildTimes | undefined {
    const storedAt = this.source?.storedAt;
    if (!this.sink.children?.length || !storedAt) return undefined;
    return (keys) => this.read((source) => storedAt.call(source, keys));
  }
}
