import { UsageError } from '../errors.js';
import { pyFloat, type PythonJsonValue } from '../format/python-json.js';
import { kafkaBusProbe, type KafkaBusOptions } from './kafka-bus.js';

/** One reading of a pipeline backend: the JSON the plugin stores under its name, and its lag. */
export interface BackendSample {
  readonly data: { readonly [key: string]: PythonJsonValue };
  readonly lag: number;
}

/** A pipeline backend the monitor reads. */
export interface BackendProbe {
  /** The key the sample is stored under in the stats JSON; null for `none`. */
  readonly name: string | null;
  sample(): Promise<BackendSample>;
  close(): Promise<void>;
}

/** Where the monitor reads its backend (every endpoint and name configurable). */
export interface BackendOptions {
  readonly backend: string;
  readonly redisUrl?: string;
  /** Celery queues: the LMS one, then the CMS one. */
  readonly celeryQueues: readonly [string, string];
  /** The event bus stream on Redis. */
  readonly redisStream: string;
  /** Vector's GraphQL API endpoint. */
  readonly vectorUrl: string;
  /** The Vector sink that writes xAPI rows to ClickHouse. */
  readonly vectorSink: string;
  /** The event bus on Kafka (with no brokers the backend cannot start). */
  readonly kafka?: KafkaBusOptions;
}

/** An XINFO reply as an object, whether the client gave a map, an object or flat [key, value, …] pairs. */
function pairs(reply: unknown): Record<string, unknown> {
  if (reply instanceof Map) return Object.fromEntries(reply);
  if (!Array.isArray(reply)) return typeof reply === 'object' && reply !== null ? (reply as Record<string, unknown>) : {};
  const result: Record<string, unknown> = {};
  for (let index = 0; index + 1 < reply.length; index += 2) result[String(reply[index])] = reply[index + 1];
  return result;
}

async function redisClient(url: string | undefined) {
  if (!url) throw new UsageError('this backend reads Redis: pass --redis-url or set ASPECTS_MONITOR_REDIS_URL');
  // Loaded here, not at start-up: the Redis client is some 650 modules every other command would pay for.
  const { createClient } = await import('redis');
  const client = createClient({ url });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** Celery on Redis: the lengths of the LMS and CMS task queues. */
async function celeryProbe(options: BackendOptions): Promise<BackendProbe> {
  const client = await redisClient(options.redisUrl);
  const [lmsQueue, cmsQueue] = options.celeryQueues;
  return {
    name: 'celery',
    async sample() {
      const [lms, cms] = [await client.lLen(lmsQueue), await client.lLen(cmsQueue)];
      return { data: { lms_queue_length: lms, cms_queue_length: cms, lag: lms + cms }, lag: lms + cms };
    },
    close: async () => { await client.quit(); },
  };
}

/** The event bus on Redis streams: stream length and the consumer groups' lag. */
async function redisBusProbe(options: BackendOptions): Promise<BackendProbe> {
  const client = await redisClient(options.redisUrl);
  return {
    name: 'redis_bus',
    async sample() {
      const info = pairs(await client.sendCommand(['XINFO', 'STREAM', options.redisStream, 'FULL']));
      const groups = Array.isArray(info.groups) ? info.groups.map(pairs) : [];
      const lag = groups.reduce((sum, group) => sum + Number(group.lag ?? 0), 0);
      return { data: { total_events: Number(info.length ?? 0), lag }, lag };
    },
    close: async () => { await client.quit(); },
  };
}

/** Vector: events its ClickHouse sink received and sent, from Vector's GraphQL API. */
function vectorProbe(options: BackendOptions): BackendProbe {
  const query = `{ sinks(filter: {componentId: {equals: ${JSON.stringify(options.vectorSink)}}}) { nodes { componentId `
    + 'metrics { receivedEventsTotal { receivedEventsTotal } sentEventsTotal { sentEventsTotal } } } } }';
  return {
    name: 'vector',
    async sample() {
      const response = await fetch(options.vectorUrl, {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ query }), signal: AbortSignal.timeout(10_000),
      });
      if (!response.ok) throw new Error(`Vector answered HTTP ${response.status}`);
      const body = await response.json() as { data?: { sinks?: { nodes?: { metrics?: Record<string, Record<string, number | null> | null> }[] } } };
      const metrics = body.data?.sinks?.nodes?.[0]?.metrics ?? {};
      const received = Number(metrics.receivedEventsTotal?.receivedEventsTotal ?? 0);
      const sent = Number(metrics.sentEventsTotal?.sentEventsTotal ?? 0);
      return { data: { events_received: pyFloat(received), events_sent: pyFloat(sent), lag: pyFloat(received - sent) }, lag: received - sent };
    },
    close: async () => undefined,
  };
}

async function kafkaProbe(kafka: KafkaBusOptions | undefined): Promise<BackendProbe> {
  if (!kafka || kafka.brokers.length === 0) {
    throw new UsageError('this backend reads Kafka: pass --kafka-brokers or set ASPECTS_MONITOR_KAFKA_BROKERS (or EVENT_BUS_KAFKA_BOOTSTRAP_SERVERS)');
  }
  return kafkaBusProbe(kafka);
}

const NONE: BackendProbe = { name: null, sample: async () => ({ data: {}, lag: 0 }), close: async () => undefined };

/** The probe for `--backend`. */
export async function openBackend(options: BackendOptions): Promise<BackendProbe> {
  switch (options.backend) {
    case 'none': return NONE;
    case 'celery': return celeryProbe(options);
    case 'redis_bus': return redisBusProbe(options);
    case 'kafka_bus': return kafkaProbe(options.kafka);
    case 'vector': return vectorProbe(options);
    default: throw new UsageError(`unknown --backend ${options.backend}; use none, celery, redis_bus, kafka_bus or vector`);
  }
}
