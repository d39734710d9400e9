/**
 * `aspects superset` end to end. Superset cannot run here: the CLI talks to a thin fake of its
 * endpoints (test/support/superset-fake.ts) that checks the requests; the embed page runs in
 * Debian's headless Chromium (ASPECTS_TEST_CHROMIUM, default /usr/bin/chromium) with the real
 * @superset-ui/embedded-sdk, whose iframe loads the fake's /embedded page.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium } from 'playwright-core';
import { localizedUuid } from '../../src/superset/dashboards.js';
import { oneErrorLine, runAspects, startAspects } from '../support/cli.js';
import { lmsWith } from '../support/scenario.js';
import { freePort } from '../support/servers.js';
import { startSupersetFake, type SupersetFake } from '../support/superset-fake.js';

const PASSWORD = 'sup-Secret#7/@x';
const COURSE = 'course-v1:OpenedX+DemoX+DemoCourse';
const INSTRUCTOR = [
  ['course-dashboard', 'c0e64194-33d1-4d5a-8c10-4f51530c5ee9', 'bcb741a1-a100-51f7-803c-6a3b607eb047'],
  ['individual-learner', 'abae8a25-1ba4-4653-81bd-d3937a162a11', 'b118ddd9-0314-5aef-a5fa-7ba48279d5ad'],
  ['learner-groups', '8661d20c-cee6-4245-9fcc-610daea5fd24', 'e1850106-1354-582b-805f-eb46a666e2ba'],
] as const;

/** Tutor's embedded copies of the three instructor dashboards, locale en. */
function tutorDashboards(): Map<string, string | null> {
  return new Map(INSTRUCTOR.flatMap(([slug, base, en]) => [[slug, base], [`${slug}-en`, en]] as [string, string][]));
}

function envFor(fake: SupersetFake, extra: Record<string, string> = {}): Record<string, string> {
  return {
    SUPERSET_CONFIG: JSON.stringify({ service_url: fake.url, username: 'lms_superset', password: PASSWORD }),
    ASPECTS_ENABLE_STUDIO_IN_CONTEXT_METRICS: 'false',
    ...extra,
  };
}

const EXPECTED_BODY = '{"user": {"username": "staff"}, "resources": ['
  + INSTRUCTOR.flatMap(([, base, en]) => [base, en]).map((id) => `{"type": "dashboard", "id": "${id}"}`).join(', ')
  + '], "rls": [{"clause": "org = \'OpenedX\'"}, {"clause": "course_key = \'course-v1:OpenedX+DemoX+DemoCourse\'"}]}';

