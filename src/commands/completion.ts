import { Argument, Command } from 'commander';
import { bashScript, fishScript, zshScript } from '../completion/scripts.js';
import { commandTree, SHELLS } from '../completion/tree.js';
import type { CommandContext } from './context.js';

const SCRIPTS = { bash: bashScript, zsh: zshScript, fish: fishScript } as const;

/** `aspects completion bash|zsh|fish`: a completion script for the shell, made from the commands' own options. */
export function completionCommand(context: CommandContext): Command {
  const command = new Command('completion')
    .description('print a shell completion script (commands, options, objects and option values)')
    .addArgument(new Argument('<shell>', 'the shell').choices(SHELLS))
    .addHelpText('after', `
Examples:
  $ source <(aspects completion bash)          # now, or in ~/.bashrc
  $ aspects completion zsh > "\${fpath[1]}/_aspects"
  $ aspects completion fish > ~/.config/fish/completions/aspects.fish`)
    .action((shell: (typeof SHELLS)[number]) => {
      const root = command.parent ?? command;
      context.streams.stdout.write(SCRIPTS[shell](commandTree(root)));
    });
  return command;
}

