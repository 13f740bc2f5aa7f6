// The lines of a crontab as cron reads them (Vixie cron, as in Debian, and
// cronie): environment settings, comments, blank lines and job lines, in the
// user format (`m h dom mon dow command`) or the system format of /etc/crontab
// and /etc/cron.d (a user column before the command). Pure: text in, values out.

/** One classified line; `line` is 1-based, `text` the line as written (without its line break). */
export type CrontabLine =
  | { kind: 'blank'; line: number; text: string }
  | { kind: 'comment'; line: number; text: string }
  | { kind: 'env'; line: number; text: string; name: string; value: string }
  | { kind: 'job'; line: number; text: string; job: JobLine }
  | { kind: 'error'; line: number; text: string; message: string };

export interface JobLine {
  /** The five fields, aliases written out (`@daily` → `0 0 * * *`); undefined for `@reboot`. */
  pattern: string | undefined;
  /** The `@` word as written, if the line used one. */
  alias?: string;
  /** The user column of the system format. */
  user?: string;
  /** The command text as cron passes it on: everything after the schedule (and user). */
  command: string;
  /** cronie's leading `-` (do not syslog the run). */
  noLog: boolean;
}

/** The patterns of cron's `@` words; `@reboot` has none. */
const ALIASES: Record<string, string | undefined> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
  '@reboot': undefined,
};

/** The lines of a crontab: a BOM and CRs before line breaks dropped; no line after a final line break. */
export function splitLines(text: string): string[] {
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines.map((l) => l.replace(/\r$/, ''));
}

/**
 * `NAME=value` as cron reads it: spaces around `=` allowed, the name and the value
 * optionally quoted (matching quotes around the value are removed), trailing blanks
 * of an unquoted value dropped. Undefined when the line is no environment setting.
 */
export function parseEnvLine(text: string): { name: string; value: string } | undefined {
  const m = /^[ \t]*(?:"([^"]*)"|'([^']*)'|([^\s="']+))[ \t]*=[ \t]*(.*)$/.exec(text);
  if (!m) return undefined;
  const name = m[1] ?? m[2] ?? m[3] ?? '';
  if (name === '') return undefined;
  let value = m[4]!.replace(/[ \t]+$/, '');
  const q = value[0];
  if (value.length >= 2 && (q === '"' || q === "'") && value.endsWith(q)) value = value.slice(1, -1);
  return { name, value };
}

/** Every line classified; job lines read in the system format when `system`. */
export function classifyLines(lines: readonly string[], system: boolean): CrontabLine[] {
  return lines.map((text, i): CrontabLine => {
    const line = i + 1;
    if (text.trim() === '') return { kind: 'blank', line, text };
    if (text.trimStart().startsWith('#')) return { kind: 'comment', line, text };
    const env = parseEnvLine(text);
    if (env) return { kind: 'env', line, text, ...env };
    const job = parseJobLine(text, system);
    return typeof job === 'string'
      ? { kind: 'error', line, text, message: job }
      : { kind: 'job', line, text, job };
  });
}

/** The words of a job line, up to `count`, and the rest of the line after them (leading blanks skipped). */
function takeWords(text: string, count: number): { words: string[]; rest: string } {
  const words: string[] = [];
  let rest = text.replace(/^[ \t]+/, '');
  while (words.length < count && rest !== '') {
    const m = /^(\S+)[ \t]*/.exec(rest)!;
    words.push(m[1]!);
    rest = rest.slice(m[0].length);
  }
  return { words, rest };
}