describe('aspects superset token, against a fake Superset', () => {
  let fake: SupersetFake;
  before(async () => { fake = await startSupersetFake({ username: 'lms_superset', password: PASSWORD, dashboards: tutorDashboards() }); });
  after(() => fake.close());

  it('logs in, gets the CSRF token and its cookie, and posts the plugin\'s body; prints the token', async () => {
    fake.requests.length = 0;
    const result = await runAspects(['superset', 'token', '--course-key', COURSE, '--username', 'staff'], envFor(fake));
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.trim(), fake.issuedTokens.at(-1));
    assert.deepEqual(fake.requests.map((r) => `${r.method} ${r.path}`), ['POST /api/v1/security/login', 'GET /api/v1/security/csrf_token/', 'POST /api/v1/security/guest_token/']);
    const [login, csrf, guest] = fake.requests;
    assert.equal(login?.body, JSON.stringify({ username: 'lms_superset', password: PASSWORD, provider: 'db', refresh: 'true' }));
    assert.equal(csrf?.headers.referer, `${fake.url}/api/v1`);
    assert.match(String(guest?.headers.authorization), /^Bearer access-/);
    assert.match(String(guest?.headers.cookie), /^session=[0-9a-f]+$/);
    assert.equal(guest?.headers['content-type'], 'application/json');
    assert.equal(fake.guestTokenBodies.at(-1), EXPECTED_BODY);
    assert.ok(!result.stdout.includes(PASSWORD) && !result.stderr.includes(PASSWORD));
  });

  it('--json shows the request with credentials hidden; the user\'s dashboards are localized', async () => {
    const result = await runAspects(['superset', 'token', '--course-key', COURSE, '--username', 'staff', '--json', '--locale', 'fr'], envFor(fake));
    assert.equal(result.code, 0, result.stderr);
    const output = JSON.parse(result.stdout) as { token: string; dashboards: { slug: string; uuid: string }[]; request: { url: string; headers: Record<string, string>; body: unknown } };
    assert.equal(output.token, fake.issuedTokens.at(-1));
    assert.deepEqual(output.dashboards.map((d) => [d.slug, d.uuid]), INSTRUCTOR.map(([slug, , en]) => [`${slug}-en`, en]));
    assert.equal(output.request.url, `${fake.url}/api/v1/security/guest_token/`);
    assert.deepEqual([output.request.headers.Authorization, output.request.headers['X-CSRFToken'], output.request.headers.Cookie], ['***', '***', '***']);
    assert.deepEqual(output.request.body, JSON.parse(EXPECTED_BODY));
    assert.doesNotMatch(result.stdout, /access-|csrf-|session=/);
  });

  it('an expired access token is refreshed once and the request retried', async () => {
    const expiring = await startSupersetFake({ username: 'lms_superset', password: PASSWORD, dashboards: tutorDashboards(), expireFirstAccessToken: true });
    try {
      const result = await runAspects(['superset', 'token', '--course-key', COURSE, '--username', 'staff'], envFor(expiring));
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(expiring.requests.map((r) => r.path), ['/api/v1/security/login', '/api/v1/security/csrf_token/', '/api/v1/security/refresh', '/api/v1/security/csrf_token/', '/api/v1/security/guest_token/']);
      assert.equal(result.stdout.trim(), expiring.issuedTokens[0]);
    } finally {
      await expiring.close();
    }
  });

  it('a wrong password fails with one line and exit 1; the password is never printed', async () => {
    const env = envFor(fake, { SUPERSET_CONFIG: JSON.stringify({ service_url: fake.url, username: 'lms_superset', password: 'wrong-Pa55' }) });
    const result = await runAspects(['superset', 'token', '--course-key', COURSE, '--username', 'staff'], env);
    assert.equal(result.code, 1);
    assert.match(oneErrorLine(result), /Superset login as "lms_superset" failed: HTTP 401 Not authorized/);
    assert.ok(!result.stderr.includes('wrong-Pa55'));
  });

  it('an invalid course key or username is exit 2 before any request', async () => {
    fake.requests.length = 0;
    for (const args of [['--course-key', "course-v1:A+B+C' OR '1'='1", '--username', 'staff'], ['--course-key', COURSE, '--username', '']]) {
      const result = await runAspects(['superset', 'token', ...args], envFor(fake));
      assert.equal(result.code, 2, result.stderr);
      oneErrorLine(result);
    }
    assert.equal(fake.requests.length, 0);
  });

  it('{user.id} in SUPERSET_EXTRA_FILTERS_FORMAT is read from auth_user in the LMS database', async () => {
    const lms = await lmsWith((db) => db.query(
      "INSERT INTO auth_user (id, password, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined) VALUES (42, '', 0, 'staff', '', '', 'staff@example.com', 1, 1, '2024-01-01')",
    ));
    try {
      const extra = { SUPERSET_EXTRA_FILTERS_FORMAT: '["user_id = {user.id}", "staff = \'{user.is_staff}\'"]' };
      const result = await runAspects(['superset', 'token', '--course-key', COURSE, '--username', 'staff', '--mysql-url', lms.url], envFor(fake, extra));
      assert.equal(result.code, 0, result.stderr);
      const body = JSON.parse(fake.guestTokenBodies.at(-1) ?? '') as { rls: { clause: string }[] };
      assert.deepEqual(body.rls.slice(2), [{ clause: 'user_id = 42' }, { clause: "staff = 'True'" }]);
      const unknown = await runAspects(['superset', 'token', '--course-key', COURSE, '--username', 'nobody', '--mysql-url', lms.url], envFor(fake, extra));
      assert.equal(unknown.code, 2);
      assert.match(unknown.stderr, /the LMS has no user "nobody"/);
      const noDatabase = await runAspects(['superset', 'token', '--course-key', COURSE, '--username', 'staff'], envFor(fake, extra));
      assert.equal(noDatabase.code, 2);
      assert.match(noDatabase.stderr, /give the LMS database/);
    } finally {
      await lms.drop();
    }
  });
});

