// A service unit as the command, directory, environment and run policies of
// a job (systemd.service(5), systemd.exec(5), systemd.kill(5), 252), with a
// note for each of its directives. Pure.
import { shellWord } from '../text/shell-words.js';
import type { YamlPolicy } from './config-yaml.js';
import type { SourceNote } from './import-notes.js';
import { UNKNOWN_DIRECTIVE, directiveFate } from './systemd-directives.js';
import {
  type ExecCommand,
  type Specifiers,
  expandSpecifiers,
  parseExecLine,
  startCommand,
  substituteVariables,
} from './systemd-exec.js';
import {
  type Directive,
  configDuration,
  parseBoolean,
  parseTimeSpan,
  splitWords,
} from './systemd-unit-file.js';

/** What a service gives its job; `refused` says why no job can run it, `errors` counts what systemd itself refuses. */
export interface ServiceParts {
  command: string[];
  cwd: string | undefined;
  env: Array<[string, string]>;
  policies: YamlPolicy[];
  notes: SourceNote[];
  refused: string | undefined;
  /** The notes that say why no job can run it. */
  reasons: SourceNote[];
  errors: number;
}

/** Variables systemd sets for a service itself: not known when the unit is imported. */
const MANAGER_VARIABLES =
  /^(?:PATH|LANG|LANGUAGE|LC_[A-Z]+|USER|LOGNAME|HOME|SHELL|INVOCATION_ID|JOURNAL_STREAM|SYSTEMD_EXEC_PID|MAINPID|MANAGERPID|NOTIFY_SOCKET|WATCHDOG_[A-Z]+|LISTEN_[A-Z]+|TERM|[A-Z]+_DIRECTORY|TRIGGER_[A-Z_]+|MONITOR_[A-Z_]+|SERVICE_RESULT|EXIT_CODE|EXIT_STATUS|PIDFILE|REMOTE_[A-Z]+)$/;
const START_TYPES = new Set(['simple', 'exec', 'oneshot', 'idle']);
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const AFTER_RUN =
  "cronkeeper runs nothing after a run: add it to the command (sh -c 'COMMAND; CLEANUP') if it must run";
/** List settings noted line by line, none of them carried over. */
const EACH_LINE = new Map([
  [
    'ExecCondition',
    'not checked: the command runs whatever the condition says (test it in the command if it matters)',
  ],
  ['ExecStop', AFTER_RUN],
  ['ExecStopPost', AFTER_RUN],
  ['ExecReload', 'a run is never reloaded: nothing to carry over'],
  [
    'UnsetEnvironment',
    "not carried over: a job gets the daemon's environment (but its secrets) and its env:",
  ],
]);

