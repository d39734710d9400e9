import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { runAspects } from '../support/cli.js';
import { tempFolder } from '../support/temp.js';

/** What bash's completion offers for a command line (its last word is the one completed). */
function bashOffers(script: string, line: string[]): string[] {
  const words = line.map((word) => `'${word}'`).join(' ');
  const output = execFileSync('bash', ['-c', `source '${script}'; COMP_WORDS=(${words}); COMP_CWORD=${line.length - 1}; _aspects_complete; printf '%s\\n' "\${COMPREPLY[@]}"`], { encoding: 'utf8' });
  return output.split('\n').filter(Boolean);
}

/** What zsh offers through its bashcompinit (the script's function, words as zsh's _bash_complete hands them over: 0-based). */
function zshOffers(script: string, line: string[]): string[] {
  const words = line.map((word) => `'${word}'`).join(' ');
  const program = `autoload -U compinit && compinit -u; source '${script}'; setopt ksharrays; COMP_WORDS=(${words}); COMP_CWORD=${line.length - 1}; _aspects_complete; print -rl -- "\${COMPREPLY[@]}"`;
  return execFileSync('zsh', ['-c', program], { encoding: 'utf8' }).split('\n').filter(Boolean);
}

/** What fish offers (`complete -C`), names only. */
function fishOffers(script: string, line: string): string[] {
  const output = execFileSync('fish', ['-c', `source '${script}'; complete -C'${line}'`], { encoding: 'utf8' });
  return output.split('\n').filter(Boolean).map((entry) => entry.split('\t')[0] as string);
}

// Real shells complete real command lines with the scripts `aspects completion` prints
// (.ci/run installs zsh and fish when they are missing).
describe('aspects completion bash|zsh|fish', () => {
  const folder = tempFolder('aspects-completion-');
  const scripts: Record<string, string> = {};
  before(async () => {
    for (const shell of ['bash', 'zsh', 'fish']) {
      const result = await runAspects(['completion', shell]);
      assert.equal(result.code, 0, result.stderr);
      scripts[shell] = join(folder, `aspects.${shell}`);
      writeFileSync(scripts[shell] as string, result.stdout);
    }
  });

  it('bash completes commands, subcommands, options per command, objects and option values', () => {
    const bash = scripts.bash as string;
    assert.deepEqual(bashOffers(bash, ['aspects', 'du']), ['dump']);
    assert.deepEqual(bashOffers(bash, ['aspects', 'schema', '']), ['init', 'status']);
    assert.deepEqual(bashOffers(bash, ['aspects', 'dump', '--ba']), ['--batch-size']);
    assert.deepEqual(bashOffers(bash, ['aspects', 'status', '--fa']), ['--fail-on-stale']);
    assert.deepEqual(bashOffers(bash, ['aspects', 'dump', '--object', 'user_profile', '--object', 'course_e']), ['course_enrollment']);
    assert.deepEqual(bashOffers(bash, ['aspects', 'dump', '--log-format', '']), ['text', 'json']);
    assert.ok(!bashOffers(bash, ['aspects', 'schema', 'init', '--']).includes('--mysql-url'));
    assert.ok(bashOffers(bash, ['aspects', 'schema', 'status', '--']).includes('--json'));
  });

  // Words as bash splits them: `--object=us` is `--object`, `=`, `us` (COMP_WORDBREAKS holds `=`).
  it('bash completes a value after =, the part after a comma, later values of a variadic option, and files only where an option takes one', () => {
    const bash = scripts.bash as string;
    assert.deepEqual(bashOffers(bash, ['aspects', 'dump', '--object', '=', 'us']), ['user_profile']);
    assert.deepEqual(bashOffers(bash, ['aspects', 'dump', '--log-format', '=', '']), ['text', 'json']);
    assert.deepEqual(bashOffers(bash, ['aspects', 'dump', '--object', 'user_profile,ext']), ['user_profile,external_id']);
    assert.deepEqual(bashOffers(bash, ['aspects', 'dump', '--object', '=', 'course_overviews,user']), ['course_overviews,user_profile']);
    assert.deepEqual(bashOffers(bash, ['aspects', 'dump', '--object', 'user_profile', 'course_e']), ['course_enrollment']);
    assert.deepEqual(bashOffers(bash, ['aspects', 'dump', '--batch-size', '10', 'cour']), []);
    assert.deepEqual(bashOffers(bash, ['aspects', 'dump', '--batch-size', '']), []);
    const dumpWord = bashOffers(bash, ['aspects', 'dump', '']);
    assert.ok(dumpWord.includes('--object') && dumpWord.every((word) => word.startsWith('--')), dumpWord.join(' '));
    const config = join(folder, 'aspects.yml');
    writeFileSync(config, '{}\n');
    assert.deepEqual(bashOffers(bash, ['aspects', 'dump', '--config', join(folder, 'aspects.y')]), [config]);
  });

  it('zsh completes the same lines through its bashcompinit: after =, after a comma, later values of a variadic option', () => {
    const zsh = scripts.zsh as string;
    assert.deepEqual(zshOffers(zsh, ['aspects', 'dump', '--object', '=', 'us']), ['user_profile']);
    assert.deepEqual(zshOffers(zsh, ['aspects', 'dump', '--object', 'user_profile,ext']), ['user_profile,external_id']);
    assert.deepEqual(zshOffers(zsh, ['aspects', 'dump', '--object', 'user_profile', 'course_e']), ['course_enrollment']);
    assert.deepEqual(zshOffers(zsh, ['aspects', 'schema', '']), ['init', 'status']);
    assert.deepEqual(zshOffers(zsh, ['aspects', 'dump', '--batch-size', '10', 'cour']), []);
  });

  it('fish completes the same: after =, after a comma, later values of a variadic option; no files but for --config', () => {
    const fish = scripts.fish as string;
    assert.deepEqual(fishOffers(fish, 'aspects dump --object=us'), ['--object=user_profile']);
    assert.deepEqual(fishOffers(fish, 'aspects dump --object user_profile,ext'), ['user_profile,external_id']);
    assert.deepEqual(fishOffers(fish, 'aspects dump --object=user_profile,ext'), ['--object=user_profile,external_id']);
    assert.deepEqual(fishOffers(fish, 'aspects status --object course_overviews user').sort(), ['user_profile']);
    assert.deepEqual(fishOffers(fish, 'aspects dump --batch-size 10 cour'), []);
    assert.deepEqual(fishOffers(fish, 'aspects dump '), []);
    assert.deepEqual(fishOffers(fish, `aspects dump --config ${join(folder, 'aspects.b')}`), [scripts.bash]);
  });

  it('zsh reads its script (through bashcompinit), fish completes the same lines', () => {
    execFileSync('zsh', ['-n', scripts.zsh as string]);
    execFileSync('zsh', ['-c', `autoload -U compinit && compinit -u && source '${scripts.zsh}' && whence -w _aspects_complete`]);
    const fish = scripts.fish as string;
    assert.deepEqual(fishOffers(fish, 'aspects du'), ['dump']);
    assert.deepEqual(fishOffers(fish, 'aspects schema st'), ['status']);
    assert.deepEqual(fishOffers(fish, 'aspects dump --object us'), ['user_profile']);
    assert.deepEqual(fishOffers(fish, 'aspects status --fa'), ['--fail-on-stale']);
  });

  it('an unknown shell is a usage error', async () => {
    const result = await runAspects(['completion', 'tcsh']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^aspects: command-argument value 'tcsh' is invalid for argument 'shell'\. Allowed choices are bash, zsh, fish\.\n$/);
  });
});
