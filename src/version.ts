import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/** What `aspects --version` says: the release, the build, the Node running it, and whether the embedded engine is installed. */
export interface VersionInfo {
  readonly version: string;
  /** The git commit the build was made from (dist/build-info.json, which an image build may write, or the checkout it runs from), when known. */
  readonly commit: string | undefined;
  readonly node: string;
  readonly embeddedEngine: boolean;
}

const packageRoot = new URL('../../', import.meta.url);

function readJson<T>(relative: string): T | undefined {
  const text = readText(relative);
  return text === undefined ? undefined : JSON.parse(text) as T;
}

/** Whether the optional chdb package (the embedded engine, ~600 MB) is installed. */
function hasEmbeddedEngine(): boolean {
  try {
    createRequire(import.meta.url).resolve('chdb/package.json');
    return true;
  } catch {
    return false;
  }
}

function readText(relative: string): string | undefined {
  const file = new URL(relative, packageRoot);
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
}

/** The commit of a git checkout the CLI runs from (a clone; an image or a package has none). */
function checkoutCommit(): string | undefined {
  const head = readText('.git/HEAD');
  const ref = head?.startsWith('ref: ') ? head.slice(5) : undefined;
  const commit = ref === undefined ? head : readText(`.git/${ref}`) ?? readText('.git/packed-refs')?.split('\n').find((line) => line.endsWith(` ${ref}`))?.split(' ')[0];
  return commit && /^[0-9a-f]{40}$/.test(commit) ? commit.slice(0, 12) : undefined;
}

export function versionInfo(): VersionInfo {
  const { version } = readJson<{ version: string }>('package.json') ?? { version: 'unknown' };
  const commit = readJson<{ commit?: string }>('dist/build-info.json')?.commit ?? checkoutCommit();
  return { version, commit, node: process.version, embeddedEngine: hasEmbeddedEngine() };
}

/** The lines of `aspects --version`. */
export function versionText(info: VersionInfo = versionInfo()): string {
  const engine = info.embeddedEngine ? 'installed' : 'not installed (chdb: URLs need it; server installs leave it out with --omit=optional)';
  return [`aspects ${info.version}${info.commit ? ` (build ${info.commit})` : ''}`, `Node.js ${info.node}`, `embedded ClickHouse (chdb): ${engine}`].join('\n');
}
