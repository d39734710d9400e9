import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseMysqlUrl } from '../../src/config/urls.js';
import {
  byName, cliTakesArgs, type Manifest, parseManifests, podTemplate, type PodTemplate, readManifests, validateManifest,
} from '../support/deploy-manifests.js';
import { hardeningGaps, restrictedViolations } from '../support/deploy-pod-security.js';
import { readTutorPlugin, renderTutorPlugin, tutorConfig } from '../support/deploy-tutor.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const plugin = readTutorPlugin(join(REPO, 'deploy/tutor/aspects_cli.yml'));

/** The plugin rendered by Jinja2 with Tutor's settings plus `settings`: its compose service and its Kubernetes objects. */
function rendered(settings: Record<string, unknown> = {}): { service: Manifest; objects: Manifest[] } {
  const output = renderTutorPlugin(plugin, tutorConfig(plugin, settings));
  const [compose] = parseManifests(output.compose, 'docker-compose.yml') as [Manifest];
  const objects = parseManifests(output.patches['k8s-deployments'] as string, 'k8s-deployments');
  return { service: compose.services['aspects-cli'], objects };
}

/** The Job spec and Pod template of a CronJob, for comparing with deploy/kubernetes. */
function runSettings(cronJob: Manifest): Manifest {
  const { jobTemplate, schedule: _schedule, ...policy } = cronJob.spec;
  const { template, ...job } = jobTemplate.spec;
  const { containers: [container], ...pod } = template.spec;
  const { image: _image, envFrom: _envFrom, ...run } = container;
  return { policy, job, pod, run };
}

/** Passwords that break a URL, a YAML string or docker compose's `$` interpolation when put in as they are. */
const HOSTILE = ['a/b"c\\d', 'line one\nline two', '100%', 'p@ss@', 'us:er:', 'pa$$word${HOME}$', 'a/b"c\\d\n%@:#?&=+ \'{}<>$'];

/** A compose environment value as the container gets it: `$$` is a literal `$`, a lone `$` would be a variable. */
function composeValue(value: string): string {
  const parts = value.split('$$');
  assert.ok(parts.every((part) => !part.includes('$')), `compose would interpolate ${JSON.stringify(value)}`);
  return parts.join('$');
}

