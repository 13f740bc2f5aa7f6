// Job names for imported crontab lines: the program a command is about, read
// from its shell text, and when two lines run the same program, its last
// argument. The same crontab always gives the same names. Pure.

/** Words that only prepare or guard the command that matters (`cd / && run-parts ...`). */
const GUARDS = new Set([
  'cd',
  'test',
  '[',
  '[[',
  'true',
  'false',
  ':',
  'sleep',
  'export',
  'set',
  'umask',
  'ulimit',
  'echo',
  'printf',
  'exit',
]);
/** Shell words before a command: keywords and grouping. */
const KEYWORDS = new Set(['if', 'then', 'else', 'elif', 'do', 'while', 'until', '!', '{', '}', 'fi', 'done']);
/** Programs that run the command after their options (`nice -n 10 backup`). */
const WRAPPERS = new Set(['exec', 'nohup', 'nice', 'ionice', 'env', 'command', 'time', 'chronic']);

/**
 * The simple commands of a shell line, each as its words with quotes removed. A
 * rough reading, enough to name a job: operators split commands, quotes and
 * backslashes join words, redirections and comments are dropped.
 */
export function simpleCommands(shell: string): string[][] {
  const commands: string[][] = [];
  let words: string[] = [];
  let word: string | undefined;
  let skipNext = false;
  const endWord = () => {
    if (word === undefined) return;
    const w = word;
    word = undefined;
    if (skipNext) skipNext = false;
    else if (/^\d*(?:[<>]|&>)/.test(w)) skipNext = /[<>&]$/.test(w);
    else words.push(w);
  };
  const endCommand = () => {
    endWord();
    if (words.length > 0) commands.push(words);
    words = [];
  };
  for (let i = 0; i < shell.length; i++) {
    const ch = shell[i]!;
    if (ch === "'") {
      const end = shell.indexOf("'", i + 1);
      word = (word ?? '') + shell.slice(i + 1, end < 0 ? undefined : end);
      i = end < 0 ? shell.length : end;
    } else if (ch === '"') {
      let j = i + 1;
      let text = '';
      for (; j < shell.length && shell[j] !== '"'; j++)
        text += shell[j] === '\\' ? (shell[++j] ?? '') : shell[j];
      word = (word ?? '') + text;
      i = j;
    } else if (ch === '\\') {
      word = (word ?? '') + (shell[++i] ?? '');
    } else if (ch === '#' && word === undefined) {
      const end = shell.indexOf('\n', i);
      i = end < 0 ? shell.length : end - 1;
    } else if (';&|()\n'.includes(ch)) {
      if (ch === '&' && word !== undefined && /[<>]$/.test(word)) word += ch;
      else endCommand();
    } else if (ch === ' ' || ch === '\t') {
      endWord();
    } else {
      word = (word ?? '') + ch;
    }
  }
  endCommand();
  return commands;
}

/** The program a simple command runs and its words after it; undefined for a guard or a bare assignment. */
function programOf(words: readonly string[]): { program: string; args: string[] } | undefined {
  let i = 0;
  let wrapped = false;
  for (; i < words.length; i++) {
    const w = words[i]!;
    if (KEYWORDS.has(w) || /^[A-Za-z_][A-Za-z0-9_]*=/.test(w)) continue;
    if (wrapped && (w.startsWith('-') || /^\d+$/.test(w))) continue;
    if (WRAPPERS.has(w)) {
      wrapped = true;
      continue;
    }
    break;
  }
  const program = words[i];
  if (program === undefined || GUARDS.has(program)) return undefined;
  return { program, args: words.slice(i + 1) };
}

/** `text` made a job-name part: letters, digits, `.`, `_`, `-`, starting with a letter or digit. */
function namePart(text: string, max: number): string {
  return text
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, max)
    .replace(/[-.]+$/, '');
}

function basename(word: string): string {
  return word.replace(/\/+$/, '').split('/').at(-1) ?? '';
}

/** The name of one command and, for telling it from others that run the same program, a second part. */
export function nameParts(shell: string): { base: string; detail: string } {
  const commands = simpleCommands(shell);
  const chosen = commands.map(programOf).find((p) => p !== undefined);
  const first = commands[0]?.find((w) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(w));
  const base = namePart(basename(chosen?.program ?? first ?? ''), 60) || 'job';
  // The last operand, else the last option without its dashes (`--full`).
  const last =
    chosen?.args.filter((a) => !a.startsWith('-')).at(-1) ?? chosen?.args.at(-1)?.replace(/^-+/, '');
  const detail = last === undefined ? '' : namePart(basename(last), 40);
  return { base, detail: detail === base ? '' : detail };
}

/**
 * A unique job name for each command, in order (each matches the config's job
 * name rule by construction: namePart's characters, at most 128 of them): the program's base name; where
 * several commands share it, each adds its last argument's base name; what still
 * collides gets `-2`, `-3`, ... in line order.
 */
export function jobNames(shells: readonly string[]): string[] {
  const parts = shells.map(nameParts);
  const count = new Map<string, number>();
  for (const p of parts) count.set(p.base, (count.get(p.base) ?? 0) + 1);
  const wanted = parts.map((p) =>
    count.get(p.base)! > 1 && p.detail !== '' ? `${p.base}-${p.detail}` : p.base,
  );
  const taken = new Set<string>();
  return wanted.map((name) => {
    let unique = name;
    for (let n = 2; taken.has(unique); n++) unique = `${name.slice(0, 120)}-${n}`;
    taken.add(unique);
    return unique;
  });
}
