import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** One Dockerfile instruction: its keyword and the rest of its (joined) line. */
export interface Instruction {
  readonly keyword: string;
  readonly rest: string;
}

/** The instructions of a Dockerfile, continuation lines joined, comments dropped. */
export function instructions(text: string): Instruction[] {
  const joined = text.replace(/\\\n/g, ' ').split('\n').map((line) => line.trim()).filter((line) => line && !line.startsWith('#'));
  return joined.map((line) => {
    const [keyword = '', ...rest] = line.split(/\s+/);
    return { keyword: keyword.toUpperCase(), rest: rest.join(' ') };
  });
}

/** What the final stage of a replayed build leaves: its folder (standing for /), and its settings. */
export interface ReplayedImage {
  readonly root: string;
  readonly env: Record<string, string>;
  readonly user: string;
  readonly entrypoint: string[];
  readonly labels: Record<string, string>;
  /** The image each stage is FROM, in order (the last one is the final image's base). */
  readonly bases: string[];
}

/** A value as Dockerfile writes it: double quotes taken off (with their backslash escapes). */
const unquoted = (value: string): string => (/^".*"$/s.test(value) ? JSON.parse(value) as string : value);

/** `$NAME` and `${NAME}` replaced by the stage's build arguments (unknown ones by nothing, as Docker does). */
const substituted = (value: string, args: Record<string, string>): string =>
  value.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, braced?: string, bare?: string) => args[(braced ?? bare) as string] ?? '');

/** The key=value pairs of a LABEL instruction (values quoted or bare). */
const pairs = (rest: string): [string, string][] =>
  [...rest.matchAll(/([\w.-]+)=("(?:[^"\\]|\\.)*"|\S+)/g)].map(([, key, value]) => [key as string, unquoted(value as string)]);

/** Absolute paths in a RUN command, moved under the stage's folder (whose parents are made). */
function underRoot(command: string, root: string): string {
  return command.replace(/(^|[\s=])(\/[\w./-]+)/g, (_, before: string, path: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    return `${before}${join(root, path)}`;
  });
}

/** A stage being replayed: its folder, working directory and environment. */
class Stage {
  workdir = '/';
  env: Record<string, string> = {};
  user = 'root';
  entrypoint: string[] = [];
  labels: Record<string, string> = {};
  args: Record<string, string> = {};

  constructor(readonly root: string, private readonly buildArgs: Record<string, string>) {}

  run(instruction: Instruction, context: string, stages: Map<string, Stage>): void {
    const { keyword, rest } = instruction;
    if (keyword === 'WORKDIR') this.workdir = rest;
    if (keyword === 'WORKDIR') mkdirSync(join(this.root, rest), { recursive: true });
    if (keyword === 'ENV') for (const [, name, value] of rest.matchAll(/(\w+)=(\S+)/g)) this.env[name as string] = value as string;
    if (keyword === 'USER') this.user = rest;
    if (keyword === 'ENTRYPOINT') this.entrypoint = JSON.parse(rest) as string[];
    if (keyword === 'COPY') this.copy(rest, context, stages);
    if (keyword === 'RUN') this.shell(rest);
    if (keyword === 'ARG') this.declare(rest);
    if (keyword === 'LABEL') for (const [key, value] of pairs(rest)) this.labels[key] = substituted(value, this.args);
  }

  /** ARG NAME[=default]: the --build-arg given for it, else its default. */
  private declare(rest: string): void {
    const [name = '', ...value] = rest.split('=');
    this.args[name] = this.buildArgs[name] ?? unquoted(value.join('='));
  }

  private copy(rest: string, context: string, stages: Map<string, Stage>): void {
    const words = rest.split(/\s+/);
    const from = words[0]?.startsWith('--from=') ? stages.get(words.shift()?.slice('--from='.length) as string)?.root : context;
    if (from === undefined) throw new Error(`COPY from an unknown stage: ${rest}`);
    const destination = words.pop() as string;
    const target = join(this.root, destination.startsWith('/') ? destination : join(this.workdir, destination));
    for (const source of words) {
      const into = destination.endsWith('/') ? join(target, source.split('/').pop() as string) : target;
      cpSync(join(from, source), into, { recursive: true });
    }
  }

  private shell(command: string): void {
    execFileSync('bash', ['-euc', underRoot(command, this.root)], {
      cwd: join(this.root, this.workdir), stdio: 'pipe', env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...this.env },
    });
  }
}

/**
 * Replays a Dockerfile without Docker: each stage in a folder of its own under `into` (standing
 * for its /), COPY from `context` or an earlier stage, RUN with bash there, absolute paths moved
 * under the stage's folder. FROM's base image is this machine (Node.js and npm come from it).
 * `buildArgs` stands for `docker build --build-arg`.
 */
export function replayDockerfile(dockerfile: string, context: string, into: string, buildArgs: Record<string, string> = {}): ReplayedImage {
  const stages = new Map<string, Stage>();
  const bases: string[] = [];
  let stage: Stage | undefined;
  for (const instruction of instructions(readFileSync(dockerfile, 'utf8'))) {
    if (instruction.keyword === 'FROM') {
      bases.push(instruction.rest.split(/\s+/)[0] as string);
      stage = new Stage(join(into, `stage-${stages.size}`), buildArgs);
      const name = /\bAS\s+(\S+)/i.exec(instruction.rest)?.[1] ?? String(stages.size);
      stages.set(name, stage);
      mkdirSync(stage.root, { recursive: true });
    } else {
      stage?.run(instruction, context, stages);
    }
  }
  if (!stage) throw new Error('no FROM in the Dockerfile');
  return { root: stage.root, env: stage.env, user: stage.user, entrypoint: stage.entrypoint, labels: stage.labels, bases };
}
