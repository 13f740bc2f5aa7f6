// systemd unit files as systemd reads them (systemd.syntax(7), 252): sections,
// KEY=value directives, lines joined by a trailing backslash, comments, the
// quoting and C escapes of list settings, time spans and booleans. Pure.
import { splitLines } from './crontab-lines.js';

/** One directive: `line` is the 1-based line it starts on, `source` that line as written. */
export interface Directive {
  section: string;
  key: string;
  value: string;
  line: number;
  source: string;
}

/** A line systemd cannot read as a unit file line. */
export interface UnitProblem {
  line: number;
  source: string;
  message: string;
}

export interface UnitFile {
  directives: Directive[];
  problems: UnitProblem[];
}

/** The directives of a unit file, in order, and the lines that are none. */
export function parseUnitFile(text: string): UnitFile {
  const lines = splitLines(text);
  const directives: Directive[] = [];
  const problems: UnitProblem[] = [];
  let section = '';
  for (let i = 0; i < lines.length; i++) {
    const source = lines[i]!;
    const line = i + 1;
    let logical = source.trim();
    if (logical === '' || logical.startsWith('#') || logical.startsWith(';')) continue;
    // A trailing backslash joins the next line (a space in its place); comment lines between are dropped.
    while (logical.endsWith('\\') && i + 1 < lines.length) {
      const next = lines[++i]!.trim();
      if (next.startsWith('#') || next.startsWith(';')) continue;
      logical = `${logical.slice(0, -1)} ${next}`;
    }
    if (logical.startsWith('[')) {
      if (!logical.endsWith(']') || logical.length < 3) {
        problems.push({ line, source, message: 'not a section header ([Name])' });
      } else section = logical.slice(1, -1);
      continue;
    }
    const eq = logical.indexOf('=');
    if (eq <= 0) {
      problems.push({ line, source, message: 'neither a section header, a comment nor a KEY=value line' });
      continue;
    }
    directives.push({
      section,
      key: logical.slice(0, eq).trim(),
      value: logical.slice(eq + 1).trim(),
      line,
      source,
    });
  }
  return { directives, problems };
}

const ESCAPES: Record<string, string> = {
  a: '\u0007',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  s: ' ',
  '\\': '\\',
  '"': '"',
  "'": "'",
  ';': ';',
  ' ': ' ',
};

/** One C escape at `text[i]` (after the backslash): the text it stands for and its length, or undefined. */
function unescapeAt(text: string, i: number): { value: string; length: number } | undefined {
  const c = text[i];
  if (c === undefined) return undefined;
  if (c in ESCAPES) return { value: ESCAPES[c]!, length: 1 };
  const hex = (n: number) => {
    const digits = text.slice(i + 1, i + 1 + n);
    return new RegExp(`^[0-9a-fA-F]{${n}}$`).test(digits) ? Number.parseInt(digits, 16) : undefined;
  };
  const code =
    c === 'x'
      ? hex(2)
      : c === 'u'
        ? hex(4)
        : c === 'U'
          ? hex(8)
          : /^[0-7]{3}$/.test(text.slice(i, i + 3))
            ? Number.parseInt(text.slice(i, i + 3), 8)
            : undefined;
  if (code === undefined || code === 0 || code > 0x10ffff) return undefined;
  const length = c === 'x' ? 3 : c === 'u' ? 5 : c === 'U' ? 9 : 3;
  return { value: String.fromCodePoint(code), length };
}

/**
 * The words of a list setting as systemd unquotes them: split at whitespace;
 * single or double quotes group (the quotes are removed); C escapes inside
 * and outside quotes. Each word comes with its text as written (`raw`), which
 * tells a lone `;` from an escaped one. A string is why the text cannot be read.
 */
export function splitRawWords(text: string): Array<{ word: string; raw: string }> | string {
  const words: Array<{ word: string; raw: string }> = [];
  let word: string | undefined;
  let from = 0;
  let quote: string | undefined;
  const end = (at: number) => {
    if (word !== undefined) words.push({ word, raw: text.slice(from, at) });
    word = undefined;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (word === undefined && !/\s/.test(c)) from = i;
    if (c === '\\') {
      const escape = unescapeAt(text, i + 1);
      if (!escape) return `'\\${text[i + 1] ?? ''}' is no escape systemd knows (write \\\\ for a backslash)`;
      word = (word ?? '') + escape.value;
      i += escape.length;
    } else if (quote !== undefined) {
      if (c === quote) quote = undefined;
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      word ??= '';
    } else if (/\s/.test(c)) end(i);
    else word = (word ?? '') + c;
  }
  if (quote !== undefined) return `a ${quote} is not closed`;
  end(text.length);
  return words;
}

/** The words of a list setting (see splitRawWords), or why the text cannot be read. */
export function splitWords(text: string): string[] | string {
  const words = splitRawWords(text);
  return typeof words === 'string' ? words : words.map((w) => w.word);
}

/** systemd's booleans; undefined for anything else. */
export function parseBoolean(text: string): boolean | undefined {
  const t = text.trim().toLowerCase();
  if (['1', 'yes', 'y', 'true', 't', 'on'].includes(t)) return true;
  if (['0', 'no', 'n', 'false', 'f', 'off'].includes(t)) return false;
  return undefined;
}

/** Microseconds of each time-span unit (systemd.time(7)); a bare number is seconds. */
const SPAN_UNITS: Array<[string[], number]> = [
  [['usec', 'us', 'µs', 'μs'], 1],
  [['msec', 'ms'], 1_000],
  [['seconds', 'second', 'sec', 's'], 1_000_000],
  [['minutes', 'minute', 'min', 'm'], 60_000_000],
  [['hours', 'hour', 'hr', 'h'], 3_600_000_000],
  [['days', 'day', 'd'], 86_400_000_000],
  [['weeks', 'week', 'w'], 604_800_000_000],
  [['months', 'month', 'M'], 2_629_800_000_000],
  [['years', 'year', 'y'], 31_557_600_000_000],
];

/** A time span in ms (`infinity` is Infinity), or undefined when it is none. Fractions of a ms are kept. */
export function parseTimeSpan(text: string): number | undefined {
  const t = text.trim();
  if (t === 'infinity') return Infinity;
  if (t === '') return undefined;
  let rest = t;
  let usec = 0;
  while (rest !== '') {
    const m = /^(\d+(?:\.\d*)?|\.\d+)\s*([A-Za-zµμ]*)\s*/.exec(rest);
    if (!m) return undefined;
    const unit = m[2]!;
    const size = unit === '' ? 1_000_000 : SPAN_UNITS.find(([names]) => names.includes(unit))?.[1];
    if (size === undefined) return undefined;
    usec += Number(m[1]) * size;
    rest = rest.slice(m[0].length);
  }
  return usec / 1000;
}

/** A duration as the config writes it (`1h30m`, `90s`, `250ms`), exact to the ms; undefined below 1 ms or for a fraction of one. */
export function configDuration(ms: number): string | undefined {
  if (!Number.isInteger(ms) || ms < 1) return undefined;
  const parts: string[] = [];
  let rest = ms;
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1_000],
    ['ms', 1],
  ] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.join('');
}
