import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from '../../src/errors.js';
import { parseCourseKey } from '../../src/superset/course-key.js';
import { DEFAULT_IN_CONTEXT_DASHBOARDS, DEFAULT_INSTRUCTOR_DASHBOARDS, dashboardLocale, localizedUuid, userDashboards } from '../../src/superset/dashboards.js';
import { rlsClauses } from '../../src/superset/filters.js';
import { guestTokenBody } from '../../src/superset/guest-token.js';
import { resolveSupersetSettings } from '../../src/superset/settings.js';

// The contract's table (§6.3): base uuid → [en, es-419], computed with Python's uuid.uuid5.
const LOCALIZED: Readonly<Record<string, readonly [string, string]>> = {
  'c0e64194-33d1-4d5a-8c10-4f51530c5ee9': ['bcb741a1-a100-51f7-803c-6a3b607eb047', '735d0451-0ff9-5157-93db-b748c814550f'],
  'abae8a25-1ba4-4653-81bd-d3937a162a11': ['b118ddd9-0314-5aef-a5fa-7ba48279d5ad', 'f22e042a-9bde-520a-8e22-61d12421dc5c'],
  '8661d20c-cee6-4245-9fcc-610daea5fd24': ['e1850106-1354-582b-805f-eb46a666e2ba', '16caa764-cae5-5b47-8355-411cb803dd3d'],
  'f2880cc1-63e9-48d7-ac3c-d2ff6f6698e2': ['de60faf7-67ed-51ee-8bee-ed260cae978f', 'feb8d2c5-7f23-5a46-8790-e5eb4f6d7884'],
  'f0321087-6428-4b97-b32e-2dae7d9cc447': ['3c7fac67-7cd3-5741-9483-f6e4b3bd8ffc', '3e74c50f-1c0b-5b61-8a86-7baf67b211ec'],
  '98ff33ff-18dd-48f9-8c58-629ae4f4194b': ['a637b404-630c-5046-b9c1-cf921766f1bf', 'c5fd6fe0-b836-51fd-99c5-e4c4f81aeea7'],
  'bc6510fb-027f-4026-a333-d0c42d3cc35c': ['fa122cf8-1af0-522d-8d68-fabe3ad7f5a9', '3e1a94d5-b533-5d35-9abe-13f5c1da054e'],
};

const DEMO = parseCourseKey('course-v1:OpenedX+DemoX+DemoCourse');

describe('superset: localized dashboards', () => {
  it('localized UUIDs equal the plugin\'s for all seven default dashboards, en and es-419 (either spelling)', () => {
    const bases = [...DEFAULT_INSTRUCTOR_DASHBOARDS, ...Object.values(DEFAULT_IN_CONTEXT_DASHBOARDS)].map((d) => d.uuid);
    assert.deepEqual(bases.sort(), Object.keys(LOCALIZED).sort());
    for (const [base, [en, es]] of Object.entries(LOCALIZED)) {
      assert.equal(localizedUuid(base, 'en'), en);
      assert.equal(localizedUuid(base, 'es-419'), es);
      assert.equal(localizedUuid(base, 'ES_419'), es);
    }
  });

  it('the user locale falls back to en unless configured; slugs use the normalized locale', () => {
    assert.equal(dashboardLocale('es-419', ['en', 'es-419']), 'es_419');
    assert.equal(dashboardLocale('fr', ['en', 'es-419']), 'en');
    const [course] = userDashboards(DEFAULT_INSTRUCTOR_DASHBOARDS, 'es_419');
    assert.deepEqual(course, { name: 'Course Dashboard', slug: 'course-dashboard-es_419', uuid: '735d0451-0ff9-5157-93db-b748c814550f', baseUuid: 'c0e64194-33d1-4d5a-8c10-4f51530c5ee9', allowTranslations: true });
    const untranslated = userDashboards([{ name: 'X', slug: 'x', uuid: 'c0e64194-33d1-4d5a-8c10-4f51530c5ee9', allowTranslations: false }], 'en');
    assert.equal(untranslated[0]?.slug, 'x');
    assert.equal(untranslated[0]?.uuid, 'c0e64194-33d1-4d5a-8c10-4f51530c5ee9');
  });
});

