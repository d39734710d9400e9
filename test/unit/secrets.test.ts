import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isDistinctive, redact, registerSecret } from '../../src/config/secrets.js';
import { parseMongoUrl } from '../../src/config/urls.js';

/** Passwords that are also a digit, a letter, a user, a product, a database and a host name. */
const WEAK = ['1', 'e', 'default', 'superset', 'ch_cms', 'openedx'];

/** Passwords nobody writes by chance (one with a quote and a backslash, for JSON's escapes). */
const STRONG = ['S3cr3t!pa55w0rd', 'my/sql-pw@x', 'Pa"ss\\w0rd!', 'correcthorsebatterystaple'];

for (const secret of [...WEAK, ...STRONG]) registerSecret(secret);

/** Where a secret sits in a URL, a header, a pair, a field: each with `***` in its place. */
const PLACES: readonly ((secret: string) => string)[] = [
  (secret) => `cannot connect: mysql://openedx:${secret}@127.0.0.1:3306/openedx refused`,
  (secret) => `mysql://openedx:${encodeURIComponent(secret)}@127.0.0.1:3306/openedx`,
  (secret) => `http://default:${encodeURIComponent(secret)}@127.0.0.1:8123/?query=SELECT+1`,
  (secret) => `mongodb://openedx:${encodeURIComponent(secret)}@mongo:27017/openedx, redis://:${encodeURIComponent(secret)}@redis:6379/1`,
  (secret) => `clickhouse://ch_cms:${encodeURIComponent(secret)}@ch:9000/ch_cms`,
  (secret) => `X-ClickHouse-User: default\nX-ClickHouse-Key: ${secret}\nHost: 127.0.0.1`,
  (secret) => `Authorization: Bearer ${secret}`,
  (secret) => `Proxy-Authorization: Basic ${secret}`,
  (secret) => `Bearer ${secret} rejected`,
  (secret) => `GET /login?user=default&password=${encodeURIComponent(secret)}&next=1`,
  (secret) => `host=127.0.0.1 user=openedx passwd=${secret} dbname=openedx`,
  (secret) => `Server=db;Pwd=${secret};Database=edxapp`,
  (secret) => `ASPECTS_CLICKHOUSE_PASSWORD=${secret} EVENT_BUS_KAFKA_API_SECRET=${secret} SUPERSET_TOKEN=${secret}`,
  (secret) => `--mysql-password=${secret} secret='${secret}' token="${secret}"`,
  (secret) => JSON.stringify({ user: 'default', password: secret, host: '127.0.0.1', headers: { 'X-ClickHouse-Key': secret }, access_token: secret }),
  (secret) => `EVENT_SINK_CLICKHOUSE_BACKEND_CONFIG:\n  username: ch_cms\n  password: ${secret}  # lms\n  - client_secret: ${secret}`,
  (secret) => `refresh token ${secret} rejected; wrong password: ${secret}.`,
];

/** What each place reads once its secret is hidden. */
const HIDDEN = [
  'cannot connect: mysql://openedx:***@127.0.0.1:3306/openedx refused',
  'mysql://openedx:***@127.0.0.1:3306/openedx',
  'http://default:***@127.0.0.1:8123/?query=SELECT+1',
  'mongodb://openedx:***@mongo:27017/openedx, redis://:***@redis:6379/1',
  'clickhouse://ch_cms:***@ch:9000/ch_cms',
  'X-ClickHouse-User: default\nX-ClickHouse-Key: ***\nHost: 127.0.0.1',
  'Authorization: Bearer ***',
  'Proxy-Authorization: Basic ***',
  'Bearer *** rejected',
  'GET /login?user=default&password=***&next=1',
  'host=127.0.0.1 user=openedx passwd=*** dbname=openedx',
  'Server=db;Pwd=***;Database=edxapp',
  'ASPECTS_CLICKHOUSE_PASSWORD=*** EVENT_BUS_KAFKA_API_SECRET=*** SUPERSET_TOKEN=***',
  '--mysql-password=*** secret=*** token=***',
  JSON.stringify({ user: 'default', password: '***', host: '127.0.0.1', headers: { 'X-ClickHouse-Key': '***' }, access_token: '***' }),
  'EVENT_SINK_CLICKHOUSE_BACKEND_CONFIG:\n  username: ch_cms\n  password: ***  # lms\n  - client_secret: ***',
  'refresh token *** rejected; wrong password: ***.',
];

