// `cronkeeper import crontab`: a crontab (user or system format) as a
// cronkeeper config, and what became of each of its lines. cron's meaning is
// kept where cronkeeper can say it (the shell, `%` as standard input, the
// environment, CRON_TZ, no catch-up, overlapping runs, cron's AND of the day
// fields) and reported where it cannot (@reboot, mail, a user per line). Pure:
// no I/O, no clock; the host's time zone is given.
import { isValidTimeZone } from '../schedule/cron-calculator.js';
import { checkCronPattern } from '../schedule/pattern-check.js';
import { shellQuote, shellWord } from '../text/shell-words.js';
import { type YamlConfig, type YamlItem, type YamlJob, writeConfigYaml, yamlQuoted } from './config-yaml.js';
import {
  type JobLine,
  classifyLines,
  isSystemFormat,
  schedulePattern,
  splitLines,
  splitPercent,
} from './crontab-lines.js';
import { jobNames } from './job-names.js';

export type ImportOutcome = 'job' | 'env' | 'skipped' | 'comment' | 'unsupported' | 'error';

/** What became of one line of the crontab (`line` is 1-based; `source` the line as written). */
export interface ImportNote {
  line: number;
  source: string;
  outcome: ImportOutcome;
  job?: string;
  message?: string;
}

export interface ImportOptions {
  /** IANA zone of the host's local time, which cron follows (default UTC). */
  localZone?: string;
}

/**
 * A pattern must have an occurrence after this instant (2000-01-01, UTC): five
 * cron fields repeat with the 400-year Gregorian cycle, so any date serves, and
 * no clock is read here.
 */
const CHECK_FROM_MS = Date.UTC(2000, 0, 1);
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MAIL_SETTINGS = new Set(['MAILTO', 'MAILFROM', 'CONTENT_TYPE', 'CONTENT_TRANSFER_ENCODING']);
/** Shells that read `printf ... | { ...; }` as sh does. */
const BOURNE_SHELL = /(?:^|\/)(?:sh|bash|dash|ash|ksh|ksh93|mksh|pdksh|lksh|zsh|yash|posh|busybox)$/;

/** What the environment lines above a job line have set, as cron applies them to the lines after. */
interface CronSettings {
  shell: string;
  zone: string;
  env: Map<string, string>;
  cwd: string | undefined;
  jitter: string | undefined;
  mailto: string[];
}

/**
 * The config for `text`, a crontab read from `source` (its absolute path, or `-`:
 * /etc/crontab and /etc/cron.d/* are read in the system format, another file when
 * its lines look it), and a note for every line. `errors` counts the lines that
 * are no crontab line or no usable schedule; with any, the config is not for use.
 */
export function importCrontab(
  text: string,
  source: string,
  options: ImportOptions = {},
): { yaml: string; report: ImportNote[]; errors: number } {
  const localZone = options.localZone ?? 'UTC';
  const lines = splitLines(text);
  const system = isSystemFormat(lines, source);
  const settings: CronSettings = {
    shell: '/bin/sh',
    zone: localZone,
    env: new Map(),
    cwd: undefined,
    jitter: undefined,
    mailto: [],
  };
  const report: ImportNote[] = [];
  const items: YamlItem[] = [];
  const jobs: Array<{ note: ImportNote; job: YamlJob; shell: string }> = [];
  // The comment lines since the last other line: a job line right below takes them.
  let comments: string[] = [];
  const leave = (more: string[] = []) => {
    if (comments.length + more.length > 0) items.push({ kind: 'comments', lines: [...comments, ...more] });
    comments = [];
  };
  for (const l of classifyLines(lines, system)) {
    const note: ImportNote = { line: l.line, source: l.text, outcome: 'skipped' };
    report.push(note);
    if (l.kind === 'comment') {
      note.outcome = 'comment';
      comments.push(l.text.trimStart());
      continue;
    }
    let imported: { job: YamlJob; shell: string } | undefined;
    if (l.kind === 'job') imported = importJob(l.job, l.line, l.text, settings, note);
    else if (l.kind === 'env') applyEnv(l.name, l.value, settings, localZone, note);
    else if (l.kind === 'error') {
      note.outcome = 'error';
      note.message = l.message;
    }
    if (imported) {
      imported.job.comments.unshift(...comments);
      comments = [];
      items.push({ kind: 'job', job: imported.job });
      jobs.push({ note, ...imported });
    } else if (note.message !== undefined) {
      const what = note.outcome === 'env' ? '' : ' not imported';
      leave([`crontab line ${l.line}${what}: ${l.text}`, note.message]);
    } else leave();
  }
  leave();
  const names = jobNames(jobs.map((j) => j.shell));
  jobs.forEach((j, i) => {
    j.job.name = names[i]!;
    j.note.job = names[i]!;
  });
  const config: YamlConfig = {
    header: header(source, system, localZone),
    defaults: defaults(settings.mailto),
    items,
  };
  return {
    yaml: writeConfigYaml(config),
    // Each note's fields in the order the report documents them.
    report: report.map(({ line, source, outcome, job, message }) => ({
      line,
      source,
      outcome,
      ...(job !== undefined ? { job } : {}),
      ...(message !== undefined ? { message } : {}),
    })),
    errors: report.filter((n) => n.outcome === 'error').length,
  };
}

