import type { CommandSpec } from './tree.js';

/** A word list for a shell script: words are flags, names and values (no quotes in them). */
const words = (list: readonly string[]): string => list.join(' ');

/** One `case` branch per command path: `"schema") echo "init status" ;;`. */
function caseBranches(tree: readonly CommandSpec[], list: (spec: CommandSpec) => readonly string[]): string {
  return tree.map((spec) => `    "${spec.path}") echo "${words(list(spec))}" ;;`).join('\n');
}

/** Option values, per `path flag`: `"dump --object") echo "…" ;;`. */
function valueBranches(tree: readonly CommandSpec[]): string {
  return tree.flatMap((spec) => spec.options.filter((option) => option.values.length > 0)
    .map((option) => `    "${spec.path} ${option.flag}") echo "${words(option.values)}" ;;`)).join('\n');
}

/** bash: `source <(aspects completion bash)`. */
export function bashScript(tree: readonly CommandSpec[]): string {
  return `# aspects completion for bash: source <(aspects completion bash), or save as /etc/bash_completion.d/aspects
_aspects_children() {
  case "$1" in
${caseBranches(tree, (spec) => spec.children)}
  esac
}
_aspects_options() {
  case "$1" in
${caseBranches(tree, (spec) => spec.options.map((option) => option.flag))}
  esac
}
_aspects_values() {
  case "$1" in
${valueBranches(tree)}
  esac
}
_aspects_complete() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" path="" word i values
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    case " $(_aspects_children "$path") " in *" $word "*) path="\${path:+$path }$word" ;; esac
  done
  values="$(_aspects_values "$path $prev")"
  if [[ -n "$values" ]]; then COMPREPLY=($(compgen -W "$values" -- "$cur")); return; fi
  if [[ "$cur" == -* ]]; then COMPREPLY=($(compgen -W "$(_aspects_options "$path")" -- "$cur")); return; fi
  COMPREPLY=($(compgen -W "$(_aspects_children "$path")" -- "$cur"))
  [[ \${#COMPREPLY[@]} -eq 0 ]] && COMPREPLY=($(compgen -f -- "$cur"))
  return 0
}
complete -F _aspects_complete aspects
`;
}

/** zsh: the bash function through zsh's bashcompinit. */
export function zshScript(tree: readonly CommandSpec[]): string {
  return `#compdef aspects
# aspects completion for zsh: source <(aspects completion zsh), or save as _aspects on $fpath
autoload -U +X bashcompinit && bashcompinit
${bashScript(tree)}`;
}

/** A description as a fish single-quoted string. */
const fishText = (text: string): string => `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** fish: `aspects completion fish | source`, or save as ~/.config/fish/completions/aspects.fish. */
export function fishScript(tree: readonly CommandSpec[]): string {
  const lines = [
    '# aspects completion for fish: aspects completion fish | source, or save as ~/.config/fish/completions/aspects.fish',
    'function __aspects_path',
    '  set -l path',
    '  for word in (commandline -opc)[2..-1]',
    '    if contains -- $word (__aspects_children (string join " " $path)); set -a path $word; end',
    '  end',
    '  string join " " $path',
    'end',
    'function __aspects_children',
    '  switch "$argv[1]"',
    ...tree.map((spec) => `    case ${fishText(spec.path)}; ${spec.children.length > 0 ? `printf '%s\\n' ${words(spec.children)}` : 'true'}`),
    '  end',
    'end',
    'function __aspects_at',
    '  set -l path (__aspects_path)',
    '  test "$path" = "$argv[1]"',
    'end',
    'complete -c aspects -f',
  ];
  for (const spec of tree) {
    const at = `-n "__aspects_at ${fishText(spec.path)}"`;
    const describe = (name: string) => tree.find((each) => each.path === (spec.path ? `${spec.path} ${name}` : name))?.description ?? '';
    for (const child of spec.children) lines.push(`complete -c aspects ${at} -a ${child} -d ${fishText(describe(child))}`);
    for (const option of spec.options) {
      const value = option.values.length > 0 ? ` -x -a ${fishText(words(option.values))}` : option.takesValue ? ' -r' : '';
      lines.push(`complete -c aspects ${at} -l ${option.flag.replace(/^--/, '')}${value} -d ${fishText(option.description)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