describe('superset: guest-token request', () => {
  it('the body equals Python json.dumps of the plugin\'s data, byte for byte (default dashboards, two locales, extra filters)', () => {
    const settings = resolveSupersetSettings({
      SUPERSET_DASHBOARD_LOCALES: '["en", "es-419"]',
      SUPERSET_EXTRA_FILTERS_FORMAT: JSON.stringify(['user_id = {user.id}', "run = '{course_id.run}' AND x = '{{literal}}'"]),
    }, {});
    // Printed by python3: json.dumps(data) with uuid.uuid5 and str.format(course_id=…, user=…).
    const expected = '{"user": {"username": "staff"}, "resources": ['
      + Object.entries(LOCALIZED).map(([base, [en, es]]) => [base, en, es].map((id) => `{"type": "dashboard", "id": "${id}"}`).join(', ')).join(', ')
      + '], "rls": [{"clause": "org = \'OpenedX\'"}, {"clause": "course_key = \'course-v1:OpenedX+DemoX+DemoCourse\'"}, {"clause": "user_id = 7"}, {"clause": "run = \'DemoCourse\' AND x = \'{literal}\'"}]}';
    assert.equal(guestTokenBody(settings, DEMO, { username: 'staff', id: 7 }), expected);
  });

  it('Tutor\'s setting (no Studio metrics) requests only the instructor dashboards', () => {
    const settings = resolveSupersetSettings({ ASPECTS_ENABLE_STUDIO_IN_CONTEXT_METRICS: 'false' }, {});
    const body = JSON.parse(guestTokenBody(settings, DEMO, { username: 'staff' })) as { resources: { id: string }[] };
    assert.deepEqual(body.resources.map((r) => r.id), Object.entries(LOCALIZED).slice(0, 3).flatMap(([base, [en]]) => [base, en]));
  });

  it('values are escaped inside the quotes, so a clause cannot be broken out of', () => {
    assert.deepEqual(rlsClauses(["name = '{user.username}'", "t = '{user.is_staff}' AND n = '{user.email}'"], DEMO, { username: "x' OR 1=1 --\\", is_staff: true, email: null }),
      ["name = 'x\\' OR 1=1 --\\\\'", "t = 'True' AND n = 'None'"]);
    assert.throws(() => rlsClauses(['{course_id.html_id}'], DEMO, { username: 'a' }), UsageError);
    assert.throws(() => rlsClauses(['{course}'], DEMO, { username: 'a' }), /variables are course_id and user/);
    assert.throws(() => rlsClauses(['{course_id!r}'], DEMO, { username: 'a' }), /only \{course_id\}/);
    assert.throws(() => rlsClauses(['org = {'], DEMO, { username: 'a' }), /unmatched brace/);
  });

  it('course keys: new, CCX and old style parse; anything with quotes, spaces or extra parts is refused', () => {
    assert.deepEqual(parseCourseKey('course-v1:Org.X+CS-101~a+2024_T1'), { text: 'course-v1:Org.X+CS-101~a+2024_T1', org: 'Org.X', course: 'CS-101~a', run: '2024_T1' });
    assert.equal(parseCourseKey('ccx-v1:OpenedX+DemoX+DemoCourse+ccx@3').run, 'DemoCourse');
    assert.equal(parseCourseKey('edX/DemoX/Demo_Course').org, 'edX');
    for (const bad of ["course-v1:A+B+C' OR '1'='1", 'course-v1:A+B', 'course-v1:A+B+C+D', 'course-v1:A B+C+D', 'block-v1:A+B+C+type@x+block@y', '', 'a/b\\/c']) {
      assert.throws(() => parseCourseKey(bad), UsageError, bad);
    }
  });

  it('settings: plugin defaults, environment JSON over the file, bad shapes are usage errors', () => {
    const defaults = resolveSupersetSettings({}, {});
    assert.deepEqual(defaults.account, { serviceUrl: undefined, internalServiceUrl: 'http://superset:8088', username: 'superset', password: 'superset' });
    assert.deepEqual([defaults.locales, defaults.extraFilters, defaults.studioInContextMetrics], [['en'], [], true]);
    const file = { SUPERSET_CONFIG: { service_url: 'https://superset.example.org', username: 'lms', password: 'p' }, SUPERSET_DASHBOARD_LOCALES: ['en', 'fr'] };
    const mixed = resolveSupersetSettings({ SUPERSET_DASHBOARD_LOCALES: '["de"]' }, file);
    assert.deepEqual([mixed.account.serviceUrl, mixed.account.internalServiceUrl, mixed.locales], ['https://superset.example.org', undefined, ['de']]);
    assert.throws(() => resolveSupersetSettings({ ASPECTS_INSTRUCTOR_DASHBOARDS: '[{"slug": "x", "uuid": "nope"}]' }, {}), /not a UUID/);
    assert.throws(() => resolveSupersetSettings({ SUPERSET_DASHBOARD_LOCALES: '"en"' }, {}), /list of strings/);
    assert.throws(() => resolveSupersetSettings({ SUPERSET_CONFIG: '{bad' }, {}), UsageError);
  });
});
