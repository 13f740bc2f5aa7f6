// A syntax error in a file of many jobs, read in the part of the file around
// it. js-yaml (read-plain.ts) stops at the first syntax error and says where;
// the `yaml` package, whose messages and places are the ones reported, takes
// seconds over a 100,000-job file. It is given the same text with the jobs
// of the top-level `jobs` map before the erring one and those well after it
// left out (compact-text.ts, which places what it finds back at the file's
// lines and columns), and what it finds in that window is reported. Then
// js-yaml reads the file with the window left out: an error there gets its
// own window; a file it reads holds nothing more to report (no duplicate key,
// no job named twice, no alias to an anchor left out).
//
// A window is cut where jobs begin: where their keys start lines (block YAML,
// pretty JSON), or, in a file of one line, by its brackets and commas. When
// it cannot be had (no such map, few jobs, brackets that do not balance), or
// the window shows nothing, something outside itself, or an error that runs
// to its end (the rest of the map read as broken), the caller reads the file
// up to a bound past the error (syntax-prefix.ts), or the whole file.
import { type Event, parseEvents, YAMLException } from 'js-yaml';
import { CompactText } from './compact-text.js';
import { jobKeyEvents, keyStart, PARSER_MAX_DEPTH, type PlainFile, readPlainOrWhy } from './read-plain.js';
import type { ConfigProblem } from './types.js';
import { lineStart, lineStarts } from './yaml-text.js';

/** Jobs kept after the error's line: the yaml package may see an error only where the next job begins. */
const JOBS_AFTER = 3;
/** Windows in one file: each costs a js-yaml reading of the whole file; past a few, reading it whole is cheaper. */
const MAX_WINDOWS = 3;

export interface Window {
  /** The text with everything outside the window left out. */
  compact: CompactText;
  /** The window, as offsets: the findings the yaml package places there are the file's. */
  from: number;
  to: number;
  /** Where the window ends when the rest of the file is still to be read (a job starts there). */
  rest: number | undefined;
  /**
   * Where the window's last job starts: a problem there or after it is taken
   * for one that goes on past the window (the rest of the map read as broken),
   * and the whole file is read.
   */
  lastJob: number;
  /**
   * Where the text after the map's jobs begins, kept as written: a problem
   * there (a bracket the error left open, reported where the file ends) is
   * the file's too.
   */
  tail: number;
  /** Where the map's jobs end, as far as can be told (else the text's end). */
  mapEnd: number;
}

/**
 * `text` cut to the jobs around `errorAt` (js-yaml's error offset in it): the
 * job before the one with the error, that one, and JOBS_AFTER more. Undefined
 * when it cannot be cut safely.
 */
export function syntaxWindow(text: string, errorAt: number): Window | undefined {
  // A file of one line (one-line JSON) is cut by its brackets: if they do not balance (the error
  // is one of them), nothing bounds a window, and the whole file is read at once.
  if (lineStart(text, errorAt) === 0 && !balanced(text)) return undefined;
  const start = windowStart(text, errorAt);
  if (!start) return undefined;
  const { from, lines } = start;
  let rest: number | undefined;
  let lastJob = Infinity;
  let close = text.length;
  let mapEnd: number;
  if (lines) {
    // Each key starts its line (block YAML, pretty JSON): whole lines are blanked; the map ends
    // at the first line indented less than its keys.
    const column = start.column;
    rest = entryLine(text, lineStart(text, errorAt), column, JOBS_AFTER);
    if (rest !== undefined) {
      lastJob = entryLine(text, lineStart(text, errorAt), column, JOBS_AFTER - 1)!;
      close = blockEnd(text, rest, column);
    }
    mapEnd = blockEnd(text, from, column);
  } else {
    // Keys sharing lines (one-line JSON): entries and their commas are blanked exactly, the
    // map's end found by its brackets.
    // Brackets the error left unbalanced leave the window unbounded: then the whole file is read.
    const after = entriesAfter(text, from, errorAt, JOBS_AFTER);
    if (!after) return undefined;
    ({ rest, lastJob, close } = after);
    mapEnd = close;
  }
  const to = rest ?? close;
  return {
    compact: compactHead(text, start).keep(from, to).skip(to, close).keep(close, text.length),
    from,
    to,
    rest,
    lastJob,
    tail: close,
    mapEnd,
  };
}

/** Where a window around a syntax error starts, and what is blanked before it. */
export interface WindowStart {
  /** Where the blanking begins (the map's second job): the first job stays as written, it opens the map. */
  blankFrom: number;
  /** Where the window begins: the job before the one with the error. */
  from: number;
  /** Whether each job key starts its line (block YAML, pretty JSON): whole lines are blanked then. */
  lines: boolean;
  /** The column of the job keys, when they start lines. */
  column: number;
}

