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

/** The flags of each command whose options pass `test`: `"dump") echo "--object --ids" ;;`. */
function flagBranches(tree: readonly CommandSpec[], test: (option: CommandSpec['options'][number]) => boolean): string {
  return caseBranches(tree, (spec) => spec.options.filter(test).map((option) => option.flag));
}

/** A bash function answering, per command path (or `path flag`), with the words of one kind. */
function lookup(name: string, branches: string): string {
  return `${name}() {\n  case "$1" in\n${branches}\n  esac\n}`;
}

/** The lookups the completion function asks about the CLI's commands and options. */
function bashLookups(tree: readonly CommandSpec[]): string {
  return [
    lookup('_aspects_children', caseBranches(tree, (spec) => spec.children)),
    lookup('_aspects_options', caseBranches(tree, (spec) => spec.options.map((option) => option.flag))),
    lookup('_aspects_values', valueBranches(tree)),
    lookup('_aspects_variadic', flagBranches(tree, (option) => option.variadic)),
    lookup('_aspects_file_options', flagBranches(tree, (option) => option.file)),
    lookup('_aspects_takes_value', flagBranches(tree, (option) => option.takesValue)),
  ].join('\n');
}

/**
 * The completion itself. bash splits `--object=us` at the `=` (COMP_WORDBREAKS), so the word
 * before a `=` is the option; after a comma the part after it is completed; a word after a
 * variadic option's values is one more of them; files only where an option takes one. It filters
 * its words itself: zsh's compgen emulation does not, outside a completion widget.
 */
const BASH_COMPLETION = `_aspects_option_before() {
  local i word nearest=1
  for ((i = COMP_CWORD - 1; i > 0; i--)); do
    word="\${COMP_WORDS[i]}"
    [[ "$word" == "=" ]] && continue
    if [[ "$word" == -* ]]; then
      [[ " $(_aspects_takes_value "$1") " == *" $word "* ]] || return
      if [[ $nearest -eq 1 || " $(_aspects_variadic "$1") " == *" $word "* ]]; then echo "$word"; fi
      return
    fi
    nearest=0
    [[ " $(_aspects_children "$1") " == *" $word "* ]] && return
  done
}
_aspects_offer() {
  local prefix="$1" cur="$2" word
  [[ -n "\${ZSH_VERSION:-}" ]] && setopt localoptions shwordsplit
  COMPREPLY=()
  for word in $3; do [[ "$word" == "$cur"* ]] && COMPREPLY+=("$prefix$word"); done
}
_aspects_complete() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" path="" word i values flag prefix=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    case " $(_aspects_children "$path") " in *" $word "*) path="\${path:+$path }$word" ;; esac
  done
  [[ "$cur" == "=" ]] && cur=""
  if [[ "$cur" == -* ]]; then _aspects_offer "" "$cur" "$(_aspects_options "$path")"; return 0; fi
  flag="$(_aspects_option_before "$path")"
  if [[ "$cur" == *,* ]]; then prefix="\${cur%,*},"; cur="\${cur##*,}"; fi
  values="$(_aspects_values "$path $flag")"
  if [[ -n "$flag" && -n "$values" ]]; then _aspects_offer "$prefix" "$cur" "$values"; return 0; fi
  if [[ -n "$flag" && " $(_aspects_file_options "$path") " == *" $flag "* ]]; then COMPREPLY=($(compgen -f -- "$cur")); return 0; fi
  [[ -n "$flag" ]] && return 0
  values="$(_aspects_children "$path")"
  _aspects_offer "" "$cur" "\${values:-$(_aspects_options "$path")}"
  return 0
}
complete -F _aspects_complete aspects
`;

/** bash: `source <(aspects completion bash)`. */
export function bashScript(tree: readonly CommandSpec[]): string {
  return `# aspects completion for bash: source <(aspects completion bash), or save as /etc/bash_completion.d/aspects
${bashLookups(tree)}
${BASH_COMPLETION}`;
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

/** Where the command line is: the command path its words name. */
const FISH_PATH = [
  'function __aspects_path',
  '  set -l path',
  '  for word in (commandline -opc)[2..-1]',
  '    if contains -- $word (__aspects_children (string join " " $path)); set -a path $word; end',
  '  end',
  '  string join " " $path',
  'end',
  'function __aspects_at',
  '  set -l path (__aspects_path)',
  '  test "$path" = "$argv[1]"',
  'end',
];

/** Lists of values: the option a word continues, and the values after the word's last comma. */
const FISH_LISTS = [
  // The option a word continues: the current word's own `--flag=`, else the nearest option before it.
  'function __aspects_list_option',
  '  set -l current (commandline -ct)',
  "  if string match -qr -- '^--[^=]+=' $current; string split -m1 = -- $current; return; end",
  '  for word in (commandline -opc)[-1..2]',
  "    if string match -q -- '-*' $word; string split -m1 = -- $word; return; end",
  '  end',
  'end',
  // The values, after what the current word holds up to its last comma (`user_profile,ext` → `user_profile,external_id`).
  'function __aspects_list_values',
  "  set -l prefix (string replace -r -- '^--[^=]+=' '' (commandline -ct) | string replace -r -- '[^,]*$' '')",
  '  for value in $argv; echo $prefix$value; end',
  'end',
];

/** The subcommands of each command path. */
function fishChildren(tree: readonly CommandSpec[]): string[] {
  return [
    'function __aspects_children',
    '  switch "$argv[1]"',
    ...tree.map((spec) => `    case ${fishText(spec.path)}; ${spec.children.length > 0 ? `printf '%s\\n' ${words(spec.children)}` : 'true'}`),
    '  end',
    'end',
  ];
}

/** One option's completions: the flag with its values, and for a variadic one, the values of the words after them. */
function fishOption(spec: CommandSpec, option: CommandSpec['options'][number]): string[] {
  const at = `-n "__aspects_at ${fishText(spec.path)}"`;
  const listed = fishText(`(__aspects_list_values ${words(option.values)})`);
  const value = option.values.length > 0 ? ` -x -a ${listed}` : option.takesValue ? ' -r' : '';
  const lines = [`complete -c aspects ${at} -l ${option.flag.replace(/^--/, '')}${value} -d ${fishText(option.description)}`];
  if (option.variadic && option.values.length > 0) {
    const continues = `-n ${fishText(`__aspects_at '${spec.path}'; and contains -- ${option.flag} (__aspects_list_option)[1]`)}`;
    lines.push(`complete -c aspects ${continues} -a ${listed}`);
  }
  return lines;
}

/** One command's completions: its subcommands, described, and its options. */
function fishCommand(tree: readonly CommandSpec[], spec: CommandSpec): string[] {
  const at = `-n "__aspects_at ${fishText(spec.path)}"`;
  const describe = (name: string) => tree.find((each) => each.path === (spec.path ? `${spec.path} ${name}` : name))?.description ?? '';
  return [
    ...spec.children.map((child) => `complete -c aspects ${at} -a ${child} -d ${fishText(describe(child))}`),
    ...spec.options.flatMap((option) => fishOption(spec, option)),
  ];
}

/** fish: `aspects completion fish | source`, or save as ~/.config/fish/completions/aspects.fish. */
export function fishScript(tree: readonly CommandSpec[]): string {
  const lines = [
    '# aspects completion for fish: aspects completion fish | source, or save as ~/.config/fish/completions/aspects.fish',
    ...FISH_PATH, ...fishChildren(tree), ...FISH_LISTS,
    'complete -c aspects -f',
    ...tree.flatMap((spec) => fishCommand(tree, spec)),
  ];
  return `${lines.join('\n')}\n`;
}
