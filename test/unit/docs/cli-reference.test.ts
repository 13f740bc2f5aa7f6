// docs/cli.md against the command line: every command of the help (HELP in
// src/commands/help.ts, and OPTIONS_OF in src/commands/command-line.ts) has
// its section, headed `cronkeeper COMMAND` in backticks; every subcommand its
// usage lines name is shown; every option the command takes is named in its
// section, and the section names no option it does not take (options every
// command takes aside, which the common options table lists). Options are
// read where a reader meets them: in prose and code spans, usage lines, and
// the command lines of examples (not in their output).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runWithContext } from '../../../src/commands/cli-io.js';
import { runCommandLine } from '../../../src/commands/command-line.js';
import { HELP } from '../../../src/commands/help.js';
import { flag, readCliSource } from './cli-source.js';
import { readDoc, section } from './markdown.js';

const DOC = 'docs/cli.md';
const text = readDoc(DOC);
const cli = readCliSource();
const commands = [...new Set([...Object.keys(HELP).filter((c) => c !== ''), ...cli.optionsOf.keys()])].sort();

/** Option names, by how they are written: `--name`, `-n` (a one-letter name, or a short form). */
const byFlag = new Map<string, string>();
for (const o of cli.options.values()) {
  byFlag.set(flag(o.name), o.name);
  if (o.short) byFlag.set(`-${o.short}`, o.name);
}

/** The lines of `part` a reader meets options in: prose, usage lines, example command lines. */
function readable(part: string): string {
  const out: string[] = [];
  let fence: string | undefined;
  for (const line of part.split('\n')) {
    const open = /^\s*(```+|~~~+)/.exec(line);
    if (open) {
      fence = fence === undefined ? open[1] : undefined;
      continue;
    }
    if (fence !== undefined) {
      // In an example, the command lines only (`$ cronkeeper ...`, or a bare `cronkeeper ...`).
      const m = /^\s*(?:\$\s+)?(cronkeeper\s.*)$/.exec(line);
      if (m) out.push(m[1]!);
      continue;
    }
    // A code span naming another program (`crontab -l`, `journalctl -u`) shows that program's options.
    out.push(line.replace(/`([^`]*)`/g, (span, inner: string) => (ours(inner) ? span : '``')));
  }
  return out.join('\n');
}

/** A code span that shows cronkeeper's options: an option itself, or a cronkeeper command line. */
function ours(span: string): boolean {
  const first = span.trim().split(/\s+/)[0] ?? '';
  return first.startsWith('-') || first === 'cronkeeper' || commands.includes(first);
}

/** The options `part` names, as option names (unknown flags as written, prefixed with '?'). */
function namedOptions(part: string): Set<string> {
  const found = new Set<string>();
  for (const m of readable(part).matchAll(/(?:^|[\s`([|,])(--?[a-z][a-z-]*)(?=[\s`)\].,;:=]|$)/gm)) {
    const name = byFlag.get(m[1]!);
    found.add(name ?? `?${m[1]}`);
  }
  return found;
}

/** The section of a command: a heading that is exactly `cronkeeper COMMAND` in backticks. */
function commandSection(command: string): string | undefined {
  return section(text, new RegExp(`^\`cronkeeper ${command}\`$`));
}

/** Subcommands in a command's usage lines: `cronkeeper runs show RUN_ID`, `cronkeeper snapshots [list]`. */
function subcommands(command: string): string[] {
  const found = new Set<string>();
  for (const m of (HELP[command] ?? '').matchAll(new RegExp(`cronkeeper ${command} \\[?([a-z]+)\\]?`, 'g'))) {
    found.add(m[1]!);
  }
  return [...found];
}

describe('docs/cli.md documents the command line', () => {
  it('reads a plausible command line', () => {
    assert.ok(commands.length >= 20, commands.join(' '));
    assert.ok(cli.common.includes('config') && cli.optionsOf.get('runs')?.includes('follow'));
  });

  it('has a section for every command', () => {
    const missing = commands.filter((c) => commandSection(c) === undefined);
    assert.deepEqual(missing, [], `commands without a section headed \`cronkeeper COMMAND\` in ${DOC}`);
  });

  it('heads no section with a command that does not exist', () => {
    const headed = [...text.matchAll(/^#+\s+`cronkeeper ([^`\s]+)[^`]*`\s*$/gm)].map((m) => m[1]!);
    const unknown = headed.filter((c) => !commands.includes(c));
    assert.deepEqual(unknown, []);
  });

  it('lists the options every command takes', () => {
    const common = section(text, /^Common options/);
    assert.ok(common, `${DOC}: no 'Common options' section`);
    const named = namedOptions(common);
    for (const o of cli.common) assert.ok(named.has(o), `the common options do not name ${flag(o)}`);
  });

  for (const command of commands) {
    it(`cronkeeper ${command}: its subcommands and options, and no other`, () => {
      const part = commandSection(command);
      assert.ok(part, `no section for ${command}`);
      for (const sub of subcommands(command)) {
        assert.match(
          part,
          new RegExp(`cronkeeper ${command} ${sub}\\b`),
          `${command}: subcommand '${sub}' not shown`,
        );
      }
      const named = namedOptions(part);
      const takes = new Set([...(cli.optionsOf.get(command) ?? []), ...cli.common]);
      for (const o of cli.optionsOf.get(command) ?? []) {
        assert.ok(named.has(o), `${command}: option ${flag(o)} is not documented in its section`);
      }
      const foreign = [...named].filter((o) => !takes.has(o));
      assert.deepEqual(
        foreign.map((o) => (o.startsWith('?') ? o.slice(1) : flag(o))),
        [],
        `${command}: its section names options it does not take`,
      );
    });
  }

  it('names no option that does not exist, anywhere', () => {
    const unknown = [...namedOptions(text)].filter((o) => o.startsWith('?'));
    assert.deepEqual(unknown, []);
  });
});

// The options each command takes are read from the source (cli-source.ts); the command line's own
// refusals confirm that reading: every option a command does not take is refused, as a usage error.
describe('the source reading agrees with the command line', () => {
  it('refuses, for every command, each option the reading says it does not take', async () => {
    // `help` prints the help whatever follows it: it refuses nothing.
    for (const command of commands.filter((c) => c !== 'help')) {
      const takes = new Set([...(cli.optionsOf.get(command) ?? []), ...cli.common]);
      for (const o of cli.options.values()) {
        if (takes.has(o.name)) continue;
        const argv = [command, flag(o.name), ...(o.type === 'string' ? ['x'] : [])];
        let said = '';
        const code = await runWithContext(
          { out: (s) => (said += s), err: (s) => (said += s), signal: new AbortController().signal },
          () => runCommandLine(argv),
        );
        assert.equal(code, 64, `cronkeeper ${argv.join(' ')}: ${said}`);
        assert.match(said, /does not take/, `cronkeeper ${argv.join(' ')}`);
      }
    }
  });
});