/** The job parts of the service `file` (its directives), as `specifiers` expand them. */
export function serviceParts(
  file: string,
  directives: readonly Directive[],
  specifiers: Specifiers,
): ServiceParts {
  const parts: ServiceParts = {
    command: [],
    cwd: undefined,
    env: [],
    policies: [],
    notes: [],
    refused: undefined,
    reasons: [],
    errors: 0,
  };
  const note = (d: Directive, outcome: SourceNote['outcome'], message?: string): SourceNote => {
    const n: SourceNote = { file, line: d.line, source: d.source, outcome, ...(message ? { message } : {}) };
    parts.notes.push(n);
    if (outcome === 'error') parts.errors++;
    return n;
  };
  // The last of each single-valued setting wins; lists grow, and an empty value resets them.
  const last = new Map<string, Directive>();
  const lists = new Map<string, Directive[]>();
  const LISTS = /^(?:ExecStartPre|ExecStart|ExecStartPost|Environment|EnvironmentFile)$/;
  for (const d of directives) {
    if (d.section === 'Service' && LISTS.test(d.key)) {
      const list = lists.get(d.key) ?? [];
      if (d.value === '') {
        for (const earlier of list)
          note(earlier, 'skipped', `reset by the empty ${d.key}= on line ${d.line}`);
        note(d, 'skipped');
        lists.set(d.key, []);
      } else lists.set(d.key, [...list, d]);
      continue;
    }
    if (d.section === 'Service' && EACH_LINE.has(d.key)) {
      note(d, 'unsupported', EACH_LINE.get(d.key));
      continue;
    }
    const fate = directiveFate(d.section, d.key, d.value);
    if (fate) {
      note(d, fate.outcome, fate.message);
      continue;
    }
    if (d.section !== 'Service') {
      note(d, UNKNOWN_DIRECTIVE.outcome, UNKNOWN_DIRECTIVE.message);
      continue;
    }
    const before = last.get(d.key);
    if (before) note(before, 'skipped', `overridden by ${d.key}= on line ${d.line}`);
    last.set(d.key, d);
  }

  const type = last.get('Type')?.value ?? 'simple';
  const oneshot = type === 'oneshot';
  const envFiles = lists.get('EnvironmentFile') ?? [];
  const env = new Map<string, string>();
  for (const d of lists.get('Environment') ?? []) readEnvironment(d, specifiers, env, note);
  const envFileNotes = envFiles.map((d) =>
    note(
      d,
      'unsupported',
      'not read: systemd reads the file at each start; copy its variables into env: (or source it in a sh -c command)',
    ),
  );
  parts.env = [...env];
  const lookup = (name: string) => {
    if (envFiles.length > 0)
      return { unknown: `$${name} may come from EnvironmentFile=, which is not read here` };
    const value = env.get(name);
    if (value !== undefined) return { value };
    if (MANAGER_VARIABLES.test(name))
      return { unknown: `$${name} is set by systemd when the service starts` };
    return { value: '' };
  };

  for (const [key, d] of last) {
    switch (key) {
      case 'Type':
        if (START_TYPES.has(d.value)) note(d, 'converted');
        else if (d.value === 'forking') {
          parts.refused =
            'Type=forking: the service goes on in the background after its command exits, where a run ends';
          parts.reasons.push(note(d, 'unsupported', parts.refused));
        } else {
          note(
            d,
            'approximated',
            `Type=${d.value}: no readiness protocol here: a run lasts until its process exits`,
          );
        }
        break;
      case 'User':
      case 'Group': {
        const who = expandSpecifiers(d.value, specifiers);
        const name = 'text' in who ? who.text : d.value;
        const hint =
          key === 'User' ? ` (to keep it, start the command with runuser -u ${shellWord(name)} --)` : '';
        note(
          d,
          'approximated',
          `systemd ran it as ${key.toLowerCase()} '${name}'; cronkeeper runs it as the daemon's${hint}`,
        );
        break;
      }
      case 'WorkingDirectory': {
        const dir = expandSpecifiers(d.value.replace(/^-/, ''), specifiers);
        if ('unknown' in dir || !dir.text.startsWith('/')) {
          note(
            d,
            'unsupported',
            `not carried over: ${'unknown' in dir ? `${dir.unknown} depends on the host` : 'only an absolute path is (~ is the home of User=)'}`,
          );
        } else {
          parts.cwd = dir.text;
          note(
            d,
            d.value.startsWith('-') ? 'approximated' : 'converted',
            d.value.startsWith('-')
              ? "a missing directory was no error under systemd ('-'); it is one here"
              : undefined,
          );
        }
        break;
      }
      case 'TimeoutStartSec':
      case 'TimeoutSec':
      case 'RuntimeMaxSec':
      case 'TimeoutStopSec':
        timeouts(key, d, oneshot, last, parts, note);
        break;
      case 'KillMode':
        if (d.value === 'control-group') note(d, 'converted');
        else
          note(
            d,
            'approximated',
            `KillMode=${d.value}: cronkeeper stops a run by signalling its whole process group`,
          );
        break;
      case 'KillSignal':
        if (/^(?:SIG)?TERM$/.test(d.value)) note(d, 'converted');
        else note(d, 'unsupported', `cronkeeper stops a run with SIGTERM, not ${d.value}`);
        break;
      case 'RemainAfterExit':
        if (parseBoolean(d.value) === true) {
          note(
            d,
            'approximated',
            'under systemd the service stayed active after its first run, so the timer started it only once (until stopped); cronkeeper runs it at every slot',
          );
        } else note(d, 'skipped');
        break;
      case 'Restart':
        if (d.value === 'no') note(d, 'skipped');
        else
          note(
            d,
            'unsupported',
            'not carried over: to retry a failed run, give the job retries: { max: N, backoff: D }',
          );
        break;
      case 'PassEnvironment':
        note(
          d,
          'approximated',
          "a job gets the daemon's whole environment (but its secrets) plus env:, not only these variables",
        );
        break;
      default:
        note(d, UNKNOWN_DIRECTIVE.outcome, UNKNOWN_DIRECTIVE.message);
    }
  }
  buildCommand(lists, oneshot, specifiers, lookup, parts, note);
  // A command refused for a variable of the files: the files are part of why.
  if (parts.refused?.includes('EnvironmentFile=')) parts.reasons.push(...envFileNotes);
  return parts;
}

/** Environment= words (`NAME=value`) into `env`, a later one replacing an earlier. */
function readEnvironment(
  d: Directive,
  specifiers: Specifiers,
  env: Map<string, string>,
  note: (d: Directive, o: SourceNote['outcome'], m?: string) => SourceNote,
): void {
  const words = splitWords(d.value);
  if (typeof words === 'string') {
    note(d, 'error', words);
    return;
  }
  for (const word of words) {
    const expanded = expandSpecifiers(word, specifiers);
    if ('unknown' in expanded) {
      note(d, 'unsupported', `${expanded.unknown} depends on the host: not carried over`);
      return;
    }
    const eq = expanded.text.indexOf('=');
    if (eq <= 0 || !ENV_NAME.test(expanded.text.slice(0, eq))) {
      note(d, 'error', `'${word}' is no NAME=value assignment`);
      return;
    }
    const name = expanded.text.slice(0, eq);
    if (name.startsWith('CRONKEEPER_')) {
      note(d, 'unsupported', `${name} is set by cronkeeper itself for every run: not carried over`);
      return;
    }
    env.delete(name);
    env.set(name, expanded.text.slice(eq + 1));
  }
  note(d, 'converted');
}

