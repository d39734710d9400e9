import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  byName, cliTakesArgs, isBuiltInKind, type Manifest, podTemplate, type PodTemplate, readManifests, validateManifest,
} from '../support/deploy-manifests.js';
import { hardeningGaps, restrictedViolations } from '../support/deploy-pod-security.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const FOLDER = join(REPO, 'deploy/kubernetes');
const FILES = readdirSync(FOLDER).filter((file) => file.endsWith('.yaml')).sort();
const manifestsOf = (file: string): Manifest[] => readManifests(join(FOLDER, file));
const ALL = FILES.flatMap(manifestsOf);

/** A Pod template that meets the profile, for the checker's own tests. */
function compliantPod(): PodTemplate {
  return {
    where: 'example',
    metadata: {},
    spec: {
      securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } },
      automountServiceAccountToken: false,
      volumes: [{ name: 'tmp', emptyDir: {} }],
      containers: [{ name: 'a', image: 'i', securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } } }],
    },
  };
}

/** One field changed on the compliant Pod, and the words its violation must carry. */
const BREAKS: [string, (pod: PodTemplate) => void, RegExp][] = [
  ['no seccompProfile', (pod) => { delete pod.spec.securityContext.seccompProfile; }, /seccompProfile/],
  ['seccomp Unconfined in the container', (pod) => { pod.spec.containers[0].securityContext.seccompProfile = { type: 'Unconfined' }; }, /seccompProfile/],
  ['runAsNonRoot missing', (pod) => { delete pod.spec.securityContext.runAsNonRoot; }, /runAsNonRoot/],
  ['a container runAsUser 0', (pod) => { pod.spec.containers[0].securityContext.runAsUser = 0; }, /runAsUser is 0/],
  ['privilege escalation unset', (pod) => { delete pod.spec.containers[0].securityContext.allowPrivilegeEscalation; }, /allowPrivilegeEscalation/],
  ['capabilities kept', (pod) => { pod.spec.containers[0].securityContext.capabilities = { drop: ['NET_RAW'] }; }, /drop lacks ALL/],
  ['a capability added', (pod) => { pod.spec.containers[0].securityContext.capabilities.add = ['SYS_ADMIN']; }, /capabilities\.add SYS_ADMIN/],
  ['privileged', (pod) => { pod.spec.containers[0].securityContext.privileged = true; }, /privileged/],
  ['hostNetwork', (pod) => { pod.spec.hostNetwork = true; }, /hostNetwork/],
  ['a hostPath volume', (pod) => { pod.spec.volumes.push({ name: 'host', hostPath: { path: '/' } }); }, /hostPath/],
  ['a hostPort', (pod) => { pod.spec.containers[0].ports = [{ containerPort: 80, hostPort: 80 }]; }, /hostPort/],
  ['an unsafe sysctl', (pod) => { pod.spec.securityContext.sysctls = [{ name: 'kernel.msgmax', value: '1' }]; }, /sysctl kernel\.msgmax/],
  ['an init container without hardening', (pod) => { pod.spec.initContainers = [{ name: 'init', image: 'i' }]; }, /initContainers init/],
  ['SELinux type spc_t', (pod) => { pod.spec.securityContext.seLinuxOptions = { type: 'spc_t' }; }, /seLinuxOptions\.type spc_t/],
  ['AppArmor unconfined', (pod) => { pod.metadata.annotations = { 'container.apparmor.security.beta.kubernetes.io/a': 'unconfined' }; }, /apparmor/],
];

describe('deploy/kubernetes: the examples against the Kubernetes schemas and Pod Security "restricted"', () => {
  it('every file is YAML without errors and holds the expected objects', () => {
    assert.deepEqual(FILES, ['alerts.yaml', 'cronjob.yaml', 'follow-deployment.yaml', 'job.yaml', 'retire-cronjob.yaml', 'secret.example.yaml']);
    assert.deepEqual(ALL.map((manifest) => `${manifest.kind}/${manifest.metadata.name}`).sort(),
      ['CronJob/aspects-dump', 'CronJob/aspects-retire', 'Deployment/aspects-follow', 'Job/aspects-backfill', 'PrometheusRule/aspects', 'Secret/aspects']);
  });

  it('every built-in object validates against the Kubernetes OpenAPI schema (kubernetes-models)', () => {
    const builtIn = ALL.filter(isBuiltInKind);
    assert.equal(builtIn.length, 5);
    for (const manifest of builtIn) validateManifest(manifest, manifest.metadata.name);
  });

  it('the schema validation is live: a user name where a number belongs and a bad seccomp type fail', () => {
    const broken = structuredClone(byName(ALL, 'CronJob').get('aspects-dump') as Manifest);
    broken.spec.jobTemplate.spec.template.spec.securityContext.runAsUser = 'node';
    assert.throws(() => validateManifest(broken, 'broken'), /runAsUser must be integer/);
    broken.spec.jobTemplate.spec.template.spec.securityContext = { seccompProfile: { type: 'Default' } };
    assert.throws(() => validateManifest(broken, 'broken'), /seccompProfile\/type must be equal to one of the allowed values/);
  });

  it('every Pod template meets the restricted profile and runs as 1000:1000 with a read-only root', () => {
    const templates = ALL.map(podTemplate).filter((template): template is PodTemplate => template !== undefined);
    assert.deepEqual(templates.map((template) => template.where).sort(), ['CronJob aspects-dump', 'CronJob aspects-retire', 'Deployment aspects-follow', 'Job aspects-backfill']);
    for (const template of templates) {
      assert.deepEqual(restrictedViolations(template), [], template.where);
      assert.deepEqual(hardeningGaps(template), [], template.where);
    }
  });

  it('the restricted check passes a compliant Pod and names each field that breaks the profile', () => {
    assert.deepEqual(restrictedViolations(compliantPod()), []);
    for (const [what, change, expected] of BREAKS) {
      const pod = compliantPod();
      change(pod);
      const violations = restrictedViolations(pod);
      assert.ok(violations.some((violation) => expected.test(violation)), `${what}: ${JSON.stringify(violations)}`);
    }
  });

  it('the retire CronJob runs `retire --pending` daily, one at a time, with the dump\'s limits and Secret', async () => {
    const cronJobs = byName(ALL, 'CronJob');
    const retire = cronJobs.get('aspects-retire') as Manifest;
    const dump = cronJobs.get('aspects-dump') as Manifest;
    assert.match(retire.spec.schedule, /^\d+ \d+ \* \* \*$/);
    for (const field of ['concurrencyPolicy', 'startingDeadlineSeconds', 'successfulJobsHistoryLimit', 'failedJobsHistoryLimit']) {
      assert.equal(retire.spec[field], dump.spec[field], field);
    }
    const [container] = retire.spec.jobTemplate.spec.template.spec.containers;
    assert.deepEqual(container.envFrom, [{ secretRef: { name: 'aspects' } }]);
    assert.deepEqual(container.args.slice(0, 2), ['retire', '--pending']);
    assert.ok(retire.spec.jobTemplate.spec.activeDeadlineSeconds > 0);
    const parsed = await cliTakesArgs(container.args);
    assert.ok(parsed.accepted, parsed.stderr);
  });
});

