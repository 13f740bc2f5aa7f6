// Every example in README.md and docs/*.md is run. Per file, in the order a
// reader meets them, in a directory of its own whose config/cronkeeper.yaml
// is the README's example config (so `cronkeeper status` there works as in
// the README) and whose store is a throwaway embedded one:
//   - a YAML block is a config: loaded and validated (a `<!-- snippet -->`
//     before it: only parsed; `<!-- invalid -->`: must be refused);
//   - a JSON block must parse;
//   - a `cronkeeper ...` command line in a sh or console block is parsed (the
//     command and each option exist, and the command takes the option) and,
//     unless its block is marked `<!-- no-run -->` or the line needs a shell
//     (pipes, redirections, variables, `&`) or a daemon (`run`), run in
//     process: its exit status is checked (0, or `<!-- exit: N -->`) and, in
//     a console block, its output compared with the one shown (`...` at the
//     end of a line: a prefix; a line `...`: any lines; `<!-- output:
//     sample -->`: not compared, and any status but a usage or config error);
//   - `<!-- file: NAME -->` writes the block to NAME first, for the commands
//     after it;
//   - a `cronkeeper ...` code span in the prose is parsed too.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { load as loadYaml } from 'js-yaml';
import { runWithContext } from '../../../src/commands/cli-io.js';
import { runCommandLine } from '../../../src/commands/command-line.js';
import { HELP } from '../../../src/commands/help.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { ConfigError } from '../../../src/config/types.js';
import { flag, readCliSource } from './cli-source.js';
import { codeSpans, docFiles, type Fence, fences, readDoc, withoutFences } from './markdown.js';

// The commands run here read the process's environment: nothing of the test run's may reach them.
for (const name of Object.keys(process.env)) {
  if (name.startsWith('CRONKEEPER_') || name === 'DATABASE_URL' || name === 'STATE_DIRECTORY') {
    delete process.env[name];
  }
}
// The importers write the host's zone into what they import; the examples show UTC.
process.env.TZ = 'UTC';

const cli = readCliSource();
const KNOWN_MARKERS = /^(snippet|invalid|no-run|output: sample|exit: \d+|file: \S+|layers)$/;

/** The README's example config: its first YAML block without markers. */
const exampleConfig = fences('README.md', readDoc('README.md')).find(
  (f) => f.lang === 'yaml' && f.markers.length === 0,
);

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

// ---- shell lines -------------------------------------------------------------------------

interface ShellLine {
  /** The words of each simple command of the line (split at |, &&, ;, &). */
  segments: string[][];
  /** Needs a shell to mean what it says: operators, redirections, variables, substitutions. */
  complex: boolean;
}

/** Splits a sh line into words as sh would (quotes, backslashes, comments), without expanding anything. */
function splitShell(line: string): ShellLine {
  const segments: string[][] = [[]];
  let word: string | undefined;
  let complex = false;
  const end = () => {
    if (word !== undefined) segments.at(-1)!.push(word);
    word = undefined;
  };
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'") {
      const close = line.indexOf("'", i + 1);
      word = (word ?? '') + line.slice(i + 1, close < 0 ? undefined : close);
      i = close < 0 ? line.length : close;
    } else if (c === '"') {
      let j = i + 1;
      let text = '';
      for (; j < line.length && line[j] !== '"'; j++) {
        if (line[j] === '\\' && j + 1 < line.length) text += line[++j];
        else {
          if (line[j] === '$' || line[j] === '`') complex = true;
          text += line[j];
        }
      }
      word = (word ?? '') + text;
      i = j;
    } else if (c === '\\') {
      word = (word ?? '') + (line[++i] ?? '');
    } else if (/\s/.test(c)) {
      end();
    } else if (c === '#' && word === undefined) {
      break;
    } else if ('|&;'.includes(c)) {
      end();
      complex = true;
      if (line[i + 1] === c) i++;
      segments.push([]);
    } else if ('<>()$`'.includes(c)) {
      complex = true;
      word = (word ?? '') + c;
    } else {
      word = (word ?? '') + c;
    }
  }
  end();
  return { segments: segments.filter((s) => s.length > 0), complex };
}