describe('aspects superset check and dashboards, against a fake Superset', () => {
  it('all dashboards embeddable: exit 0 and a table of ok rows', async () => {
    const fake = await startSupersetFake({ username: 'lms_superset', password: PASSWORD, dashboards: tutorDashboards() });
    try {
      const result = await runAspects(['superset', 'check'], envFor(fake));
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout.match(/ ok$/gm)?.length, 6);
    } finally {
      await fake.close();
    }
  });

  it('a missing dashboard, one not embedded and one with another uuid: exit 1 with the reason per dashboard', async () => {
    const dashboards = tutorDashboards();
    dashboards.delete('learner-groups-en');
    dashboards.set('individual-learner', null);
    dashboards.set('course-dashboard-en', '00000000-0000-4000-8000-000000000000');
    const fake = await startSupersetFake({ username: 'lms_superset', password: PASSWORD, dashboards });
    try {
      const result = await runAspects(['superset', 'check', '--json'], envFor(fake));
      assert.equal(result.code, 1);
      assert.match(result.stderr, /^aspects: 3 of 6 dashboards cannot be embedded\n$/);
      const rows = JSON.parse(result.stdout) as { slug: string; uuid: string; ok: boolean; reason: string }[];
      assert.deepEqual(rows.map((r) => [r.slug, r.reason]), [
        ['course-dashboard', 'ok'],
        ['course-dashboard-en', 'embedded as 00000000-0000-4000-8000-000000000000, but the LMS asks for bcb741a1-a100-51f7-803c-6a3b607eb047'],
        ['individual-learner', 'dashboard is not embeddable (no embedded configuration)'],
        ['individual-learner-en', 'ok'],
        ['learner-groups', 'ok'],
        ['learner-groups-en', 'dashboard not found'],
      ]);
      const table = await runAspects(['superset', 'check'], envFor(fake));
      assert.equal(table.code, 1);
      assert.match(table.stdout, /learner-groups-en\s+e1850106-1354-582b-805f-eb46a666e2ba\s+dashboard not found/);
    } finally {
      await fake.close();
    }
  });

  it('reads SUPERSET_CONFIG and the locales from a YAML config file (lms.yml style)', async () => {
    const dashboards = tutorDashboards();
    for (const [slug, base] of INSTRUCTOR) dashboards.set(`${slug}-es-419`, localizedUuid(base, 'es-419'));
    const fake = await startSupersetFake({ username: 'lms_superset', password: PASSWORD, dashboards });
    const folder = mkdtempSync(join(tmpdir(), 'aspects-superset-'));
    try {
      const config = join(folder, 'lms.yml');
      writeFileSync(config, [
        'SUPERSET_CONFIG:', `  internal_service_url: ${fake.url}/`, '  username: lms_superset', `  password: "${PASSWORD}"`,
        'SUPERSET_DASHBOARD_LOCALES: [en, es-419]', 'ASPECTS_ENABLE_STUDIO_IN_CONTEXT_METRICS: false', '',
      ].join('\n'));
      const result = await runAspects(['superset', 'check', '--config', config, '--json'], {});
      assert.equal(result.code, 0, result.stdout + result.stderr);
      const rows = JSON.parse(result.stdout) as { slug: string; ok: boolean }[];
      assert.equal(rows.length, 9);
      assert.deepEqual(rows.slice(0, 3).map((r) => r.slug), ['course-dashboard', 'course-dashboard-en', 'course-dashboard-es-419']);
    } finally {
      rmSync(folder, { recursive: true, force: true });
      await fake.close();
    }
  });

  it('with Studio metrics on, the in-context dashboards are checked too', async () => {
    const fake = await startSupersetFake({ username: 'lms_superset', password: PASSWORD, dashboards: tutorDashboards() });
    try {
      const result = await runAspects(['superset', 'check', '--json'], envFor(fake, { ASPECTS_ENABLE_STUDIO_IN_CONTEXT_METRICS: 'true' }));
      assert.equal(result.code, 1);
      const missing = (JSON.parse(result.stdout) as { slug: string; ok: boolean }[]).filter((r) => !r.ok).map((r) => r.slug);
      assert.deepEqual(missing, ['in-context-course', 'in-context-course-en', 'in-context-graded-subsection', 'in-context-graded-subsection-en',
        'in-context-problem', 'in-context-problem-en', 'in-context-video', 'in-context-video-en']);
    } finally {
      await fake.close();
    }
  });

  it('dashboards --json lists the localized slugs and UUIDs without calling Superset', async () => {
    const result = await runAspects(['superset', 'dashboards', '--locale', 'es-419', '--json'], { SUPERSET_DASHBOARD_LOCALES: '["en", "es-419"]' });
    assert.equal(result.code, 0, result.stderr);
    const output = JSON.parse(result.stdout) as { locale: string; dashboards: { slug: string; uuid: string }[] };
    assert.equal(output.locale, 'es_419');
    assert.deepEqual(output.dashboards.map((d) => [d.slug, d.uuid]), [
      ['course-dashboard-es_419', '735d0451-0ff9-5157-93db-b748c814550f'],
      ['individual-learner-es_419', 'f22e042a-9bde-520a-8e22-61d12421dc5c'],
      ['learner-groups-es_419', '16caa764-cae5-5b47-8355-411cb803dd3d'],
    ]);
  });
});