/**
 * The start of a window around js-yaml's error at `errorAt`: the jobs of the
 * top-level `jobs` map before it, as js-yaml reads the text up to there.
 * Undefined when there is no such map, or too few jobs before the error.
 */
export function windowStart(text: string, errorAt: number): WindowStart | undefined {
  const events = eventsBefore(text, errorAt);
  if (!events) return undefined;
  const { keys, flow } = jobKeyEvents(events, text);
  const starts = keys.map(keyStart);
  if (starts.length < 4) return undefined;
  const second = starts[1];
  const from = starts[starts.length - 2];
  if (second === undefined || from === undefined) return undefined;
  if (startsLine(text, second) && startsLine(text, from)) {
    const column = from - lineStart(text, from);
    return { blankFrom: lineStart(text, second), from: lineStart(text, from), lines: true, column };
  }
  return flow ? { blankFrom: second, from, lines: false, column: 0 } : undefined;
}

/** `text` up to the window's start, the jobs after the first left out. */
export function compactHead(text: string, start: WindowStart): CompactText {
  return new CompactText(text).keep(0, start.blankFrom).skip(start.blankFrom, start.from);
}

/** The yaml package's reading of a window: its problems, and the names of the jobs it holds. */
export type ReadWindow = (text: string) => { problems: ConfigProblem[]; jobs: Iterable<string> };

/**
 * Every problem the yaml package finds in `text` (of `file`), read a window at
 * a time from js-yaml's first error (`errorAt`); undefined when the whole file
 * must be read instead.
 */
export function windowedProblems(
  text: string,
  file: string,
  errorAt: number,
  readWindow: ReadWindow,
): ConfigProblem[] | undefined {
  const problems: ConfigProblem[] = [];
  const inWindows: string[] = [];
  const lines = lineStarts(text);
  // The file with every window so far blanked: what js-yaml reads in it is what the yaml package
  // would find outside the windows, up to its next error.
  let outside = text;
  let at = errorAt;
  let after = 0;
  for (let n = 0; n < MAX_WINDOWS; n++) {
    if (at < after) return undefined;
    const window = syntaxWindow(outside, at);
    if (!window) return undefined;
    const found = readWindow(window.compact.text);
    const placed = window.compact.placeAll(found.problems, lines);
    const inside = (p: ConfigProblem) => {
      const offset = (lines[p.line - 1] ?? Infinity) + p.column - 1;
      return (offset >= window.from && offset < window.lastJob) || offset >= window.tail;
    };
    // An alias in the window may stand for an anchor blanked out of it.
    if (placed.length === 0 || !placed.every(inside) || placed.some(aboutAlias)) return undefined;
    for (const p of placed) problems.push(p);
    for (const job of found.jobs) inWindows.push(job);
    const to = Math.min(window.to, window.mapEnd);
    outside = outside.slice(0, window.from) + blank(outside, window.from, to) + outside.slice(to);
    after = to;
    const read = readPlainOrWhy(outside, file);
    if (read.plain) return noJobNamedTwice(read.plain, inWindows) ? problems : undefined;
    // Not a syntax error (a duplicate key, an alias to a blanked anchor, past the bounds): the whole file.
    if (read.syntaxErrorAt === undefined) return undefined;
    at = read.syntaxErrorAt;
  }
  return undefined;
}

/** No job in the windows is named as one outside them (the map's first job is in both) or in another window. */
function noJobNamedTwice(outside: PlainFile, inWindows: readonly string[]): boolean {
  const [first] = outside.jobAt.keys();
  const named = new Set(outside.jobAt.keys());
  for (const name of inWindows) {
    if (name === first) continue;
    if (named.has(name)) return false;
    named.add(name);
  }
  return true;
}

function aboutAlias(problem: ConfigProblem): boolean {
  return /\balias/.test(problem.message);
}

/**
 * js-yaml's events for the text before the line of `errorAt` (before `errorAt`
 * itself on a file's first line: one-line JSON). A construct the error left
 * open (an unclosed '[') may start further up: the text is cut above it then.
 */
function eventsBefore(text: string, errorAt: number): Event[] | undefined {
  const cutAt = (offset: number) => lineStart(text, offset) || offset;
  let cut = cutAt(errorAt);
  for (let tries = 0; tries < 3 && cut > 0; tries++) {
    try {
      // Cut inside flow collections (JSON), the text is closed as it stands; their events come first.
      return parseEvents(text.slice(0, cut) + closers(text, cut), { maxDepth: PARSER_MAX_DEPTH });
    } catch (err) {
      if (!(err instanceof YAMLException) || !err.mark) return undefined;
      const above = cutAt(Math.min(err.mark.position, cut - 1));
      if (above >= cut) return undefined;
      cut = above;
    }
  }
  return undefined;
}