/** The argv after `cronkeeper` in a simple command, past `NAME=value` words and `sudo`; plain: nothing before it. */
function cronkeeperArgv(words: string[]): { argv: string[]; plain: boolean } | undefined {
  let i = 0;
  while (i < words.length && (/^[A-Za-z_][A-Za-z0-9_]*=/.test(words[i]!) || words[i] === 'sudo')) i++;
  if (words[i] !== 'cronkeeper') return undefined;
  return { argv: words.slice(i + 1), plain: i === 0 };
}

/** Why `argv` is not a command line cronkeeper accepts, or undefined. */
function parseProblem(argv: string[]): string | undefined {
  const options = Object.fromEntries(
    [...cli.options.values()].map((o) => [o.name, { type: o.type, ...(o.short ? { short: o.short } : {}) }]),
  ) as NonNullable<ParseArgsConfig['options']>;
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: true, tokens: true });
  } catch (e) {
    return (e as Error).message;
  }
  const command = parsed.positionals[0];
  if (command === undefined) {
    return parsed.values.help || parsed.values.version ? undefined : 'no command';
  }
  if (!(command in HELP) && command !== 'help') return `unknown command '${command}'`;
  const takes = new Set([...cli.common, ...(cli.optionsOf.get(command) ?? [])]);
  for (const t of parsed.tokens ?? []) {
    if (t.kind === 'option' && !takes.has(t.name)) return `${command} does not take ${flag(t.name)}`;
  }
  return undefined;
}

// ---- output ----------------------------------------------------------------------------------

const norm = (line: string) => line.replace(/\s+/g, ' ').trim();

/** Whether `actual` is what `expected` shows: `...` lines match any lines, a line ending in `...` a prefix. */
function outputMatches(expected: string[], actual: string[]): boolean {
  const e = expected.map(norm);
  const a = actual.map(norm);
  const memo = new Map<string, boolean>();
  const match = (i: number, j: number): boolean => {
    const key = `${i},${j}`;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let result: boolean;
    if (i === e.length) result = j === a.length;
    else if (e[i] === '...') result = match(i + 1, j) || (j < a.length && match(i, j + 1));
    else if (j === a.length) result = false;
    else {
      const line = e[i]!;
      const same = line.endsWith('...') ? a[j]!.startsWith(line.slice(0, -3).trimEnd()) : a[j] === line;
      result = same && match(i + 1, j + 1);
    }
    memo.set(key, result);
    return result;
  };
  return match(0, 0);
}

function trimBlankEnd(lines: string[]): string[] {
  const out = [...lines];
  while (out.length > 0 && out.at(-1)!.trim() === '') out.pop();
  return out;
}

// ---- one document ------------------------------------------------------------------------------

interface Command {
  line: number;
  text: string;
  argv: string[];
  runnable: boolean;
  /** The output shown after it (console blocks). */
  shown?: string[];
}

function commandsOf(fence: Fence): Command[] {
  const lines = fence.body.split('\n');
  const found: Command[] = [];
  const console = fence.lang === 'console';
  for (let i = 0; i < lines.length; i++) {
    let text = lines[i]!;
    const at = fence.line + 1 + i;
    if (console) {
      if (!text.startsWith('$ ')) continue;
      text = text.slice(2);
    }
    while (text.endsWith('\\') && i + 1 < lines.length) text = text.slice(0, -1) + lines[++i]!;
    let shown: string[] | undefined;
    if (console) {
      shown = [];
      while (i + 1 < lines.length && !lines[i + 1]!.startsWith('$ ')) shown.push(lines[++i]!);
      shown = trimBlankEnd(shown);
    }
    const { segments, complex } = splitShell(text);
    for (const words of segments) {
      const ck = cronkeeperArgv(words);
      if (!ck) continue;
      const runnable = !complex && ck.plain && segments.length === 1 && ck.argv[0] !== 'run';
      found.push({ line: at, text, argv: ck.argv, runnable, ...(shown ? { shown } : {}) });
    }
  }
  return found;
}

async function runCommand(argv: string[], dir: string): Promise<{ code: number; output: string[] }> {
  let said = '';
  const code = await runWithContext(
    { out: (s) => (said += s), err: (s) => (said += s), signal: new AbortController().signal },
    () => runCommandLine(argv),
  );
  const shown = said.replaceAll(`${dir}/`, '').replaceAll(dir, '.');
  return { code, output: trimBlankEnd(shown.replace(/\n$/, '').split('\n')) };
}

