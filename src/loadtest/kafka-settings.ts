import type { ConfigFile } from '../config/file.js';
import { registerSecret } from '../config/secrets.js';
import { UsageError } from '../errors.js';
import type { KafkaBusOptions, KafkaSaslMechanism } from './kafka-bus.js';

/** The monitor's --kafka-* flags. */
export interface KafkaFlags {
  kafkaBrokers?: string;
  kafkaTopicPrefix?: string;
  kafkaTopic?: string;
  kafkaGroup: string;
  kafkaSasl?: KafkaSaslMechanism;
  kafkaUsername?: string;
  kafkaSsl?: boolean;
}

type Env = Readonly<Record<string, string | undefined>>;

/** An Open edX event bus setting (EVENT_BUS_…) from the environment or, failing that, the config file; as text. */
function eventBusSetting(name: string, env: Env, file: Readonly<Record<string, unknown>>): string | undefined {
  const value = env[name] || file[name];
  return value === undefined || value === null || value === '' ? undefined : String(value);
}

/**
 * The kafka_bus backend's settings: flags, then ASPECTS_MONITOR_KAFKA_*, then the event bus's own
 * EVENT_BUS_KAFKA_* settings (an API key and secret mean SASL PLAIN over TLS, as edx-event-bus-kafka does).
 */
export function kafkaOptions(flags: KafkaFlags, env: Env, file: ConfigFile): KafkaBusOptions {
  const setting = (name: string) => eventBusSetting(name, env, file as Readonly<Record<string, unknown>>);
  const brokers = flags.kafkaBrokers ?? (env.ASPECTS_MONITOR_KAFKA_BROKERS || setting('EVENT_BUS_KAFKA_BOOTSTRAP_SERVERS')) ?? '';
  const prefix = flags.kafkaTopicPrefix ?? setting('EVENT_BUS_TOPIC_PREFIX') ?? 'dev';
  const apiKey = setting('EVENT_BUS_KAFKA_API_KEY');
  const mechanism = flags.kafkaSasl ?? (apiKey ? 'plain' : undefined);
  const username = flags.kafkaUsername ?? (env.ASPECTS_MONITOR_KAFKA_USERNAME || apiKey);
  const password = env.ASPECTS_MONITOR_KAFKA_PASSWORD || setting('EVENT_BUS_KAFKA_API_SECRET');
  registerSecret(password);
  if (mechanism && (!username || !password)) {
    throw new UsageError(`--kafka-sasl ${mechanism} needs --kafka-username and a password (ASPECTS_MONITOR_KAFKA_PASSWORD or EVENT_BUS_KAFKA_API_SECRET)`);
  }
  return {
    brokers: brokers.split(',').map((broker) => broker.trim()).filter(Boolean),
    topic: flags.kafkaTopic ?? (prefix ? `${prefix}-analytics` : 'analytics'),
    group: flags.kafkaGroup,
    sasl: mechanism && username && password ? { mechanism, username, password } : undefined,
    ssl: flags.kafkaSsl ?? Boolean(apiKey),
  };
}