/**
 * What closes the flow collections open at `cut` ('}' and ']', innermost
 * first), read past quoted strings and comments. A guess where a plain
 * scalar holds a quote: then js-yaml refuses the text, and the file is read whole.
 */
export function closers(text: string, cut: number): string {
  const open: string[] = [];
  for (let i = nextMark(text, 0); i < cut; i = nextMark(text, skipText(text, i) + 1)) {
    const c = text[i];
    if (c === '{' || c === '[') open.push(c === '{' ? '}' : ']');
    else if ((c === '}' || c === ']') && open.length > 0) open.pop();
  }
  return open.length > 0 ? '\n' + open.reverse().join('') : '';
}

/** Only spaces before `offset` on its line. */
function startsLine(text: string, offset: number): boolean {
  for (let i = lineStart(text, offset); i < offset; i++) if (text[i] !== ' ') return false;
  return true;
}

/**
 * The start of the `count`th line after `from`'s line that begins, at
 * `column`, something that may be a key; undefined when there are fewer.
 */
function entryLine(text: string, from: number, column: number, count: number): number | undefined {
  for (let at = text.indexOf('\n', from) + 1; at > 0 && at < text.length; at = text.indexOf('\n', at) + 1) {
    if (indentOf(text, at) === column && !/[\s#}\],]/.test(text[at + column] ?? ' ') && --count === 0)
      return at;
  }
  return undefined;
}

/** The first line at or after `from` indented less than `column` (neither blank nor a comment): where the map ends. */
function blockEnd(text: string, from: number, column: number): number {
  for (let at = from; at < text.length; at = text.indexOf('\n', at) + 1 || text.length) {
    const indent = indentOf(text, at);
    const c = text[at + indent];
    if (indent < column && c !== '\n' && c !== '\r' && c !== '#' && c !== undefined) return at;
  }
  return text.length;
}

/**
 * In a flow map whose entry starts at `from`: where the `count`th entry after
 * the one holding `errorAt` starts (`rest`; undefined when the map ends
 * first), the one before it (`lastJob`), and the map's closing bracket.
 * Undefined when the brackets do not say (the error may be one of them).
 */
function entriesAfter(
  text: string,
  from: number,
  errorAt: number,
  count: number,
): { rest: number | undefined; lastJob: number; close: number } | undefined {
  let depth = 0;
  let rest: number | undefined;
  let lastJob = Infinity;
  for (let i = nextMark(text, from); i < text.length; i = nextMark(text, skipText(text, i) + 1)) {
    const c = text[i];
    if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      // The map ends here: with fewer jobs after the error than asked for, the window runs to it.
      if (--depth < 0) return { rest, lastJob: rest === undefined ? Infinity : lastJob, close: i };
    } else if (c === ',' && depth === 0 && i > errorAt && rest === undefined) {
      if (--count === 1) lastJob = i + 1;
      else if (count === 0) rest = i + 1;
    }
  }
  return undefined;
}

/** Every '{' and '[' of `text` closed in turn, read past quoted strings and comments. */
function balanced(text: string): boolean {
  const open: string[] = [];
  for (let i = nextMark(text, 0); i < text.length; i = nextMark(text, skipText(text, i) + 1)) {
    const c = text[i];
    if (c === '{') open.push('}');
    else if (c === '[') open.push(']');
    else if ((c === '}' || c === ']') && open.pop() !== c) return false;
  }
  return open.length === 0;
}

const MARKS = /[{}[\],"'#]/g;

/** The next bracket, comma, quote or '#' at or after `at` (what the scans here look at); the text's end when none. */
export function nextMark(text: string, at: number): number {
  MARKS.lastIndex = at;
  return MARKS.exec(text)?.index ?? text.length;
}

/**
 * Where the quoted string or comment that starts at `at` ends (its last
 * character), escapes read as YAML reads them; `at` itself for anything else.
 */
export function skipText(text: string, at: number): number {
  const q = text[at];
  if (q === '#' && (at === 0 || text[at - 1] === ' ' || text[at - 1] === '\n')) {
    const end = text.indexOf('\n', at);
    return end < 0 ? text.length : end - 1;
  }
  if (q !== '"' && q !== "'") return at;
  for (let i = at + 1; i < text.length; i++) {
    if (q === '"' && text[i] === '\\') i++;
    else if (text[i] === q) {
      if (q === "'" && text[i + 1] === "'") i++;
      else return i;
    }
  }
  return text.length;
}

function indentOf(text: string, lineAt: number): number {
  let i = lineAt;
  while (text[i] === ' ') i++;
  return i - lineAt;
}

/** `text` from `from` to `to` as spaces, its line breaks kept. */
function blank(text: string, from: number, to: number): string {
  return text
    .slice(from, to)
    .split('\n')
    .map((line) => ' '.repeat(line.length))
    .join('\n');
}
