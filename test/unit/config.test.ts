import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { redact, registerSecret } from '../../src/config/secrets.js';
import { parseSwitch, resolveSettings } from '../../src/config/settings.js';
import { parseClickHouseUrl, parseMysqlUrl } from '../../src/config/urls.js';
import { UsageError } from '../../src/errors.js';
import type { ConfigFile } from '../../src/config/file.js';
import { kafkaOptions } from '../../src/loadtest/kafka-settings.js';
import { tempFolder } from '../support/temp.js';

function configFile(name: string, content: string): string {
  const path = join(tempFolder('aspects-config-'), name);
  writeFileSync(path, content);
  return path;
}

const YAML_CONFIG = `
EVENT_SINK_CLICKHOUSE_BACKEND_CONFIG:
  url: http://file-host:8123
  database: file_db
  username: ch_cms
  password: 123456
  timeout_secs: 7
EVENT_SINK_CLICKHOUSE_PII_MODELS: [user_profile, external_id, auth_user]
EVENT_SINK_CLICKHOUSE_COURSE_ENROLLMENT_ENABLED: false
EVENT_SINK_CLICKHOUSE_USER_PROFILE_ENABLED: true
ASPECTS_ENABLE_PII: true
DATABASES:
  default: {HOST: mysql-host, PORT: 3307, USER: edxapp001, PASSWORD: "p@ss:w/rd", NAME: edxapp}
`;

describe('settings precedence: flags > environment > config file > defaults', () => {
  it('uses defaults when nothing is set', () => {
    const settings = resolveSettings({}, {});
    assert.equal(settings.mysql, undefined);
    assert.deepEqual(settings.clickhouse, { url: 'http://localhost:8123', username: 'default', password: '', database: 'event_sink', timeoutSeconds: 60 });
    assert.equal(settings.enablePii, false);
    assert.deepEqual(settings.piiModels, ['user_profile', 'external_id']);
  });

  it('reads the plugin\'s keys from a YAML file', () => {
    const settings = resolveSettings({ config: configFile('lms.yml', YAML_CONFIG) }, {});
    assert.deepEqual(settings.clickhouse, { url: 'http://file-host:8123', username: 'ch_cms', password: '123456', database: 'file_db', timeoutSeconds: 7 });
    assert.deepEqual(settings.mysql, { host: 'mysql-host', port: 3307, user: 'edxapp001', password: 'p@ss:w/rd', database: 'edxapp' });
    assert.equal(settings.enablePii, true);
    assert.deepEqual(settings.piiModels, ['user_profile', 'external_id', 'auth_user']);
    assert.deepEqual([...settings.disabledObjects], ['course_enrollment']);
  });

  it('reads JSON files, found through ASPECTS_CONFIG', () => {
    const path = configFile('aspects.json', JSON.stringify({ EVENT_SINK_CLICKHOUSE_BACKEND_CONFIG: { database: 'json_db' } }));
    assert.equal(resolveSettings({}, { ASPECTS_CONFIG: path }).clickhouse.database, 'json_db');
  });

  it('lets the environment override the file and flags override both', () => {
    const env = {
      ASPECTS_CONFIG: configFile('lms.yml', YAML_CONFIG), ASPECTS_CLICKHOUSE_URL: 'http://env-host:8123',
      ASPECTS_CLICKHOUSE_DATABASE: 'env_db', ASPECTS_CLICKHOUSE_TIMEOUT: '9', ASPECTS_ENABLE_PII: 'false',
      ASPECTS_MYSQL_URL: 'mysql://env:pw@env-mysql/envdb',
    };
    const fromEnv = resolveSettings({}, env);
    assert.equal(fromEnv.clickhouse.url, 'http://env-host:8123');
    assert.equal(fromEnv.clickhouse.database, 'env_db');
    assert.equal(fromEnv.clickhouse.timeoutSeconds, 9);
    assert.equal(fromEnv.clickhouse.username, 'ch_cms');
    assert.equal(fromEnv.enablePii, false);
    assert.equal(fromEnv.mysql?.host, 'env-mysql');
    const fromFlags = resolveSettings({ clickhouseUrl: 'https://flag-host:8443', clickhouseDatabase: 'flag_db', clickhouseUsername: 'flagger', mysqlUrl: 'mysql://u@flag-mysql:3308/f' }, env);
    assert.equal(fromFlags.clickhouse.url, 'https://flag-host:8443');
    assert.equal(fromFlags.clickhouse.database, 'flag_db');
    assert.equal(fromFlags.clickhouse.username, 'flagger');
    assert.deepEqual(fromFlags.mysql, { host: 'flag-mysql', port: 3308, user: 'u', password: '', database: 'f' });
  });

  it('takes ClickHouse credentials from the URL unless a flag or env names them', () => {
    const settings = resolveSettings({ clickhouseUrl: 'http://alice:url-secret@ch:8123' }, {});
    assert.equal(settings.clickhouse.url, 'http://ch:8123');
    assert.equal(settings.clickhouse.username, 'alice');
    assert.equal(settings.clickhouse.password, 'url-secret');
    assert.equal(resolveSettings({ clickhouseUrl: 'http://alice:url-secret@ch:8123' }, { ASPECTS_CLICKHOUSE_PASSWORD: 'env-secret' }).clickhouse.password, 'env-secret');
  });

  it('registers every password for redaction', () => {
    resolveSettings({ clickhousePassword: 'flag-Pa55', mysqlUrl: 'mysql://root:my%2Fsql-pw@db/edxapp' }, {});
    assert.equal(redact('failed with flag-Pa55 and my/sql-pw and my%2Fsql-pw'), 'failed with *** and *** and ***');
  });

  it('hides a short secret where a secret stands, never where it is an ordinary word', () => {
    registerSecret('r');
    registerSecret('x1');
    assert.equal(redact('GET /api/v1/dashboard/course-dashboard/embedded'), 'GET /api/v1/dashboard/course-dashboard/embedded');
    assert.equal(redact('refresh token r rejected; https://u:r@host and token=x1&next, "x1"'), 'refresh token *** rejected; https://u:***@host and token=***&next, "x1"');
    assert.equal(redact('max1 rx1 x12 x1'), 'max1 rx1 x12 x1');
  });
});