for (const file of docFiles()) {
  describe(file, () => {
    const text = readDoc(file);
    const blocks = fences(file, text);

    it('marks its examples only with known markers', () => {
      for (const b of blocks) {
        for (const m of b.markers) assert.match(m, KNOWN_MARKERS, `${file}:${b.line}: unknown marker '${m}'`);
      }
    });

    it('runs every example', async () => {
      assert.ok(exampleConfig, 'README.md has no example config (a YAML block without markers)');
      const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'cronkeeper-docs-examples-')));
      dirs.push(dir);
      fs.mkdirSync(path.join(dir, 'config'));
      fs.writeFileSync(path.join(dir, 'config', 'cronkeeper.yaml'), exampleConfig.body);
      const cwd = process.cwd();
      process.chdir(dir);
      try {
        for (const b of blocks) {
          const where = `${file}:${b.line}`;
          const marker = (name: string) => b.markers.find((m) => m === name || m.startsWith(`${name}:`));
          const target = marker('file')?.slice('file:'.length).trim();
          if (target) {
            fs.mkdirSync(path.dirname(path.join(dir, target)), { recursive: true });
            fs.writeFileSync(path.join(dir, target), b.body.endsWith('\n') ? b.body : `${b.body}\n`);
          }
          if (b.lang === 'yaml') {
            const parsed = loadYaml(b.body);
            if (marker('snippet')) continue;
            assert.ok(parsed && typeof parsed === 'object', `${where}: not a YAML map`);
            const configFile = path.join(dir, target ?? `example-${b.line}.yaml`);
            if (!target) fs.writeFileSync(configFile, b.body);
            const loading = loadConfig(configFile, { insecure: true, env: {}, nowMs: Date.UTC(2027, 0, 1) });
            if (marker('invalid'))
              await assert.rejects(loading, ConfigError, `${where}: meant to be refused`);
            else {
              await loading.catch((e: unknown) => {
                const problems = e instanceof ConfigError ? e.problems.map((p) => p.message).join('; ') : e;
                assert.fail(`${where}: the config is refused: ${String(problems)}`);
              });
            }
          } else if (b.lang === 'json') {
            assert.doesNotThrow(() => JSON.parse(b.body), `${where}: not JSON`);
          } else if (['sh', 'console', 'shell', 'bash'].includes(b.lang)) {
            for (const c of commandsOf(b)) {
              const at = `${file}:${c.line}: cronkeeper ${c.argv.join(' ')}`;
              const problem = parseProblem(c.argv);
              assert.equal(problem, undefined, `${at}: ${problem}`);
              if (marker('no-run') || !c.runnable) continue;
              const { code, output } = await runCommand(c.argv, dir);
              const exit = marker('exit');
              const sample = marker('output');
              if (exit)
                assert.equal(code, Number(exit.slice('exit:'.length)), `${at}: exit\n${output.join('\n')}`);
              else if (sample)
                assert.ok(code !== 64 && code !== 78, `${at}: exit ${code}\n${output.join('\n')}`);
              else assert.equal(code, 0, `${at}: exit\n${output.join('\n')}`);
              if (c.shown && !sample) {
                assert.ok(
                  outputMatches(c.shown, output),
                  `${at}: the output differs from the one shown\n--- shown\n${c.shown.join('\n')}\n--- actual\n${output.join('\n')}`,
                );
              }
            }
          }
        }
      } finally {
        process.chdir(cwd);
      }
    });

    it('names cronkeeper command lines in its prose that parse', () => {
      for (const span of codeSpans(withoutFences(text))) {
        if (!span.startsWith('cronkeeper ') || /[<[|…]|\.\.\./.test(span)) continue;
        const words = splitShell(span).segments[0] ?? [];
        const argv = words.slice(1);
        // A placeholder for the command (`cronkeeper COMMAND --help`).
        if (argv[0] !== undefined && /^[A-Z]+$/.test(argv[0])) continue;
        const problem = parseProblem(argv);
        assert.equal(problem, undefined, `${file}: \`${span}\`: ${problem}`);
      }
    });
  });
}