describe('deploy/kubernetes/follow-deployment.yaml: one follow at a time, stopped gently', () => {
  it('one replica, replaced by Recreate (never two readers of one checkpoint), time to write its batch on SIGTERM, arguments the CLI takes', async () => {
    const follow = byName(ALL, 'Deployment').get('aspects-follow') as Manifest;
    assert.deepEqual([follow.spec.replicas, follow.spec.strategy.type], [1, 'Recreate']);
    assert.deepEqual(follow.spec.selector.matchLabels, follow.spec.template.metadata.labels);
    assert.ok(follow.spec.template.spec.terminationGracePeriodSeconds >= 60);
    const [container] = follow.spec.template.spec.containers;
    assert.equal(container.args[0], 'follow');
    const parsed = await cliTakesArgs(container.args);
    assert.ok(parsed.accepted, parsed.stderr);
  });
});

/** The label values a PromQL selector `label=~"…"` matches (fully anchored, as Prometheus does). */
function selectorMatches(expr: string, label: string, name: string): boolean {
  const patterns = [...expr.matchAll(new RegExp(`${label}=~"([^"]+)"`, 'g'))].map(([, pattern]) => pattern as string);
  return patterns.length > 0 && patterns.every((pattern) => new RegExp(`^(?:${pattern})$`).test(name));
}

/** Kube-state-metrics series the rules may use (all present in kube-state-metrics 2.x). */
const KSM_METRICS = ['kube_job_status_failed', 'kube_job_status_start_time', 'kube_job_owner', 'kube_cronjob_status_last_successful_time', 'kube_cronjob_created'];

// A PrometheusRule is a custom resource (Prometheus Operator): the Kubernetes OpenAPI schemas do
// not describe it, and no promtool runs here, so its YAML and structure are checked by hand.
describe('deploy/kubernetes/alerts.yaml: a PrometheusRule (a CRD: not in the Kubernetes schemas)', () => {
  const [rule] = manifestsOf('alerts.yaml') as [Manifest];
  const rules = (rule.spec.groups as Manifest[]).flatMap((group) => group.rules as Manifest[]);
  const TUTOR_CRONJOBS = ['aspects-cli-dump', 'aspects-cli-retire'];

  it('is a monitoring.coreos.com/v1 PrometheusRule whose rules each have a name, an expression, a severity and a summary', () => {
    assert.equal(rule.apiVersion, 'monitoring.coreos.com/v1');
    assert.equal(rule.kind, 'PrometheusRule');
    assert.match(rule.metadata.name, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    assert.ok(rules.length >= 3);
    for (const entry of rules) {
      assert.match(entry.alert, /^Aspects[A-Za-z]+$/);
      assert.ok(['warning', 'critical'].includes(entry.labels.severity), entry.alert);
      assert.ok(entry.annotations.summary, entry.alert);
      if (entry.for !== undefined) assert.match(entry.for, /^\d+[smh]$/);
      assert.equal([...entry.expr].filter((c: string) => c === '(').length, [...entry.expr].filter((c: string) => c === ')').length, entry.alert);
      const metrics = (entry.expr as string).match(/\bkube_[a-z_]+/g) ?? [];
      assert.ok(metrics.length > 0 && metrics.every((metric) => KSM_METRICS.includes(metric)), `${entry.alert}: ${metrics.join(', ')}`);
    }
  });

  it('the failure alert covers every aspects CronJob; the staleness alerts cover the dumps and the retires', () => {
    const cronJobs = [...byName(ALL, 'CronJob').keys(), ...TUTOR_CRONJOBS];
    const find = (name: string) => rules.find((entry) => entry.alert === name) as Manifest;
    for (const name of cronJobs) assert.ok(selectorMatches(find('AspectsJobFailed').expr, 'owner_name', name), name);
    for (const name of cronJobs.filter((job) => job.endsWith('-dump'))) assert.ok(selectorMatches(find('AspectsDumpNotSucceeding').expr, 'cronjob', name), name);
    for (const name of cronJobs.filter((job) => job.endsWith('-retire'))) assert.ok(selectorMatches(find('AspectsRetireNotSucceeding').expr, 'cronjob', name), name);
    assert.ok(!selectorMatches(find('AspectsDumpNotSucceeding').expr, 'cronjob', 'aspects-retire'));
  });
});
