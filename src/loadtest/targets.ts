import { appendFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { literal } from '../clickhouse/sql.js';
import type { ClickHouseTarget } from '../clickhouse/target.js';
import type { LoadTestTables } from '../config/settings.js';
import { registerSecret } from '../config/secrets.js';
import { RuntimeFailure } from '../errors.js';
import { bare, encodeRow, quoted } from '../format/cell.js';
import { enrollmentStatement, type Learner } from './xapi.js';

/** Where a load test's events go: each event toggles one learner's enrollment. */
export interface EventTarget {
  /** Creates or reuses the test learners. */
  prepare(learners: readonly Learner[]): Promise<void>;
  send(learner: Learner, enroll: boolean): Promise<void>;
}

/** Straight into the xAPI statements table: ClickHouse ingestion alone. */
export async function clickHouseEvents(
  target: ClickHouseTarget, tables: LoadTestTables, courseKey: string, lmsUrl: string,
): Promise<EventTarget> {
  const [column] = await target.query(`SELECT type FROM system.columns WHERE database = ${literal(tables.xapiDatabase)} `
    + `AND table = ${literal(tables.xapiTable)} AND name = 'emission_time'`);
  // A server without DateTime64 keeps whole seconds.
  const wholeSeconds = String(column?.type ?? '') === 'DateTime';
  const statements = { database: tables.xapiDatabase, table: tables.xapiTable };
  return {
    prepare: async () => undefined,
    async send(learner, enroll) {
      const row = enrollmentStatement(learner, courseKey, lmsUrl, enroll, new Date());
      const time = wholeSeconds ? row.emissionTime.slice(0, 19) : row.emissionTime;
      const csv = encodeRow([bare(row.eventId), quoted(time), quoted(row.event)]);
      await target.insertCsv(statements, ['event_id', 'emission_time', 'event'], [Buffer.from(csv)]);
    },
  };
}

/** One tracking log line as the LMS writes it for the xapi_tracking logger (what Vector's Aspects config parses). */
export function trackingLogLine(statement: string, now: Date): string {
  const iso = now.toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)},${iso.slice(20, 23)} INFO ${process.pid} [xapi_tracking] [user None] [ip 127.0.0.1] logger.py:41 - ${statement}\n`;
}

/** As log lines for Vector: appended to `file`, or written to `out` (stdout). */
export function logEvents(courseKey: string, lmsUrl: string, out: NodeJS.WritableStream | string): EventTarget {
  return {
    prepare: async () => undefined,
    async send(learner, enroll) {
      const now = new Date();
      const line = trackingLogLine(enrollmentStatement(learner, courseKey, lmsUrl, enroll, now).event, now);
      if (typeof out === 'string') await appendFile(out, line);
      else out.write(line);
    },
  };
}

/** An OAuth2 client of the LMS (client credentials grant). */
export interface LmsClient {
  readonly url: string;
  readonly clientId: string;
  readonly clientSecret: string;
}

async function lmsRequest(url: string, init: RequestInit, what: string): Promise<Response> {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) });
  if (!response.ok && response.status !== 409) {
    throw new RuntimeFailure(`${what} failed: HTTP ${response.status} ${(await response.text()).slice(0, 200)}`);
  }
  return response;
}

async function jwtToken(client: LmsClient): Promise<string> {
  const body = new URLSearchParams({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.clientSecret, token_type: 'jwt' });
  const response = await lmsRequest(`${client.url}/oauth2/access_token`, { method: 'POST', body }, 'LMS token request');
  const token = ((await response.json()) as { access_token?: string }).access_token;
  if (!token) throw new RuntimeFailure('the LMS token response has no access_token');
  registerSecret(token);
  return token;
}

/**
 * Through the real pipeline: learners registered with the LMS registration API (an existing one
 * is reused), enrollments toggled with the enrollment API, so the LMS emits the tracking events.
 */
export async function lmsEvents(client: LmsClient, courseKey: string): Promise<EventTarget> {
  registerSecret(client.clientSecret);
  const token = await jwtToken(client);
  return {
    async prepare(learners) {
      for (const learner of learners) {
        const password = randomUUID();
        registerSecret(password);
        const body = new URLSearchParams({
          username: learner.username, email: `${learner.username}@openedx.invalid`, name: `Learner ${learner.username}`,
          password, honor_code: 'true', terms_of_service: 'true',
        });
        await lmsRequest(`${client.url}/api/user/v2/account/registration/`, { method: 'POST', body }, `registering ${learner.username}`);
      }
    },
    async send(learner, enroll) {
      await lmsRequest(`${client.url}/api/enrollment/v1/enrollment`, {
        method: 'POST',
        headers: { Authorization: `JWT ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ user: learner.username, course_details: { course_id: courseKey }, is_active: enroll, mode: 'audit' }),
      }, `${enroll ? 'enrolling' : 'unenrolling'} ${learner.username}`);
    },
  };
}