describe('a ClickHouse cluster: its name and its replicas\' URLs', () => {
  it('takes the flag, then ASPECTS_CLICKHOUSE_CLUSTER, then Tutor\'s CLICKHOUSE_CLUSTER_NAME in the file', () => {
    const file = configFile('tutor.yml', 'CLICKHOUSE_CLUSTER_NAME: openedx_cluster\nASPECTS_CLICKHOUSE_REPLICAS: [http://ch-0:8123, "http://ch-1:8123/"]\n');
    const fromFile = resolveSettings({ config: file }, {}).clickhouse;
    assert.equal(fromFile.cluster, 'openedx_cluster');
    assert.deepEqual(fromFile.replicaUrls, ['http://ch-0:8123', 'http://ch-1:8123/']);
    const fromEnv = resolveSettings({ config: file }, { ASPECTS_CLICKHOUSE_CLUSTER: 'env_cluster', ASPECTS_CLICKHOUSE_REPLICAS: ' http://a:1, http://b:2 ' }).clickhouse;
    assert.deepEqual([fromEnv.cluster, fromEnv.replicaUrls], ['env_cluster', ['http://a:1', 'http://b:2']]);
    assert.equal(resolveSettings({ config: file, clickhouseCluster: 'flag_cluster' }, { ASPECTS_CLICKHOUSE_CLUSTER: 'env_cluster' }).clickhouse.cluster, 'flag_cluster');
    assert.equal(resolveSettings({}, {}).clickhouse.cluster, undefined);
  });

  it('refuses a cluster name that is not one and a replica URL with credentials or a path', () => {
    assert.throws(() => resolveSettings({}, { ASPECTS_CLICKHOUSE_CLUSTER: "x' OR 1" }), /ClickHouse cluster "x' OR 1" is not a cluster name/);
    assert.throws(() => resolveSettings({}, { ASPECTS_CLICKHOUSE_REPLICAS: 'http://u:p@a:1' }), /is not an http\(s\):\/\/host:port URL \(without credentials\)/);
    assert.throws(() => resolveSettings({}, { ASPECTS_CLICKHOUSE_REPLICAS: 'a:8123' }), UsageError);
  });
});

