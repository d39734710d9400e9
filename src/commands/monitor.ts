import { Command, Option } from 'commander';
import { connectClickHouse } from '../clickhouse/open.js';
import { configFileOf, resolveSettings, type ConnectionFlags } from '../config/settings.js';
import { registerSecret } from '../config/secrets.js';
import { openBackend } from '../loadtest/backends.js';
import { KAFKA_SASL_MECHANISMS } from '../loadtest/kafka-bus.js';
import { kafkaOptions, type KafkaFlags } from '../loadtest/kafka-settings.js';
import { monitorRun } from '../loadtest/monitor.js';
import { timestamp, writeLine } from '../output/streams.js';
import type { CommandContext } from './context.js';
import { addClickHouseOptions } from './connection-options.js';
import { nonNegativeSeconds } from './parse.js';

interface MonitorFlags extends ConnectionFlags, KafkaFlags {
  /** Undefined when not given: then Tutor's ASPECTS_XAPI_SOURCE decides (vector), else celery as the plugin. */
  backend?: string;
  sleepTime: number;
  redisUrl?: string;
  celeryQueues: string;
  redisStream: string;
  vectorUrl: string;
  vectorSink: string;
}

async function monitorAction(flags: MonitorFlags, context: CommandContext): Promise<void> {
  const settings = resolveSettings(flags, context.env);
  const redisUrl = flags.redisUrl ?? context.env.ASPECTS_MONITOR_REDIS_URL;
  if (redisUrl) registerSecret(decodeURIComponent(new URL(redisUrl).password));
  const [lmsQueue = '', cmsQueue = ''] = flags.celeryQueues.split(',');
  const backendName = flags.backend ?? (settings.loadTest.xapiSource === 'vector' ? 'vector' : 'celery');
  const backend = await openBackend({
    backend: backendName, redisUrl, celeryQueues: [lmsQueue, cmsQueue], redisStream: flags.redisStream,
    vectorUrl: flags.vectorUrl, vectorSink: flags.vectorSink, kafka: backendName === 'kafka_bus' ? kafkaOptions(flags, context.env, configFileOf(flags, context.env)) : undefined,
  });
  const target = await connectClickHouse(settings.clickhouse, { pin: false });
  try {
    const log = (line: string) => writeLine(context.streams.stderr, `${timestamp()} ${line}`);
    log('waiting for a load-test run started in the last minute');
    const runId = await monitorRun(target, backend, {
      database: settings.clickhouse.database, tables: settings.loadTest, sleepSeconds: flags.sleepTime, signal: context.signal, log,
    });
    writeLine(context.streams.stdout, runId ? `monitored run ${runId}` : 'stopped before a run started');
  } finally {
    await backend.close();
    await target.close();
  }
}

/** `aspects monitor`: sample ClickHouse and the pipeline backend while a load test runs. */
export function monitorCommand(context: CommandContext): Command {
  const command = new Command('monitor')
    .description('wait for a load-test run, then store ClickHouse and backend lag samples in load_test_stats until it drains')
    .addOption(new Option('--backend <name>', 'pipeline backend to read').choices(['none', 'celery', 'redis_bus', 'kafka_bus', 'vector']).default('celery', 'celery; vector where Tutor\'s ASPECTS_XAPI_SOURCE is vector'))
    .option('--sleep-time <seconds>', 'seconds between samples', nonNegativeSeconds, 10)
    .option('--redis-url <url>', 'Redis of the celery or redis_bus backend (env ASPECTS_MONITOR_REDIS_URL)')
    .option('--celery-queues <lms,cms>', 'the LMS and CMS Celery queue names', 'edx.lms.core.default,edx.cms.core.default')
    .option('--redis-stream <name>', 'the event bus stream', 'openedx-analytics')
    .option('--vector-url <url>', 'Vector\'s GraphQL API', 'http://localhost:8686/graphql')
    .option('--vector-sink <id>', 'the Vector sink writing xAPI rows to ClickHouse', 'clickhouse_xapi')
    .option('--kafka-brokers <host:port,...>', 'Kafka bootstrap brokers (env ASPECTS_MONITOR_KAFKA_BROKERS, or EVENT_BUS_KAFKA_BOOTSTRAP_SERVERS)')
    .option('--kafka-topic-prefix <prefix>', 'EVENT_BUS_TOPIC_PREFIX: the topic is <prefix>-analytics (default: the setting, else dev)')
    .option('--kafka-topic <name>', 'the whole event bus topic name, instead of <prefix>-analytics')
    .option('--kafka-group <id>', 'the consumer group whose lag is measured', 'analytics-service')
    .addOption(new Option('--kafka-sasl <mechanism>', 'SASL login (password from env ASPECTS_MONITOR_KAFKA_PASSWORD)').choices(KAFKA_SASL_MECHANISMS))
    .option('--kafka-username <name>', 'SASL username (env ASPECTS_MONITOR_KAFKA_USERNAME)')
    .option('--kafka-ssl', 'connect to Kafka over TLS')
    .option('--no-kafka-ssl', 'plain connection even when EVENT_BUS_KAFKA_API_KEY is set')
    .addHelpText('after', '\nExamples:\n  $ aspects monitor --backend none --sleep-time 1\n  $ aspects monitor --backend celery --redis-url redis://redis:6379/0'
      + '\n  $ aspects monitor --backend kafka_bus --kafka-brokers kafka:9092 --kafka-topic-prefix dev')
    .action((flags: MonitorFlags, command: Command) => {
      const given = command.getOptionValueSource('backend') !== 'default';
      return monitorAction({ ...flags, backend: given ? flags.backend : undefined }, context);
    });
  return addClickHouseOptions(command);
}
