/**
 * The Pod Security Standards' "restricted" profile (which includes "baseline"), checked field by
 * field on a Pod template as the admission controller does (Kubernetes 1.30+, policy version
 * "latest"): https://kubernetes.io/docs/concepts/security/pod-security-standards/
 */
import type { PodTemplate } from './deploy-manifests.js';

type Fields = Record<string, any>;

/** A container of any list (containers, initContainers, ephemeralContainers), named for messages. */
interface Container {
  readonly label: string;
  readonly security: Fields;
  readonly fields: Fields;
}

function containersOf(spec: Fields): Container[] {
  return ['containers', 'initContainers', 'ephemeralContainers'].flatMap((list) => ((spec[list] ?? []) as Fields[])
    .map((fields) => ({ label: `${list} ${fields.name}`, security: (fields.securityContext ?? {}) as Fields, fields })));
}

const RESTRICTED_VOLUMES = ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret'];
const SAFE_SYSCTLS = ['kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.ip_unprivileged_port_start', 'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range', 'net.ipv4.ip_local_reserved_ports', 'net.ipv4.tcp_keepalive_time', 'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl', 'net.ipv4.tcp_keepalive_probes'];
const SELINUX_TYPES = ['', 'container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t'];

/** Baseline: no host namespaces, no Windows HostProcess, no hostPath, no host ports, no privileged containers. */
function hostAccess(spec: Fields, containers: Container[]): string[] {
  const problems = ['hostNetwork', 'hostPID', 'hostIPC'].filter((field) => spec[field] === true).map((field) => `${field} is true`);
  if (spec.securityContext?.windowsOptions?.hostProcess === true) problems.push('pod windowsOptions.hostProcess is true');
  for (const volume of (spec.volumes ?? []) as Fields[]) if (volume.hostPath) problems.push(`volume ${volume.name} is a hostPath`);
  for (const { label, security, fields } of containers) {
    if (security.privileged === true) problems.push(`${label}: privileged`);
    if (security.windowsOptions?.hostProcess === true) problems.push(`${label}: windowsOptions.hostProcess is true`);
    if (security.procMount !== undefined && security.procMount !== 'Default') problems.push(`${label}: procMount ${security.procMount}`);
    for (const port of (fields.ports ?? []) as Fields[]) if (port.hostPort) problems.push(`${label}: hostPort ${port.hostPort}`);
  }
  return problems;
}

/** Baseline: AppArmor, SELinux and sysctls only as the profile allows. */
function kernelOptions(template: PodTemplate, containers: Container[]): string[] {
  const problems: string[] = [];
  const contexts: [string, Fields][] = [['pod', template.spec.securityContext ?? {}], ...containers.map((c): [string, Fields] => [c.label, c.security])];
  for (const [label, context] of contexts) {
    const appArmor = context.appArmorProfile?.type;
    if (appArmor !== undefined && appArmor !== 'RuntimeDefault' && appArmor !== 'Localhost') problems.push(`${label}: appArmorProfile ${appArmor}`);
    const seLinux = (context.seLinuxOptions ?? {}) as Fields;
    if (!SELINUX_TYPES.includes(seLinux.type ?? '')) problems.push(`${label}: seLinuxOptions.type ${seLinux.type}`);
    if (seLinux.user || seLinux.role) problems.push(`${label}: seLinuxOptions sets a user or role`);
  }
  for (const [key, value] of Object.entries((template.metadata.annotations ?? {}) as Fields)) {
    const allowed = value === 'runtime/default' || String(value).startsWith('localhost/');
    if (key.startsWith('container.apparmor.security.beta.kubernetes.io/') && !allowed) problems.push(`annotation ${key}: ${value}`);
  }
  for (const sysctl of (template.spec.securityContext?.sysctls ?? []) as Fields[]) {
    if (!SAFE_SYSCTLS.includes(sysctl.name)) problems.push(`sysctl ${sysctl.name} is not a safe one`);
  }
  return problems;
}

/** Restricted: volume types, runAsNonRoot, non-zero runAsUser. */
function identity(spec: Fields, containers: Container[]): string[] {
  const problems = ((spec.volumes ?? []) as Fields[]).filter((volume) => !Object.keys(volume).some((key) => RESTRICTED_VOLUMES.includes(key)))
    .map((volume) => `volume ${volume.name} is of a type restricted does not allow`);
  const pod = (spec.securityContext ?? {}) as Fields;
  if (pod.runAsUser === 0) problems.push('pod runAsUser is 0');
  for (const { label, security } of containers) {
    if (security.runAsNonRoot === false) problems.push(`${label}: runAsNonRoot is false`);
    if (pod.runAsNonRoot !== true && security.runAsNonRoot !== true) problems.push(`${label}: runAsNonRoot is not true (pod or container)`);
    if (security.runAsUser === 0) problems.push(`${label}: runAsUser is 0`);
  }
  return problems;
}

/** Restricted: seccomp RuntimeDefault or Localhost, no privilege escalation, capabilities dropped. */
function privileges(spec: Fields, containers: Container[]): string[] {
  const problems: string[] = [];
  const podSeccomp = spec.securityContext?.seccompProfile?.type;
  const allowedSeccomp = (type: unknown) => type === 'RuntimeDefault' || type === 'Localhost';
  if (podSeccomp !== undefined && !allowedSeccomp(podSeccomp)) problems.push(`pod seccompProfile ${podSeccomp}`);
  for (const { label, security } of containers) {
    const own = security.seccompProfile?.type;
    if (own !== undefined ? !allowedSeccomp(own) : !allowedSeccomp(podSeccomp)) problems.push(`${label}: seccompProfile is not RuntimeDefault or Localhost`);
    if (security.allowPrivilegeEscalation !== false) problems.push(`${label}: allowPrivilegeEscalation is not false`);
    if (!((security.capabilities?.drop ?? []) as string[]).includes('ALL')) problems.push(`${label}: capabilities.drop lacks ALL`);
    const added = ((security.capabilities?.add ?? []) as string[]).filter((capability) => capability !== 'NET_BIND_SERVICE');
    if (added.length > 0) problems.push(`${label}: capabilities.add ${added.join(', ')}`);
  }
  return problems;
}

/** What a Pod template does that Pod Security "restricted" forbids (empty: admitted). */
export function restrictedViolations(template: PodTemplate): string[] {
  const containers = containersOf(template.spec);
  if (containers.length === 0) return ['no containers'];
  return [...hostAccess(template.spec, containers), ...kernelOptions(template, containers), ...identity(template.spec, containers), ...privileges(template.spec, containers)];
}

/**
 * Beyond the profile, what this project asks of its Pods: the image's numeric user and group
 * (1000), a read-only root filesystem, and no service account token (the CLI never calls the API).
 */
export function hardeningGaps(template: PodTemplate): string[] {
  const pod = (template.spec.securityContext ?? {}) as Fields;
  const gaps: string[] = [];
  if (pod.runAsUser !== 1000 || pod.runAsGroup !== 1000) gaps.push(`pod runs as ${pod.runAsUser}:${pod.runAsGroup}, not 1000:1000`);
  if (template.spec.automountServiceAccountToken !== false) gaps.push('automountServiceAccountToken is not false');
  for (const { label, security } of containersOf(template.spec)) {
    if (security.readOnlyRootFilesystem !== true) gaps.push(`${label}: readOnlyRootFilesystem is not true`);
  }
  return gaps;
}
