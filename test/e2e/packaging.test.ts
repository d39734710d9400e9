import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { runAspects } from '../support/cli.js';
import { replayDockerfile, type ReplayedImage } from '../support/dockerfile.js';
import { freePort } from '../support/servers.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));

/** Environment that points at nothing listening (loopback ports just found free). */
async function unreachable(): Promise<Record<string, string>> {
  return {
    ASPECTS_MYSQL_URL: `mysql://reader:pw@127.0.0.1:${await freePort()}/edxapp`,
    ASPECTS_CLICKHOUSE_URL: `http://127.0.0.1:${await freePort()}`,
    ASPECTS_ENABLE_PII: 'true',
  };
}

/** The args of every container in some Kubernetes documents (Job, CronJob). */
function containerArgs(text: string): string[][] {
  const specs = parseAllDocuments(text).map((document) => document.toJS() as Record<string, any>).filter(Boolean).map((manifest) => {
    const job = manifest.kind === 'CronJob' ? manifest.spec.jobTemplate.spec : manifest.spec;
    return job?.template?.spec;
  }).filter(Boolean);
  return specs.flatMap((spec) => [...(spec.initContainers ?? []), ...spec.containers].map((container: { args: string[] }) => container.args));
}

/** A Tutor patch with its Jinja placeholders filled in, so the YAML around them can be parsed. */
const withoutJinja = (patch: string): string => patch.replace(/\{%.*?%\}/g, '').replace(/\{\{.*?\}\}/g, 'x');

// No Docker engine runs here: the Dockerfile's steps are replayed in a temp folder (npm ci, build,
// prune, copies), and the CLI of the resulting layout is run. Kubernetes and Tutor are not run
// either: their manifests are parsed and every container's args go through the CLI's parser.
describe('packaging: the container image layout, Kubernetes and Tutor examples', () => {
  let folder: string;
  let image: ReplayedImage;
  before(() => {
    folder = mkdtempSync(join(tmpdir(), 'aspects-image-'));
    image = replayDockerfile(join(REPO, 'Dockerfile'), REPO, folder);
  });
  after(() => { rmSync(folder, { recursive: true, force: true }); });

  /** Runs the image's entrypoint with `args`, its ENV and `env`, as `docker run` would. */
  const runImage = (args: string[], env: Record<string, string> = {}) => spawnSync(join(image.root, 'usr/local/bin', image.entrypoint[0] as string), args, {
    encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...image.env, ...env }, timeout: 60_000,
  });

  it('the image runs as a non-root user with aspects as its entrypoint', () => {
    assert.deepEqual(image.entrypoint, ['aspects']);
    assert.ok(!['', 'root', '0'].includes(image.user.split(':')[0] as string), image.user);
    assert.equal(image.env.NODE_ENV, 'production');
  });

  it('the built layout prints its help and runs a dump up to the connection (its runtime dependencies are all there)', async () => {
    const help = runImage(['--help']);
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /^Usage: aspects /);
    const dump = runImage(['dump', '--object', 'course_enrollment', '--retry-for', '0', '--json'], await unreachable());
    assert.equal(dump.status, 1, dump.stderr);
    assert.match(dump.stderr, /^aspects: cannot connect to ClickHouse http:\/\/127\.0\.0\.1:\d+ as default: connect ECONNREFUSED [^\n]*\n$/);
    assert.equal(JSON.parse(dump.stdout).exit_code, 1);
  });

  it('the image leaves out the embedded engine and says so in one line', () => {
    const embedded = runImage(['schema', 'init', '--clickhouse-url', `chdb:${join(folder, 'store')}`]);
    assert.equal(embedded.status, 2, embedded.stderr);
    assert.match(embedded.stderr, /^aspects: the embedded ClickHouse needs the chdb package/);
  });

  for (const manifest of ['cronjob.yaml', 'job.yaml']) {
    it(`deploy/kubernetes/${manifest}: every container's args are accepted, secrets come from the Secret`, async () => {
      const text = readFileSync(join(REPO, 'deploy/kubernetes', manifest), 'utf8');
      const secret = parseAllDocuments(readFileSync(join(REPO, 'deploy/kubernetes/secret.example.yaml'), 'utf8'))[0]?.toJS();
      assert.match(text, new RegExp(`secretRef: \\{name: ${secret.metadata.name}\\}`));
      assert.doesNotMatch(text, /PASSWORD|password/);
      for (const args of containerArgs(text)) {
        const result = await runAspects([...args, '--retry-for', '0'], await unreachable());
        assert.equal(result.code, 1, `${args.join(' ')}: ${result.stderr}`);
      }
    });
  }

  it('deploy/tutor/aspects_cli.yml: its patches are YAML and its job\'s args are accepted', async () => {
    const plugin = parseAllDocuments(readFileSync(join(REPO, 'deploy/tutor/aspects_cli.yml'), 'utf8'))[0]?.toJS() as { name: string; patches: Record<string, string> };
    assert.equal(plugin.name, 'aspects_cli');
    const service = parseAllDocuments(withoutJinja(plugin.patches['local-docker-compose-services'] as string))[0]?.toJS();
    assert.ok(service['aspects-cli'].environment.ASPECTS_MYSQL_URL);
    const args = containerArgs(withoutJinja(plugin.patches['k8s-deployments'] as string));
    assert.equal(args.length, 1);
    const result = await runAspects([...args[0] as string[], '--retry-for', '0'], await unreachable());
    assert.equal(result.code, 1, result.stderr);
  });
});
