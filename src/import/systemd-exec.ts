// A service's command lines (ExecStartPre=, ExecStart=, ExecStartPost=) as a
// cronkeeper command, with systemd's meaning (systemd.service(5), "COMMAND
// LINES"): words unquoted, `%` specifiers expanded, `${NAME}` and `$NAME`
// replaced from the unit's Environment=, `$$` a dollar sign, `;` between
// commands, and the prefixes `-` (failure ignored), `:` (no variables), `@`,
// `+`, `!`, `!!`. One command is run as it is; several run through sh one
// after the other, stopping at the first that fails, as systemd runs them.
// Pure.
import { shellWord } from '../text/shell-words.js';
import { splitRawWords, splitWords } from './systemd-unit-file.js';

/** One command of an Exec line: its words after unquoting and specifiers, variables not yet replaced. */
export interface ExecCommand {
  words: string[];
  ignoreFailure: boolean;
  noVariables: boolean;
  /** `+`, `!` or `!!` (as written), when systemd ran it with full privileges; else empty. */
  privileged: string;
  /** `@`: the second word is argv[0], the first the program. */
  argv0: boolean;
}

/** What `%` specifiers stand for in one unit (systemd.unit(5), "SPECIFIERS"); a missing one is host-dependent. */
export type Specifiers = Map<string, string>;

/** The specifiers known without the host, for a unit of the system manager named `unit` (`foo@bar.service`). */
export function unitSpecifiers(unit: string, fragment: string): Specifiers {
  const dot = unit.lastIndexOf('.');
  const base = dot < 0 ? unit : unit.slice(0, dot);
  const at = base.indexOf('@');
  const prefix = at < 0 ? base : base.slice(0, at);
  const instance = at < 0 ? '' : base.slice(at + 1);
  const slash = fragment.lastIndexOf('/');
  return new Map([
    ['n', unit],
    ['N', base],
    ['p', prefix],
    ['P', unescapeName(prefix)],
    ['i', instance],
    ['I', unescapeName(instance)],
    ['f', `/${unescapeName(instance || prefix)}`],
    ['j', prefix.slice(prefix.lastIndexOf('-') + 1)],
    ['J', unescapeName(prefix.slice(prefix.lastIndexOf('-') + 1))],
    ['y', fragment],
    ['Y', slash < 0 ? '.' : fragment.slice(0, slash) || '/'],
    // The system manager's own: root, and its fixed directories.
    ['u', 'root'],
    ['U', '0'],
    ['g', 'root'],
    ['G', '0'],
    ['h', '/root'],
    ['s', '/bin/sh'],
    ['t', '/run'],
    ['S', '/var/lib'],
    ['C', '/var/cache'],
    ['L', '/var/log'],
    ['E', '/etc'],
    ['T', '/tmp'],
    ['V', '/var/tmp'],
    ['%', '%'],
  ]);
}

/** systemd-escape undone: `-` is `/`, `\xNN` a byte. */
function unescapeName(text: string): string {
  return text.replace(/\\x([0-9a-fA-F]{2})|-/g, (m, hex: string | undefined) =>
    hex === undefined ? '/' : String.fromCharCode(Number.parseInt(hex, 16)),
  );
}

/** `text` with its specifiers expanded, or the specifier that depends on the host (`%H`). */
export function expandSpecifiers(
  text: string,
  specifiers: Specifiers,
): { text: string } | { unknown: string } {
  let unknown: string | undefined;
  const expanded = text.replace(/%(.?)/g, (m, c: string) => {
    const value = specifiers.get(c);
    if (value === undefined) unknown ??= m;
    return value ?? m;
  });
  return unknown === undefined ? { text: expanded } : { unknown };
}

/** The commands of one Exec line, or why it cannot be read. */
export function parseExecLine(value: string, specifiers: Specifiers): ExecCommand[] | string {
  const words = splitRawWords(value);
  if (typeof words === 'string') return words;
  const commands: ExecCommand[] = [];
  let current: string[] = [];
  const end = (): string | undefined => {
    if (current.length === 0) return 'an empty command';
    const m = /^([-@:+!]*)(.*)$/.exec(current[0]!)!;
    const prefix = m[1]!;
    current[0] = m[2]!;
    if (current[0] === '') return 'no program after the prefix';
    commands.push({
      words: current,
      ignoreFailure: prefix.includes('-'),
      noVariables: prefix.includes(':'),
      privileged: prefix.replace(/[^+!]/g, ''),
      argv0: prefix.includes('@'),
    });
    current = [];
    return undefined;
  };
  for (const { word, raw } of words) {
    // A lone `;` separates commands; `\;` is a literal one.
    if (raw === ';') {
      const problem = end();
      if (problem) return problem;
      continue;
    }
    const expanded = expandSpecifiers(word, specifiers);
    if ('unknown' in expanded)
      return `the specifier ${expanded.unknown} depends on the host: cronkeeper cannot know it`;
    current.push(expanded.text);
  }
  const problem = end();
  return problem ?? commands;
}

/** What a variable of a command line stands for: its value, or why it is not known at import. */
export type VariableLookup = (name: string) => { value: string } | { unknown: string };

/**
 * The argv of a command with systemd's variable rules: a word that is `$NAME`
 * becomes the value's words (quotes respected), `${NAME}` inside a word its
 * value, `$$` a `$`. A string is why it cannot be known here.
 */
export function substituteVariables(command: ExecCommand, lookup: VariableLookup): string[] | string {
  if (command.noVariables) return command.words;
  const argv: string[] = [];
  for (const [i, word] of command.words.entries()) {
    const whole = /^\$([^{$].*)$/.exec(word);
    if (whole && i > 0) {
      const found = lookup(whole[1]!);
      if ('unknown' in found) return found.unknown;
      const split = splitWords(found.value);
      argv.push(...(typeof split === 'string' ? found.value.split(/\s+/).filter(Boolean) : split));
      continue;
    }
    let unknown: string | undefined;
    const replaced = word.replace(/\$\$|\$\{([^}]*)\}/g, (m, name: string | undefined) => {
      if (name === undefined) return '$';
      const found = lookup(name);
      if ('unknown' in found) unknown ??= found.unknown;
      return 'value' in found ? found.value : m;
    });
    if (unknown !== undefined) return unknown;
    if (i === 0 && replaced !== word) return 'the program is a variable, which systemd refuses';
    argv.push(replaced);
  }
  return argv;
}

/** One command as sh reads it. */
function shellLine(argv: readonly string[]): string {
  return argv.map(shellWord).join(' ');
}

/**
 * The job's command for the commands of a start, in order: one command is its
 * argv; several (or one whose failure is ignored) are a sh script that runs
 * each after the one before, and stops with the status of the first that
 * fails and is not marked `-`.
 */
export function startCommand(commands: ReadonlyArray<{ argv: string[]; ignoreFailure: boolean }>): string[] {
  const only = commands[0];
  if (commands.length === 1 && only && !only.ignoreFailure) return only.argv;
  const lines = commands.map((c, i) => {
    const line = shellLine(c.argv);
    if (c.ignoreFailure) return `${line} || :`;
    return i === commands.length - 1 ? `exec ${line}` : `${line} || exit`;
  });
  return ['/bin/sh', '-c', lines.join('\n')];
}