describe('aspects superset embed, in headless Chromium', () => {
  it('the page embeds the localized course dashboard with the SDK and hands it a guest token from the tool', async () => {
    const fake = await startSupersetFake({ username: 'lms_superset', password: PASSWORD, dashboards: tutorDashboards() });
    const port = await freePort();
    const embed = startAspects(['superset', 'embed', '--course-key', COURSE, '--username', 'staff', '--port', String(port)], envFor(fake));
    await embed.stdoutIncludes('serving');
    const browser = await chromium.launch({
      executablePath: process.env.ASPECTS_TEST_CHROMIUM ?? '/usr/bin/chromium',
      args: ['--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${port}/`);
      await page.locator('#status', { hasText: 'guest token received' }).waitFor({ timeout: 20_000 });
      const deadline = Date.now() + 20_000;
      while (fake.iframeReports.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(fake.iframeReports.length, 1, 'the iframe received a guest token over the SDK\'s message channel');
      const [report] = fake.iframeReports;
      assert.equal(report?.id, 'bcb741a1-a100-51f7-803c-6a3b607eb047');
      assert.equal(report?.guestToken, fake.issuedTokens.at(-1));
      assert.equal(new URLSearchParams(report?.query).get('uiConfig'), '3', 'hideTitle + hideTab');
      assert.equal(fake.guestTokenBodies.at(-1), EXPECTED_BODY);
      assert.equal(await page.locator('#dashboard iframe').getAttribute('src'), `${fake.url}/embedded/bcb741a1-a100-51f7-803c-6a3b607eb047?uiConfig=3&expand_filters=false`);
      assert.match(embed.stderr(), /guest token issued/);
    } finally {
      await browser.close();
      embed.kill('SIGINT');
      const { code } = await embed.done;
      await fake.close();
      assert.equal(code, 0, embed.stderr());
    }
  });

  it('an unknown --dashboard is exit 2 before serving', async () => {
    const result = await runAspects(['superset', 'embed', '--course-key', COURSE, '--username', 'staff', '--port', '1', '--dashboard', 'nope'], {});
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^aspects: no instructor dashboard "nope"/);
  });

  it('a busy port is exit 1 with one line', async () => {
    const fake = await startSupersetFake({ username: 'lms_superset', password: PASSWORD, dashboards: tutorDashboards() });
    const port = Number(new URL(fake.url).port);
    try {
      const result = await runAspects(['superset', 'embed', '--course-key', COURSE, '--username', 'staff', '--port', String(port)], envFor(fake));
      assert.equal(result.code, 1);
      assert.match(result.stderr, /^aspects: cannot serve on 127\.0\.0\.1:\d+: .*EADDRINUSE.*\n$/);
    } finally {
      await fake.close();
    }
  });
});