/** A job line as a job (its name is given later), or undefined with the note saying why not. */
function importJob(
  job: JobLine,
  line: number,
  text: string,
  settings: CronSettings,
  note: ImportNote,
): { job: YamlJob; shell: string } | undefined {
  if (job.pattern === undefined) {
    note.outcome = 'unsupported';
    note.message =
      '@reboot: cronkeeper has no boot-time jobs; start it from a systemd unit (or your init system) instead';
    return undefined;
  }
  const schedule = schedulePattern(job.pattern);
  const problem = checkCronPattern(schedule.pattern, settings.zone, CHECK_FROM_MS);
  const { command, stdin } = splitPercent(job.command);
  if (problem !== undefined || command.trim() === '') {
    note.outcome = 'error';
    note.message = problem ?? 'no command before the first %';
    return undefined;
  }
  const messages: string[] = [];
  let shellLine = command;
  if (stdin !== undefined) {
    // A group, so that every command of the line reads the text, as under cron.
    shellLine = `printf '%s' ${shellQuote(stdin)} | {\n${command}\n}`;
    messages.push(
      "the text after % is the command's standard input (each further % a line break): " +
        "printf '%s' TEXT | { COMMAND } feeds it",
    );
    if (!BOURNE_SHELL.test(settings.shell))
      messages.push(`that is sh syntax: check that ${settings.shell} reads it`);
  }
  if (job.user !== undefined) {
    messages.push(
      `cron ran it as user '${job.user}'; cronkeeper has no per-job user and runs it as the daemon's user ` +
        `(to run it as ${job.user}, start the command with runuser -u ${shellWord(job.user)} --)`,
    );
  }
  if (job.noLog)
    messages.push("cronie's leading '-' (no syslog line for the run) has no counterpart: ignored");
  note.outcome = 'job';
  if (messages.length > 0) note.message = messages.join('; ');
  return {
    shell: command,
    job: {
      name: '',
      comments: [`crontab line ${line}: ${text}`, ...messages.map((m) => `note: ${m}`)],
      schedule: schedule.pattern,
      timezone: settings.zone,
      ...(settings.jitter !== undefined ? { jitter: settings.jitter } : {}),
      command: [settings.shell, '-c', shellLine],
      ...(settings.cwd !== undefined ? { cwd: settings.cwd } : {}),
      env: [...settings.env],
    },
  };
}