/** The time limits: a oneshot's start limit (or another type's RuntimeMaxSec) is the timeout, the stop limit killGrace. */
function timeouts(
  key: string,
  d: Directive,
  oneshot: boolean,
  last: ReadonlyMap<string, Directive>,
  parts: ServiceParts,
  note: (d: Directive, o: SourceNote['outcome'], m?: string) => SourceNote,
): void {
  const ms = parseTimeSpan(d.value);
  if (ms === undefined) {
    note(d, 'error', `'${d.value}' is no time span`);
    return;
  }
  const runLimit = oneshot
    ? key === 'TimeoutStartSec' || (key === 'TimeoutSec' && !last.has('TimeoutStartSec'))
    : key === 'RuntimeMaxSec';
  const stopLimit = key === 'TimeoutStopSec' || (key === 'TimeoutSec' && !last.has('TimeoutStopSec'));
  const messages: string[] = [];
  // 0 and infinity switch a limit off; cronkeeper has no run without a timeout.
  const off = ms === 0 || ms === Infinity;
  const written = off ? undefined : configDuration(Math.ceil(ms));
  if (runLimit) {
    if (written) parts.policies.push({ key: 'timeout', value: written });
    else messages.push('no time limit under systemd; cronkeeper stops a run after timeout (under defaults)');
  } else if (key !== 'TimeoutSec' && key !== 'TimeoutStopSec') {
    note(
      d,
      'skipped',
      oneshot
        ? 'no effect on a Type=oneshot service'
        : 'limits only the start of a service that is not oneshot',
    );
    return;
  }
  if (stopLimit) {
    if (written) parts.policies.push({ key: 'killGrace', value: written });
    else messages.push('systemd never sent SIGKILL; cronkeeper does after killGrace (under defaults)');
  }
  note(
    d,
    messages.length > 0 ? 'approximated' : 'converted',
    messages.length > 0 ? messages.join('; ') : undefined,
  );
}

/** ExecStartPre=, ExecStart=, ExecStartPost= as one command, or the reason there is none. */
function buildCommand(
  lists: ReadonlyMap<string, Directive[]>,
  oneshot: boolean,
  specifiers: Specifiers,
  lookup: (name: string) => { value: string } | { unknown: string },
  parts: ServiceParts,
  note: (d: Directive, o: SourceNote['outcome'], m?: string) => SourceNote,
): void {
  const starts = lists.get('ExecStart') ?? [];
  const all = ['ExecStartPre', 'ExecStart', 'ExecStartPost'].flatMap((k) => lists.get(k) ?? []);
  const commands: Array<{ argv: string[]; ignoreFailure: boolean }> = [];
  for (const d of all) {
    const parsed = parseExecLine(d.value, specifiers);
    if (typeof parsed === 'string') {
      parts.reasons.push(note(d, parsed.includes('depends on the host') ? 'unsupported' : 'error', parsed));
      if (parsed.includes('depends on the host')) parts.refused ??= `${d.key}=: ${parsed}`;
      continue;
    }
    const messages: string[] = [];
    let refused: string | undefined;
    for (const c of parsed as ExecCommand[]) {
      if (c.argv0) refused ??= "'@' gives the program another argv[0], which a cronkeeper command cannot";
      const argv = substituteVariables(c, lookup);
      if (typeof argv === 'string') refused ??= argv;
      else commands.push({ argv, ignoreFailure: c.ignoreFailure });
      if (c.privileged)
        messages.push(
          `'${c.privileged}': systemd ran it with full privileges; cronkeeper runs it as the daemon's user`,
        );
    }
    if (d.key === 'ExecStartPost' && !oneshot)
      messages.push('it ran once the service had started; here, after the command ends');
    if (refused) {
      parts.refused ??= `${d.key}=: ${refused}`;
      parts.reasons.push(note(d, 'unsupported', refused));
    } else
      note(
        d,
        messages.length > 0 ? 'approximated' : 'converted',
        messages.length > 0 ? messages.join('; ') : undefined,
      );
  }
  if (starts.length === 0 && parts.errors === 0) {
    parts.refused ??= 'the service has no ExecStart=: nothing to run';
  } else if (!oneshot && starts.length > 1) {
    for (const d of starts.slice(1))
      note(d, 'error', 'more than one ExecStart= needs Type=oneshot (systemd refuses the service)');
  }
  if (parts.refused === undefined && parts.errors === 0) parts.command = startCommand(commands);
}