describe('xAPI tables follow the plugin and Tutor (Aspects 4: Vector by default)', () => {
  it('environment, then the plugin\'s backend config, then Tutor\'s settings in the file, then the defaults', () => {
    assert.deepEqual(resolveSettings({}, {}).loadTest, { xapiDatabase: 'xapi', xapiTable: 'xapi_events_all', runsTable: 'load_test_runs', statsTable: 'load_test_stats', xapiSource: undefined });
    const vector = resolveSettings({}, { ASPECTS_XAPI_SOURCE: 'vector' }).loadTest;
    assert.deepEqual([vector.xapiDatabase, vector.xapiTable, vector.xapiSource], ['openedx', 'xapi_events_all', 'vector']);
    assert.equal(resolveSettings({}, { ASPECTS_XAPI_SOURCE: 'vector', ASPECTS_XAPI_DATABASE: 'lrs' }).loadTest.xapiDatabase, 'lrs');
    assert.equal(resolveSettings({}, { ASPECTS_RAW_XAPI_TABLE: 'statements' }).loadTest.xapiTable, 'statements');
    const older = resolveSettings({ config: configFile('tutor.yml', 'ASPECTS_VECTOR_RAW_XAPI_TABLE: vector_statements\n') }, {}).loadTest;
    assert.equal(older.xapiTable, 'vector_statements');
    const lms = configFile('lms.yml', 'EVENT_SINK_CLICKHOUSE_BACKEND_CONFIG: {xapi_database: openedx_xapi}\nASPECTS_XAPI_SOURCE: vector\nASPECTS_XAPI_DATABASE: tutor_db\n');
    const plugin = resolveSettings({ config: lms }, {}).loadTest;
    assert.deepEqual([plugin.xapiDatabase, plugin.xapiSource], ['openedx_xapi', 'vector']);
    assert.equal(resolveSettings({ config: lms }, { ASPECTS_XAPI_DATABASE: 'from_env' }).loadTest.xapiDatabase, 'from_env');
  });
});

describe('bad configuration is a usage error', () => {
  const cases: [string, () => unknown][] = [
    ['malformed MySQL URL', () => parseMysqlUrl('not a url')],
    ['MySQL URL without database', () => parseMysqlUrl('mysql://root@db:3306/')],
    ['wrong MySQL scheme', () => parseMysqlUrl('postgres://root@db/edxapp')],
    ['bad port', () => parseMysqlUrl('mysql://root@db:99999/edxapp')],
    ['wrong ClickHouse scheme', () => parseClickHouseUrl('tcp://ch:9000')],
    ['bad PII switch', () => parseSwitch('maybe', 'ASPECTS_ENABLE_PII')],
    ['bad timeout', () => resolveSettings({ clickhouseTimeout: '-3' }, {})],
    ['hostile database name', () => resolveSettings({ clickhouseDatabase: 'event_sink; DROP TABLE x' }, {})],
    ['missing config file', () => resolveSettings({ config: '/nonexistent/aspects.yml' }, {})],
    ['config file that is a list', () => resolveSettings({ config: configFile('list.yml', '- a\n- b\n') }, {})],
    ['broken YAML', () => resolveSettings({ config: configFile('broken.yml', 'a: [1, 2\n') }, {})],
  ];
  for (const [name, run] of cases) {
    it(name, () => assert.throws(run, UsageError));
  }

  const fromFile = (content: string) => () => resolveSettings({ config: configFile('aspects.yml', content) }, {});
  const messages: [string, () => unknown, RegExp][] = [
    ['a misspelt object switch', fromFile('EVENT_SINK_CLICKHOUSE_COURSE_ENROLMENT_ENABLED: false\n'),
      /^config file: EVENT_SINK_CLICKHOUSE_COURSE_ENROLMENT_ENABLED names no object; did you mean EVENT_SINK_CLICKHOUSE_COURSE_ENROLLMENT_ENABLED\?$/],
    ['a port that is no number', fromFile('DATABASES:\n  default: {HOST: db, PORT: abc, NAME: openedx}\n'), /^DATABASES\.default\.PORT must be a port number, not "abc"$/],
    ['a database engine other than MySQL', fromFile('DATABASES:\n  default: {ENGINE: django.db.backends.postgresql, HOST: db, NAME: openedx}\n'),
      /^DATABASES\.default\.ENGINE is "django\.db\.backends\.postgresql": aspects reads the LMS from MySQL or MariaDB only/],
  ];
  for (const [name, run, message] of messages) {
    it(`${name}: one line that says what is wrong`, () => assert.throws(run, (error: unknown) => error instanceof UsageError && message.test(error.message)));
  }

  it('takes the plugin\'s switches, auth_user included, and Django\'s MySQL engine', () => {
    const settings = fromFile('EVENT_SINK_CLICKHOUSE_AUTH_USER_ENABLED: false\nEVENT_SINK_CLICKHOUSE_TAG_ENABLED: false\n'
      + 'DATABASES:\n  default: {ENGINE: django.db.backends.mysql, HOST: db, PORT: "3306", USER: u, PASSWORD: p, NAME: openedx}\n')() as ReturnType<typeof resolveSettings>;
    assert.deepEqual([...settings.disabledObjects].sort(), ['auth_user', 'tag']);
    assert.equal(settings.mysql?.host, 'db');
  });

  it('accepts the usual on/off spellings', () => {
    assert.deepEqual(['1', 'true', 'YES', 'on', true].map((value) => parseSwitch(value, 'x')), [true, true, true, true, true]);
    assert.deepEqual(['0', 'false', 'No', 'off', ''].map((value) => parseSwitch(value, 'x')), [false, false, false, false, false]);
  });
});