/** An environment line applied to the settings of the lines below it. */
function applyEnv(
  name: string,
  value: string,
  settings: CronSettings,
  localZone: string,
  note: ImportNote,
): void {
  note.outcome = 'env';
  if (MAIL_SETTINGS.has(name)) {
    if (name === 'MAILTO' && value === '') {
      note.outcome = 'skipped';
      note.message = 'MAILTO is empty: cron mailed nothing, and cronkeeper sends no mail either';
      return;
    }
    note.outcome = 'unsupported';
    note.message =
      `${name}: cronkeeper sends no mail; a run's output is in 'cronkeeper logs JOB' and the daemon's log, ` +
      'and an onFailure hook can alert (see the example under defaults)';
    if (name === 'MAILTO') settings.mailto.push(value);
    return;
  }
  if (name === 'CRON_TZ' || name === 'TZ') {
    const zone = value === '' ? localZone : value;
    if (isValidTimeZone(zone)) settings.zone = zone;
    else if (name === 'CRON_TZ') {
      note.outcome = 'error';
      note.message = `CRON_TZ: unknown time zone '${value}'`;
      return;
    }
    if (name === 'CRON_TZ') return;
    note.message = isValidTimeZone(zone)
      ? `TZ: the schedules below follow ${zone}, and the jobs get TZ in their env ` +
        "(Vixie and Debian cron schedule by the host's zone whatever TZ says: if yours did, remove their timezone:)"
      : `TZ: '${value}' is no time zone cronkeeper knows: the schedules below stay in ${settings.zone}; the jobs get TZ in their env`;
  }
  if (name === 'RANDOM_DELAY') {
    if (!/^\d+$/.test(value)) {
      note.outcome = 'unsupported';
      note.message = `RANDOM_DELAY: '${value}' is not a number of minutes: not carried over`;
      return;
    }
    settings.jitter = Number(value) === 0 ? undefined : `${Number(value)}m`;
    note.message =
      `RANDOM_DELAY: the jobs below get jitter: ${value}m, a delay in [0, ${value}m) fixed for each slot ` +
      '(cronie draws one delay when it starts)';
    return;
  }
  if (!ENV_NAME.test(name) || name.startsWith('CRONKEEPER_')) {
    note.outcome = 'unsupported';
    note.message = name.startsWith('CRONKEEPER_')
      ? `${name} is set by cronkeeper itself for every run: not carried over`
      : `'${name}' is no name a job's env takes (letters, digits and _, not starting with a digit): not carried over`;
    return;
  }
  if (name === 'SHELL') {
    // The shell each command runs in (cron's SHELL variable itself matters to hardly any command).
    settings.shell = value === '' ? '/bin/sh' : value;
    return;
  }
  // cron starts a command in $HOME.
  if (name === 'HOME') settings.cwd = value === '' ? undefined : value;
  settings.env.set(name, value);
}

function header(source: string, system: boolean, localZone: string): string[] {
  return [
    `cronkeeper config imported from ${source === '-' ? 'standard input' : source} by 'cronkeeper import crontab'.`,
    system
      ? 'Read as a system crontab: the word after the schedule is the user a line ran as.'
      : 'Read as a user crontab: five time fields, then the command.',
    'Each job has the crontab line it came from in a comment above it.',
    '',
    'What cron does differently, and what was chosen here:',
    `- Time zone: cron follows the host's local time. Each job names the zone it`,
    `  was imported in (${localZone}), or the one CRON_TZ (or TZ) set above its line.`,
    '- Directory and environment: cron starts a command in the home directory with',
    '  a small environment (PATH=/usr/bin:/bin unless the crontab sets it). A job',
    "  here starts in the daemon's directory (or its cwd:, from the crontab's HOME)",
    "  with the daemon's environment and its env:.",
    '- Commands: each runs as [SHELL, -c, LINE], as under cron (SHELL is /bin/sh',
    '  unless the crontab sets it); text after an unescaped % goes to its stdin.',
    '- Mail: cronkeeper sends none: see onFailure under defaults.',
  ];
}

function defaults(mailto: readonly string[]): YamlConfig['defaults'] {
  const address = mailto.find((m) => m !== '') ?? 'you@example.org';
  const alert = `printf '%s\\n' "$CRONKEEPER_OUTPUT_TAIL" | mail -s "cronkeeper: $CRONKEEPER_JOB failed" ${shellWord(address)}`;
  return [
    {
      comments: [
        'As cron: a run missed while the daemon was down is not made up. To make',
        'missed runs up after downtime, set latest (the newest one, once: the',
        'built-in default) or all, here or per job.',
      ],
      key: 'catchup',
      value: 'none',
    },
    {
      comments: ['As cron: a run starts even while the previous one still runs (or: skip, queue).'],
      key: 'overlap',
      value: 'allow',
    },
    {
      comments: ['cron never stops a job; cronkeeper stops a run after this long: raise it for a long job.'],
      key: 'timeout',
      value: '1h',
    },
    {
      comments: [
        `cron mails a job's output${mailto.length > 0 ? ` (MAILTO ${mailto.join(', ')})` : ''}; cronkeeper keeps it`,
        "('cronkeeper logs JOB', and the daemon's log) and can run a hook when a run fails, e.g.:",
        'onFailure:',
        `  command: ["/bin/sh", "-c", ${yamlQuoted(alert)}]`,
      ],
    },
  ];
}