/** Output a run prints, where the weak passwords are also ordinary words, names and digits. */
const ORDINARY = [
  'cannot connect to ClickHouse http://default@127.0.0.1:8123 as default: connect ECONNREFUSED 127.0.0.1:8123',
  'cannot connect to ClickHouse http://127.0.0.1:8123 as default: Code: 516. default: Authentication failed: password is incorrect, or there is no user with such name. (AUTHENTICATION_FAILED)',
  'cannot connect to MySQL openedx@127.0.0.1:3306/openedx: Access denied for user \'openedx\'@\'10.0.0.1\' (using password: YES)',
  'dashboard              embedded uuid                          status\ncourse-dashboard-en    f2880cc1-c1e4-4f5f-9b2d-1e0c8ae6f5e3   ok\ncourse-dashboard-es    0e1d4b3a-1111-4e4e-8e8e-e1e1e1e1e1e1   dashboard not found',
  '[{"slug":"course-dashboard","uuid":"f2880cc1-c1e4-4f5f-9b2d-1e0c8ae6f5e3","ok":true,"reason":"ok"}]',
  'superset check: logged in to http://superset:8088 as superset; 1 of 1 dashboards can be embedded',
  'GET /api/v1/dashboard/course-dashboard/embedded',
  'course_enrollment: 1 row written to ch_cms.course_enrollment (database openedx, e-mail e@example.com, retry 1 of 1)',
  '{"token":"guest-1","dashboards":[{"slug":"course-dashboard-en"}],"request":{"url":"http://superset:8088/api/v1/security/guest_token/"}}',
  'ASPECTS_MYSQL_URL: mysql://openedx@127.0.0.1:3306/openedx\n  username: default\n  database: ch_cms',
  'Bearer authentication failed; the session cookie: missing',
];

describe('redaction: secrets by their place, strong secrets anywhere, never a mangled word', () => {
  it('tells secrets nobody writes by chance from ones that are also names, digits or words', () => {
    for (const secret of [...WEAK, '127.0.0.1', 'openedx-lms', 'Password', 'ch_cms_db', 'superset']) assert.equal(isDistinctive(secret), false, secret);
    for (const secret of [...STRONG, 'flag-Pa55', 'kafka-S3cret', 'Zq9-very#secret', '1234567890123456']) assert.equal(isDistinctive(secret), true, secret);
  });

  it('leaves host names, IPs, user and database names, dashboards and digits whole with weak passwords registered', () => {
    for (const line of ORDINARY) assert.equal(redact(line), line);
  });

  it('hides every registered password in a URL, a header, a pair, a JSON or YAML field, after "token" or "password"', () => {
    for (const secret of [...WEAK, ...STRONG]) {
      PLACES.forEach((place, index) => assert.equal(redact(place(secret)), HIDDEN[index], `${secret} in ${place(secret)}`));
    }
  });

  it('hides a secret in a secret\'s place whatever its value, registered or not (an example\'s <password> excepted)', () => {
    assert.equal(redact('mysql://root:never-registered@db/edxapp and password=unknown'), 'mysql://root:***@db/edxapp and password=***');
    assert.equal(redact('Authorization: Basic cm9vdDpvcGVuZWR4'), 'Authorization: Basic ***');
    assert.equal(redact('sent Bearer eyJhbGciOiJIUzI1NiJ9.e30.c2ln to superset'), 'sent Bearer *** to superset');
    assert.equal(redact('Cookie: session=abc; csrf=1'), 'Cookie: ***');
    assert.equal(redact('MySQL URL is not a valid URL (expected e.g. mysql://user:<password>@127.0.0.1:3306/edxapp)'), 'MySQL URL is not a valid URL (expected e.g. mysql://user:<password>@127.0.0.1:3306/edxapp)');
    assert.equal(redact('config:\n  password: "a # b"  # quoted\n  user: openedx'), 'config:\n  password: ***  # quoted\n  user: openedx');
  });

  it('hides a strong password anywhere, glued to other text, URL-encoded (either hex case) or JSON-escaped', () => {
    for (const secret of STRONG) {
      const spellings = [secret, encodeURIComponent(secret), encodeURIComponent(secret).replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase()), JSON.stringify(secret).slice(1, -1)];
      for (const spelling of spellings) assert.equal(redact(`failed:${spelling}!x`), 'failed:***!x', spelling);
      const document = redact(JSON.stringify({ error: `login failed for ${secret} (${encodeURIComponent(secret)})` }));
      assert.deepEqual(JSON.parse(document), { error: 'login failed for *** (***)' });
    }
  });

  it('keeps a weak password that stands as an ordinary word', () => {
    assert.equal(redact('superset 1 e default ch_cms openedx'), 'superset 1 e default ch_cms openedx');
  });

  it('registers a URL password that is no valid percent-encoding as written', () => {
    parseMongoUrl('mongodb://openedx:S3cr%t-pa55word@mongo:27017/openedx');
    assert.equal(redact('auth failed with S3cr%t-pa55word'), 'auth failed with ***');
  });

  it('ignores an empty or absent secret', () => {
    registerSecret('');
    registerSecret(undefined);
    assert.equal(redact('nothing to hide here'), 'nothing to hide here');
  });
});
