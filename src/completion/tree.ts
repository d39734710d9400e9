import type { Command, Option } from 'commander';
import { OBJECT_NAMES } from '../sinks/index.js';

/** One command of the CLI as completion sees it: its words, options, subcommands and values. */
export interface CommandSpec {
  /** Words after `aspects`, e.g. `schema status` ('' for the root). */
  readonly path: string;
  readonly description: string;
  readonly options: readonly OptionSpec[];
  /** Subcommands, or the values of a positional argument with a fixed set (completion's shell). */
  readonly children: readonly string[];
}

export interface OptionSpec {
  readonly flag: string;
  readonly description: string;
  readonly takesValue: boolean;
  /** Takes several values (`--object a b`): a later word is one of them too. */
  readonly variadic: boolean;
  /** Its value is a file name (`--config <file>`): the only place files are offered. */
  readonly file: boolean;
  /** The values it takes, when they are a fixed set. */
  readonly values: readonly string[];
}

/** The shells `aspects completion` writes for. */
export const SHELLS = ['bash', 'zsh', 'fish'] as const;

/** Values of options whose values are a known set that commander does not hold as choices. */
const KNOWN_VALUES: Readonly<Record<string, readonly string[]>> = { '--object': [...OBJECT_NAMES, 'all'] };

function optionSpec(option: Option): OptionSpec {
  const flag = option.long ?? option.short ?? option.flags;
  const values = option.argChoices ?? KNOWN_VALUES[flag] ?? [];
  return {
    flag, description: option.description, takesValue: option.required || option.optional, variadic: option.variadic,
    file: /<file>/.test(option.flags), values,
  };
}

/** Every command of `program` (itself first), depth first. */
export function commandTree(program: Command, path = ''): CommandSpec[] {
  const children = program.commands.map((each) => each.name());
  const spec: CommandSpec = {
    path, description: program.description(),
    options: [...program.options.map(optionSpec), { flag: '--help', description: 'display help', takesValue: false, variadic: false, file: false, values: [] }],
    children: path === 'completion' ? [...SHELLS] : children,
  };
  return [spec, ...program.commands.flatMap((each) => commandTree(each, path ? `${path} ${each.name()}` : each.name()))];
}