/** A job line, or why it is none. */
export function parseJobLine(text: string, system: boolean): JobLine | string {
  let body = text.replace(/^[ \t]+/, '');
  const noLog = body.startsWith('-');
  if (noLog) body = body.slice(1);
  const alias = body.startsWith('@');
  const { words, rest } = takeWords(body, (alias ? 1 : 5) + (system ? 1 : 0));
  const fields = words.slice(0, alias ? 1 : 5);
  const user = system ? words[fields.length] : undefined;
  let pattern: string | undefined;
  if (alias) {
    const word = fields[0]!.toLowerCase();
    if (!(word in ALIASES)) {
      return `'${fields[0]}' is not a cron schedule (@reboot, @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly)`;
    }
    pattern = ALIASES[word];
  } else {
    if (words.length < 5 || !/^[\d*]/.test(fields[0]!)) {
      return 'neither an environment setting (NAME=value), a comment, nor a cron line (5 time fields and a command)';
    }
    const problem = checkCronFields(fields);
    if (problem) return problem;
    pattern = fields.join(' ');
  }
  if (system && user === undefined) return 'no user and no command after the schedule';
  if (rest === '') return 'no command after the schedule' + (system ? ' and the user' : '');
  return {
    pattern,
    ...(alias ? { alias: fields[0]! } : {}),
    ...(user !== undefined ? { user } : {}),
    command: rest,
    noLog,
  };
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const FIELDS = [
  { name: 'minute', min: 0, max: 59, names: [] as string[], first: 0 },
  { name: 'hour', min: 0, max: 23, names: [], first: 0 },
  { name: 'day of month', min: 1, max: 31, names: [], first: 0 },
  { name: 'month', min: 1, max: 12, names: MONTHS, first: 1 },
  { name: 'day of week', min: 0, max: 7, names: WEEKDAYS, first: 0 },
];

/**
 * Why five time fields are not what cron accepts, or undefined: each a list of `*`,
 * a number or a range `a-b` (names in the month and weekday fields), each with an
 * optional `/step` (a step needs `*` or a range before it, as in cron).
 */
export function checkCronFields(fields: readonly string[]): string | undefined {
  for (const [i, field] of fields.entries()) {
    const spec = FIELDS[i]!;
    for (const item of field.split(',')) {
      const m = /^(?:\*|([A-Za-z0-9]+)(?:-([A-Za-z0-9]+))?)(?:\/(\d+))?$/.exec(item);
      const bad = `${spec.name} '${field}'`;
      if (!m) return `${bad} is not a cron field: use numbers, ranges a-b, * and /step, separated by commas`;
      const [, from, to, step] = m;
      if (step !== undefined && from !== undefined && to === undefined) {
        return `${bad}: a step needs * or a range before it ('*/${step}' or '${from}-${spec.max}/${step}')`;
      }
      if (step !== undefined && Number(step) === 0) return `${bad}: a step of 0`;
      const values: number[] = [];
      for (const v of [from, to]) {
        if (v === undefined) continue;
        const n = /^\d+$/.test(v) ? Number(v) : spec.names.indexOf(v.toLowerCase()) + spec.first;
        if (!/^\d+$/.test(v) && n < spec.first) return `${bad}: '${v}' is neither a number nor a name`;
        if (n < spec.min || n > spec.max) {
          return `${spec.name} '${v}' is out of range ${spec.min}-${spec.max}${field === v ? '' : ` (in '${field}')`}`;
        }
        values.push(n);
      }
      if (values.length === 2 && values[0]! > values[1]!)
        return `${bad}: the range '${from}-${to}' goes backwards`;
    }
  }
  return undefined;
}

/**
 * cron's `%`: the first unescaped `%` ends the command and the text after it is
 * the command's standard input, each further unescaped `%` a line break; `\%` is a
 * `%` (the backslash dropped), other backslashes stay.
 */
export function splitPercent(command: string): { command: string; stdin: string | undefined } {
  let shell = '';
  let i = 0;
  for (; i < command.length; i++) {
    const ch = command[i]!;
    if (ch === '\\' && command[i + 1] === '%') {
      shell += '%';
      i++;
    } else if (ch === '\\' && i + 1 < command.length) {
      // Another escape stays as written, and the character after it cannot end the command.
      shell += ch + command[i + 1]!;
      i++;
    } else if (ch === '%') {
      break;
    } else {
      shell += ch;
    }
  }
  if (i >= command.length) return { command: shell, stdin: undefined };
  let stdin = '';
  for (i++; i < command.length; i++) {
    const ch = command[i]!;
    if (ch === '\\' && command[i + 1] === '%') {
      stdin += '%';
      i++;
    } else stdin += ch === '%' ? '\n' : ch;
  }
  return { command: shell, stdin: stdin === '' ? undefined : stdin };
}

/** A plausible user name (what useradd accepts, and Samba's trailing `$`). */
const USER_NAME = /^[a-z_][a-z0-9_.-]{0,31}\$?$/i;

/**
 * Whether a crontab is in the system format (a user column before the command):
 * /etc/crontab and the files of /etc/cron.d are; another file is when every job
 * line has a user name and a command after its schedule, and either some line
 * names `root` or a comment heads the columns with `user`.
 */
export function isSystemFormat(lines: readonly string[], source: string): boolean {
  if (source === '/etc/crontab' || source.startsWith('/etc/cron.d/')) return true;
  let jobs = 0;
  let root = false;
  let header = false;
  for (const text of lines) {
    const trimmed = text.trim();
    if (trimmed.startsWith('#')) {
      header ||= /\buser(?:-?name)?\s+command\b/i.test(trimmed);
      continue;
    }
    if (trimmed === '' || parseEnvLine(text)) continue;
    const body = trimmed.replace(/^-/, '');
    const { words, rest } = takeWords(body, body.startsWith('@') ? 2 : 6);
    const user = words.at(-1);
    if (user === undefined || rest === '' || !USER_NAME.test(user)) return false;
    jobs++;
    root ||= user === 'root';
  }
  return jobs > 0 && (root || header);
}

/**
 * The five fields as a cronkeeper schedule with cron's meaning. cron restricts
 * the days by both day fields when either starts with `*` (a step over all
 * days), by either otherwise; cronkeeper by either unless one of them is
 * exactly `*`, and by both when the day of week starts with croner's `+`,
 * which is how cron's AND is written. A field that is `*` with a step of 1 is
 * written `*`.
 */
export function schedulePattern(pattern: string): { pattern: string } {
  const fields = pattern.split(' ').map((f) => (f === '*/1' ? '*' : f));
  const [dom, dow] = [fields[2]!, fields[4]!];
  if (dom !== '*' && dow !== '*' && (dom.startsWith('*') || dow.startsWith('*'))) fields[4] = `+${dow}`;
  return { pattern: fields.join(' ') };
}