describe('kafka_bus settings', () => {
  const flags = { kafkaGroup: 'analytics-service' };

  it('flags over ASPECTS_MONITOR_KAFKA_* over the event bus settings (environment, then config file)', () => {
    const file = { EVENT_BUS_KAFKA_BOOTSTRAP_SERVERS: 'kafka-a:9092, kafka-b:9092', EVENT_BUS_TOPIC_PREFIX: 'prod' } as ConfigFile;
    assert.deepEqual(kafkaOptions(flags, {}, file), { brokers: ['kafka-a:9092', 'kafka-b:9092'], topic: 'prod-analytics', group: 'analytics-service', sasl: undefined, ssl: false });
    assert.deepEqual(kafkaOptions(flags, { ASPECTS_MONITOR_KAFKA_BROKERS: 'k:1' }, file).brokers, ['k:1']);
    assert.equal(kafkaOptions({ ...flags, kafkaTopic: 'custom' }, {}, file).topic, 'custom');
    assert.equal(kafkaOptions(flags, {}, {}).topic, 'dev-analytics');
    assert.equal(kafkaOptions({ ...flags, kafkaTopicPrefix: '' }, {}, {}).topic, 'analytics');
  });

  it('an event bus API key and secret mean SASL PLAIN over TLS; the secret is redacted', () => {
    const env = { EVENT_BUS_KAFKA_BOOTSTRAP_SERVERS: 'k:9092', EVENT_BUS_KAFKA_API_KEY: 'key-1', EVENT_BUS_KAFKA_API_SECRET: 'kafka-S3cret' };
    const options = kafkaOptions(flags, env, {});
    assert.deepEqual([options.sasl, options.ssl], [{ mechanism: 'plain', username: 'key-1', password: 'kafka-S3cret' }, true]);
    assert.equal(redact('auth kafka-S3cret'), 'auth ***');
    assert.equal(kafkaOptions({ ...flags, kafkaSsl: false }, env, {}).ssl, false);
  });

  it('a SASL mechanism without a password is a usage error', () => {
    assert.throws(() => kafkaOptions({ ...flags, kafkaSasl: 'scram-sha-256', kafkaUsername: 'u' }, { ASPECTS_MONITOR_KAFKA_BROKERS: 'k:1' }, {}), UsageError);
  });
});
