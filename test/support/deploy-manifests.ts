import { readFileSync } from 'node:fs';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { CronJob } from 'kubernetes-models/batch/v1/CronJob';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { Secret } from 'kubernetes-models/v1/Secret';
import { parseAllDocuments } from 'yaml';
import { runAspects } from './cli.js';

/** One Kubernetes object as parsed from YAML. */
export type Manifest = Record<string, any>;

/** A Pod template found in a manifest: where it is, its metadata and its spec. */
export interface PodTemplate {
  readonly where: string;
  readonly metadata: Record<string, any>;
  readonly spec: Record<string, any>;
}

/**
 * Every document of a YAML text, parsed strictly: a syntax error, a duplicate key or a warning
 * (e.g. an unknown tag) throws instead of being dropped. Empty documents are left out.
 */
export function parseManifests(text: string, source: string): Manifest[] {
  const documents = parseAllDocuments(text, { strict: true, uniqueKeys: true, prettyErrors: true });
  if (!Array.isArray(documents)) return [];
  return documents.flatMap((document) => {
    const problems = [...document.errors, ...document.warnings];
    if (problems.length > 0) throw new Error(`${source}: ${problems.map((problem) => problem.message).join('; ')}`);
    const value = document.toJS() as Manifest | null;
    return value === null ? [] : [value];
  });
}

/** The manifests of a YAML file (see parseManifests). */
export const readManifests = (path: string): Manifest[] => parseManifests(readFileSync(path, 'utf8'), path);

/** The kinds the examples use, each with the kubernetes-models class holding its OpenAPI schema. */
const MODELS: Record<string, (data: Manifest) => { validate(): void }> = {
  'v1/Secret': (data) => new Secret(data as ConstructorParameters<typeof Secret>[0]),
  'batch/v1/Job': (data) => new Job(data as ConstructorParameters<typeof Job>[0]),
  'batch/v1/CronJob': (data) => new CronJob(data as ConstructorParameters<typeof CronJob>[0]),
  'apps/v1/Deployment': (data) => new Deployment(data as ConstructorParameters<typeof Deployment>[0]),
};

/** Whether the Kubernetes schemas cover a manifest's kind (a CRD such as PrometheusRule is not). */
export const isBuiltInKind = (manifest: Manifest): boolean => `${manifest.apiVersion}/${manifest.kind}` in MODELS;

/**
 * Validates a manifest against Kubernetes' OpenAPI schema for its kind (types, enums, required
 * fields), throwing with every path that fails. The schemas allow unknown fields, so a misspelt
 * optional field passes here; the Pod Security check (deploy-pod-security) requires its fields.
 */
export function validateManifest(manifest: Manifest, source: string): void {
  const model = MODELS[`${manifest.apiVersion}/${manifest.kind}`];
  if (!model) throw new Error(`${source}: no schema for ${manifest.apiVersion} ${manifest.kind}`);
  try {
    model(manifest).validate();
  } catch (error) {
    throw new Error(`${source} ${manifest.kind} ${manifest.metadata?.name}: ${(error as Error).message}`);
  }
}

/** The Pod template of a Job, a CronJob, a Deployment or a Pod (undefined for other kinds). */
export function podTemplate(manifest: Manifest): PodTemplate | undefined {
  const where = `${manifest.kind} ${manifest.metadata?.name}`;
  if (manifest.kind === 'Pod') return { where, metadata: manifest.metadata ?? {}, spec: manifest.spec };
  const job = manifest.kind === 'CronJob' ? manifest.spec?.jobTemplate?.spec : ['Job', 'Deployment'].includes(manifest.kind) ? manifest.spec : undefined;
  return job ? { where, metadata: job.template?.metadata ?? {}, spec: job.template?.spec } : undefined;
}

/** The manifests of one kind, by name. */
export function byName(manifests: readonly Manifest[], kind: string): Map<string, Manifest> {
  return new Map(manifests.filter((manifest) => manifest.kind === kind).map((manifest) => [manifest.metadata.name as string, manifest]));
}

/**
 * Whether the CLI's own option parser takes `args` (command and options): they are run with a
 * ClickHouse URL of the wrong scheme, so a run whose options parse stops at once with that
 * usage error, and one with an unknown option or argument stops on that instead.
 */
export async function cliTakesArgs(args: readonly string[]): Promise<{ accepted: boolean; stderr: string }> {
  const result = await runAspects(args, { ASPECTS_MYSQL_URL: 'mysql://reader:pw@127.0.0.1:9/edxapp', ASPECTS_CLICKHOUSE_URL: 'ftp://no-clickhouse' });
  return { accepted: result.code === 2 && /ClickHouse URL must start with http/.test(result.stderr), stderr: result.stderr };
}
