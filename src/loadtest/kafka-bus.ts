import type { Admin, SASLOptions } from 'kafkajs';
import { RuntimeFailure, messageOf } from '../errors.js';
import type { BackendProbe } from './backends.js';

/** SASL mechanisms the probe offers (those kafkajs authenticates with a username and password). */
export const KAFKA_SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;
export type KafkaSaslMechanism = typeof KAFKA_SASL_MECHANISMS[number];

/** Where the kafka_bus probe reads: the event bus topic and the consumer group whose lag it measures. */
export interface KafkaBusOptions {
  /** Bootstrap brokers, host:port each. */
  readonly brokers: readonly string[];
  readonly topic: string;
  readonly group: string;
  readonly sasl?: { readonly mechanism: KafkaSaslMechanism; readonly username: string; readonly password: string };
  readonly ssl?: boolean;
}

/** The plugin's rule: nothing to read when the partition has no high watermark; all of it when the group never committed. */
function partitionLag(high: number, low: number, committed: number): number {
  if (high < 0) return 0;
  if (committed < 0) return high - low;
  return high - committed;
}

/**
 * kafkajs 2.2.4 (its last release) arms a timer at -Date.now() ms (tulios/kafkajs#1751), for
 * which Node 23 and later print a TimeoutNegativeWarning on stderr: that one warning is dropped,
 * every other is printed as before.
 */
function quietNegativeTimeouts(): void {
  const printers = process.listeners('warning');
  if (printers.some((printer) => printer.name === 'aspectsWarningFilter')) return;
  for (const printer of printers) process.removeListener('warning', printer);
  process.on('warning', function aspectsWarningFilter(warning: Error) {
    if (warning.name !== 'TimeoutNegativeWarning') for (const printer of printers) printer(warning);
  });
}

/** Fails in seconds on an unreachable broker (kafkajs would retry for about a minute), and prints nothing itself. */
async function adminClient(options: KafkaBusOptions): Promise<Admin> {
  // Loaded here, not at start-up: every other command would pay for kafkajs' modules.
  const { Kafka, logLevel } = await import('kafkajs');
  quietNegativeTimeouts();
  // kafkajs types each mechanism apart; all three take this same shape.
  const sasl = options.sasl && ({ ...options.sasl } as SASLOptions);
  return new Kafka({
    clientId: 'aspects-monitor', brokers: [...options.brokers], ssl: options.ssl ?? false, sasl,
    connectionTimeout: 3_000, requestTimeout: 10_000, retry: { retries: 2, initialRetryTime: 200, maxRetryTime: 1_000 },
    logLevel: logLevel.NOTHING,
  }).admin();
}

/** The event bus on Kafka: per partition, how far the consumer group's committed offset is behind the high watermark. */
export async function kafkaBusProbe(options: KafkaBusOptions): Promise<BackendProbe> {
  const where = `Kafka ${options.brokers.join(',')}`;
  const admin = await adminClient(options);
  try {
    await admin.connect();
  } catch (error) {
    await admin.disconnect().catch(() => undefined);
    throw new RuntimeFailure(`cannot connect to ${where}: ${messageOf(error)}`, { cause: error });
  }
  return {
    name: 'kafka_bus',
    async sample() {
      const { topic, group } = options;
      try {
        const watermarks = await admin.fetchTopicOffsets(topic);
        const [offsets] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
        const committed = new Map(offsets?.partitions.map((each) => [each.partition, Number(each.offset)]));
        const partitions = watermarks
          .map((each) => ({ partition: each.partition, lag: partitionLag(Number(each.high), Number(each.low), committed.get(each.partition) ?? -1) }))
          .sort((a, b) => a.partition - b.partition);
        const lag = partitions.reduce((sum, each) => sum + each.lag, 0);
        return { data: { topic, partitions, lag }, lag };
      } catch (error) {
        throw new RuntimeFailure(`${where}, topic ${topic}, group ${group}: ${messageOf(error)}`, { cause: error });
      }
    },
    close: () => admin.disconnect(),
  };
}
