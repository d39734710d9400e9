import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { runAspects } from '../support/cli.js';
import { cliTakesArgs } from '../support/deploy-manifests.js';
import { readTutorPlugin, renderTutorPlugin, tutorConfig } from '../support/deploy-tutor.js';
import { instructions, replayDockerfile, type ReplayedImage } from '../support/dockerfile.js';
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

/**
 * Checks a container's args with the CLI: a dump runs up to the connection (exit 1), any other
 * command through the option parser only (a retire would wait out its retries on a dead server).
 */
async function assertArgsRun(args: string[]): Promise<void> {
  if (args[0] !== 'dump') {
    const parsed = await cliTakesArgs(args);
    assert.ok(parsed.accepted, `${args.join(' ')}: ${parsed.stderr}`);
    return;
  }
  const result = await runAspects([...args, '--retry-for', '0'], await unreachable());
  assert.equal(result.code, 1, `${args.join(' ')}: ${result.stderr}`);
}

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

  it('the image runs as the numeric non-root user 1000:1000 (kubelet can check runAsNonRoot) with aspects as its entrypoint', () => {
    assert.deepEqual(image.entrypoint, ['aspects']);
    assert.equal(image.user, '1000:1000');
    assert.equal(image.env.NODE_ENV, 'production');
  });

  it('every stage is built on a maintained Node.js LTS (22 or 24, Debian bookworm slim), the same in each', () => {
    assert.equal(image.bases.length, 2);
    assert.match(image.bases[0] as string, /^node:(22|24)-bookworm-slim$/);
    assert.deepEqual(new Set(image.bases).size, 1, image.bases.join(', '));
  });

  it('the image carries the OCI labels, its version from the VERSION build argument (default: package.json\'s)', () => {
    const manifest = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string; description: string };
    assert.deepEqual(image.labels, {
      'org.opencontainers.image.title': 'aspects',
      'org.opencontainers.image.description': manifest.description,
      'org.opencontainers.image.source': '',
      'org.opencontainers.image.licenses': 'AGPL-3.0-only',
      'org.opencontainers.image.version': manifest.version,
    });
  });

  it('--build-arg VERSION and SOURCE_URL go into the labels', () => {
    const built = mkdtempSync(join(tmpdir(), 'aspects-image-args-'));
    try {
      // Only the final stage's ARG and LABEL lines: the rest of the build is the same as above.
      const final = readFileSync(join(REPO, 'Dockerfile'), 'utf8').split(/^FROM /m).pop() as string;
      const labelLines = instructions(`FROM ${final}`).filter(({ keyword }) => keyword === 'ARG' || keyword === 'LABEL');
      writeFileSync(join(built, 'Dockerfile'), ['FROM base', ...labelLines.map(({ keyword, rest }) => `${keyword} ${rest}`)].join('\n'));
      const labelled = replayDockerfile(join(built, 'Dockerfile'), REPO, built, { VERSION: '9.8.7', SOURCE_URL: 'https://git.example.com/aspects' });
      assert.equal(labelled.labels['org.opencontainers.image.version'], '9.8.7');
      assert.equal(labelled.labels['org.opencontainers.image.source'], 'https://git.example.com/aspects');
    } finally {
      rmSync(built, { recursive: true, force: true });
    }
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

  for (const manifest of ['cronjob.yaml', 'retire-cronjob.yaml', 'job.yaml']) {
    it(`deploy/kubernetes/${manifest}: every container's args are accepted, secrets come from the Secret`, async () => {
      const text = readFileSync(join(REPO, 'deploy/kubernetes', manifest), 'utf8');
      const secret = parseAllDocuments(readFileSync(join(REPO, 'deploy/kubernetes/secret.example.yaml'), 'utf8'))[0]?.toJS();
      assert.match(text, new RegExp(`secretRef: \\{name: ${secret.metadata.name}\\}`));
      assert.doesNotMatch(text, /PASSWORD|password/);
      const allArgs = containerArgs(text);
      assert.ok(allArgs.length > 0);
      for (const args of allArgs) await assertArgsRun(args);
    });
  }

  it('deploy/tutor/aspects_cli.yml: its patches, rendered with Jinja2, are YAML and its jobs\' args are accepted', async () => {
    const plugin = readTutorPlugin(join(REPO, 'deploy/tutor/aspects_cli.yml'));
    assert.equal(plugin.name, 'aspects_cli');
    const output = renderTutorPlugin(plugin, tutorConfig(plugin));
    const service = parseAllDocuments(output.compose)[0]?.toJS().services['aspects-cli'];
    assert.ok(service.environment.ASPECTS_MYSQL_URL);
    const args = containerArgs(output.patches['k8s-deployments'] as string);
    assert.deepEqual(args.map((entry) => entry[0]), ['dump', 'retire']);
    for (const entry of args) await assertArgsRun(entry);
  });
});

describe('the npm package', () => {
  it('holds the licence, the README and the built CLI, and no source map whose sources it leaves out', () => {
    const packed = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: REPO, encoding: 'utf8' });
    assert.equal(packed.status, 0, packed.stderr);
    const files = (JSON.parse(packed.stdout) as { files: { path: string }[] }[])[0]?.files.map((file) => file.path) ?? [];
    for (const needed of ['LICENSE', 'README.md', 'package.json', 'bin/aspects', 'dist/src/main.js']) assert.ok(files.includes(needed), `${needed} missing from ${files.join(' ')}`);
    assert.deepEqual(files.filter((file) => file.endsWith('.map') || file.endsWith('.ts') || file.startsWith('test/') || file.startsWith('src/')), []);
    assert.match(readFileSync(join(REPO, 'LICENSE'), 'utf8'), /^GNU AFFERO GENERAL PUBLIC LICENSE\nVersion 3, 19 November 2007/);
    assert.equal((JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { license: string }).license, 'AGPL-3.0-only');
  });
});