describe('deploy/tutor/aspects_cli.yml rendered by real Jinja2 (Debian python3-jinja2), as Tutor renders patches', () => {
  it('Jinja2 offers the filters the plugin relies on (tojson, urlencode, replace, indent)', () => {
    const output = renderTutorPlugin(plugin, tutorConfig(plugin));
    for (const filter of ['tojson', 'urlencode', 'replace', 'indent', 'lower', 'string']) assert.ok(output.filters.includes(filter), `${filter} in Jinja2 ${output.jinja2}`);
  });

  it('with Tutor\'s defaults every name is defined (its config defaults under the ASPECTS_CLI_ prefix) and every object validates', () => {
    const { service, objects } = rendered();
    assert.equal(service.image, plugin.config.defaults.IMAGE);
    assert.deepEqual(objects.map((object) => `${object.kind}/${object.metadata.name}`), ['Secret/aspects-cli', 'CronJob/aspects-cli-dump', 'CronJob/aspects-cli-retire']);
    for (const object of objects) validateManifest(object, 'k8s-deployments');
    const cronJobs = byName(objects, 'CronJob');
    assert.equal(cronJobs.get('aspects-cli-dump')?.spec.schedule, plugin.config.defaults.SCHEDULE);
    assert.equal(cronJobs.get('aspects-cli-retire')?.spec.schedule, '41 3 * * *');
    assert.equal(rendered({ ASPECTS_CLI_RETIRE_SCHEDULE: '5 1 * * 0' }).objects[2]?.spec.schedule, '5 1 * * 0');
  });

  it('its Pod templates meet Pod Security "restricted" and match deploy/kubernetes\' CronJobs in limits, deadlines and policy', () => {
    const { objects } = rendered();
    const examples = byName([...readManifests(join(REPO, 'deploy/kubernetes/cronjob.yaml')), ...readManifests(join(REPO, 'deploy/kubernetes/retire-cronjob.yaml'))], 'CronJob');
    for (const [name, cronJob] of byName(objects, 'CronJob')) {
      const template = podTemplate(cronJob) as PodTemplate;
      assert.deepEqual(restrictedViolations(template), [], name);
      assert.deepEqual(hardeningGaps(template), [], name);
      const example = examples.get(name.replace('aspects-cli-', 'aspects-')) as Manifest;
      assert.deepEqual(runSettings(cronJob), runSettings(example), name);
    }
  });

  it('the compose service is hardened too: uid 1000, read-only, no capabilities, no new privileges', () => {
    const { service } = rendered();
    assert.equal(service.user, '1000:1000');
    assert.equal(service.read_only, true);
    assert.deepEqual(service.cap_drop, ['ALL']);
    assert.deepEqual(service.security_opt, ['no-new-privileges:true']);
  });

  it('depends on Tutor\'s mysql service only when Tutor runs MySQL (RUN_MYSQL)', () => {
    assert.deepEqual(rendered({ RUN_MYSQL: true }).service.depends_on, ['mysql']);
    assert.equal(rendered({ RUN_MYSQL: false }).service.depends_on, undefined);
  });

  for (const password of HOSTILE) {
    it(`a password ${JSON.stringify(password)} stays valid YAML and comes back whole from the MySQL URL and the ClickHouse setting`, () => {
      const { service, objects } = rendered({ OPENEDX_MYSQL_PASSWORD: password, OPENEDX_MYSQL_USERNAME: `u/${password}`, ASPECTS_CLICKHOUSE_CMS_PASSWORD: password });
      const secret = byName(objects, 'Secret').get('aspects-cli') as Manifest;
      validateManifest(secret, 'k8s-deployments');
      const composeEnvironment = Object.fromEntries(Object.entries(service.environment as Record<string, string>).map(([key, value]) => [key, composeValue(value)]));
      for (const environment of [composeEnvironment, secret.stringData]) {
        const mysql = parseMysqlUrl(environment.ASPECTS_MYSQL_URL);
        assert.equal(mysql.password, password);
        assert.equal(mysql.user, `u/${password}`);
        assert.deepEqual([mysql.host, mysql.port, mysql.database], ['mysql', 3306, 'openedx']);
        assert.equal(environment.ASPECTS_CLICKHOUSE_PASSWORD, password);
      }
    });
  }

  it('the CronJobs\' arguments are taken by the CLI\'s option parser', async () => {
    for (const cronJob of byName(rendered().objects, 'CronJob').values()) {
      const parsed = await cliTakesArgs((podTemplate(cronJob) as PodTemplate).spec.containers[0].args);
      assert.ok(parsed.accepted, `${cronJob.metadata.name}: ${parsed.stderr}`);
    }
  });
});

describe('deploy/tutor/crontab.example: the tutor local schedule (host cron)', () => {
  const lines = readFileSync(join(REPO, 'deploy/tutor/crontab.example'), 'utf8').split('\n').filter((line) => /^[\d*]/.test(line));

  it('runs the dump and the retire at the plugin\'s schedules through `tutor local run aspects-cli`, with arguments the CLI takes', async () => {
    assert.equal(lines.length, 2);
    const commands = lines.map((line) => /^(\S+ \S+ \S+ \S+ \S+) tutor local run aspects-cli ([^>]+?) >>/.exec(line));
    assert.deepEqual(commands.map((command) => command?.[1]), [plugin.config.defaults.SCHEDULE, plugin.config.defaults.RETIRE_SCHEDULE]);
    for (const command of commands) {
      const parsed = await cliTakesArgs((command?.[2] as string).split(' '));
      assert.ok(parsed.accepted, `${command?.[2]}: ${parsed.stderr}`);
    }
    assert.deepEqual(commands.map((command) => command?.[2]?.split(' ')[0]), ['dump', 'retire']);
  });
});
