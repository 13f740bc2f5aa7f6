// A reader for the plain subset of YAML that configs are almost always written
// in, more than ten times faster than the `yaml` package's document with
// source ranges, and without its garbage: a config of 100,000 jobs is ~14 MB of
// YAML, which the full parser takes seconds (and ~500 MB) to read.
//
// The subset: block maps; block sequences of scalars and flow collections;
// one-line flow maps and sequences; plain, single- and double-quoted scalars
// on one line; comments; plain keys of [A-Za-z0-9_.-] (not starting with '.'
// or '-') or quoted keys.
// Plain values resolve as yaml-scalars.ts says (the YAML 1.2 core schema,
// but for a number or boolean whose text would change: that stays text).
//
// Whatever lies outside it (anchors, aliases, tags, block scalars, multi-line
// scalars or flow collections, tabs, CR, control characters, directives,
// document markers, duplicate keys, anything malformed) makes it give up: it
// returns undefined and the caller reads the file with the full parser, which
// also finds and locates every problem. So where it returns a value, that value
// equals the full reading's (yaml-source.ts) of a document with no errors and
// no duplicate keys (test/unit/config-quick-reading.test.ts compares the two).
import { plainValue } from './yaml-scalars.js';

/** An entry of the top-level `jobs` map: where its key starts (lines and columns from 1, columns in UTF-16 units) and its value. */
export interface JobEntry {
  name: string;
  line: number;
  column: number;
  value: unknown;
}

export interface SubsetDocument {
  /** The document as plain data; null for a document with no content (blanks and comments only). */
  value: unknown;
  /** The entries of the top-level `jobs` map, in document order. */
  jobs: JobEntry[];
}

/** The document `text` as plain data, or undefined when it is outside the subset (see the top of this file). */
export function parseYamlSubset(text: string): SubsetDocument | undefined {
  // Tabs, CR, BOM, control characters, NBSP and the Unicode line separators
  // all have YAML rules of their own.
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0009\u000b-\u001f\u007f-\u00a0\u2028\u2029\ufeff\ufffe\uffff]/.test(text)) return undefined;
  try {
    return new SubsetReader(text).document();
  } catch (err) {
    // RangeError: nesting too deep for the stack; the full parser decides about it.
    if (err === OUTSIDE || err instanceof RangeError) return undefined;
    throw err;
  }
}

/** Thrown (never out of this module) when the text leaves the subset. */
const OUTSIDE = new Error('outside the YAML subset');

function outside(): never {
  throw OUTSIDE;
}

const SPACE = 0x20;
const NEWLINE = 0x0a;
const HASH = 0x23;
const COLON = 0x3a;
const COMMA = 0x2c;
const DASH = 0x2d;
const DQUOTE = 0x22;
const SQUOTE = 0x27;
const BACKSLASH = 0x5c;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;

/** Longest key accepted; YAML limits an implicit key to 1024 characters. */
const MAX_KEY_LENGTH = 1000;

/** Double-quoted escapes as the `yaml` package reads them (\x, \u, \U and line continuations give up). */
const ESCAPES: Record<string, string> = {
  '0': '\0',
  a: '\x07',
  b: '\b',
  e: '\x1b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  N: '\u0085',
  _: '\u00a0',
  L: '\u2028',
  P: '\u2029',
  ' ': ' ',
  '"': '"',
  '/': '/',
  '\\': '\\',
};

/** A plain key: [A-Za-z0-9_] then [A-Za-z0-9_.-]. */
function isKeyChar(c: number, first: boolean): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) ||
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x30 && c <= 0x39) ||
    c === 0x5f ||
    (!first && (c === 0x2e || c === DASH))
  );
}

/** Characters a plain scalar may not start with (or that start something else). */
const NOT_PLAIN_START = new Set('&*!|>%@`,[]{}#\'"'.split('').map((c) => c.charCodeAt(0)));

/** '-', '?' and ':' start a plain scalar only when followed by a character that is not a space (in flow, nor a flow indicator). */
function isIndicatorStart(c: number): boolean {
  return c === DASH || c === 0x3f || c === COLON;
}

/** In a flow collection these end a plain scalar. */
function isFlowIndicator(c: number): boolean {
  return c === COMMA || c === LBRACKET || c === RBRACKET || c === LBRACE || c === RBRACE;
}

/**
 * `s` as a string of its own. V8 makes a slice of 13 or more characters a view
 * into the whole text (and a concatenation a pair of references), which would
 * keep a config's text (14 MB at 100,000 jobs) in memory for as long as any
 * value read from it, i.e. as long as the config. Concatenating flattens into
 * a new string, of which the result is then a view. (Keys need none of this:
 * V8 copies a string that becomes a property key.)
 */
function own(s: string): string {
  return s.length < 13 ? s : (' ' + s).slice(1);
}

class SubsetReader {
  /** Start of the current line. */
  private lineStart = 0;
  /** Current line number, from 1. */
  private line = 1;
  /** Indentation of the current line; -1 at the end of the text. */
  private indent = -1;
  /** Where the value (or key) last read ends: the methods that read one set it. */
  private end = 0;
  private readonly jobs: JobEntry[] = [];

  constructor(private readonly text: string) {}

  document(): SubsetDocument {
    this.toContent(Infinity);
    if (this.indent === -1) return { value: null, jobs: [] };
    if (this.indent !== 0) outside();
    // It returns at a line indented less than 0: at the end of the text.
    const value = this.blockMap(0, true, false);
    return { value, jobs: this.jobs };
  }

  /**
   * Moves to the next line with content (not blank, not only a comment) and
   * sets `indent`. A comment line indented deeper than `maxCommentIndent`
   * gives up (after a value, it could be part of it).
   */
  private toContent(maxCommentIndent: number): void {
    const t = this.text;
    let start = this.lineStart;
    for (;;) {
      let i = start;
      while (t.charCodeAt(i) === SPACE) i++;
      if (i >= t.length) {
        this.lineStart = start;
        this.indent = -1;
        return;
      }
      const c = t.charCodeAt(i);
      if (c === HASH && i - start > maxCommentIndent) outside();
      if (c === NEWLINE || c === HASH) {
        const end = c === NEWLINE ? i : t.indexOf('\n', i);
        if (end === -1) {
          this.lineStart = t.length;
          this.indent = -1;
          return;
        }
        start = end + 1;
        this.line++;
        continue;
      }
      this.lineStart = start;
      this.indent = i - start;
      return;
    }
  }

  /** After a value ending at `i`: only spaces, then a comment or the end of the line; moves past it. */
  private endLine(i: number): void {
    const t = this.text;
    const from = i;
    while (t.charCodeAt(i) === SPACE) i++;
    if (i < t.length) {
      const c = t.charCodeAt(i);
      if (c === HASH) {
        if (i === from) outside(); // `"x"#c` is an error, not a comment
        i = t.indexOf('\n', i);
        if (i === -1) i = t.length;
      } else if (c !== NEWLINE) {
        outside();
      }
    }
    if (i < t.length) {
      this.lineStart = i + 1;
      this.line++;
    } else {
      this.lineStart = t.length;
    }
  }

  /**
   * The block map whose entries start at column `indent` of the current line
   * and the following ones. `top`: the document's map; `jobs`: the map of jobs,
   * whose keys are recorded.
   */
  private blockMap(indent: number, top: boolean, jobs: boolean): Record<string, unknown> {
    const t = this.text;
    const map: Record<string, unknown> = {};
    for (;;) {
      const key = this.key(this.lineStart + indent, map);
      const colon = this.end;
      const entry: JobEntry | undefined = jobs
        ? { name: key, line: this.line, column: indent + 1, value: undefined }
        : undefined;
      const after = t.charCodeAt(colon + 1);
      if (colon + 1 < t.length && after !== SPACE && after !== NEWLINE) outside();
      const jobsValue = top && key === 'jobs';
      let i = colon + 1;
      while (t.charCodeAt(i) === SPACE) i++;
      const c = t.charCodeAt(i);
      let value: unknown;
      if (i >= t.length || c === NEWLINE || c === HASH) {
        // Nothing on the line: a nested block, a sequence at the key's own indentation, or null.
        this.endLine(colon + 1);
        this.toContent(Infinity);
        if (this.indent > indent) {
          if (this.isSeqItem()) {
            if (jobsValue) outside(); // an error the full parser reports
            value = this.blockSeq(this.indent);
          } else {
            value = this.blockMap(this.indent, false, jobsValue);
          }
        } else if (this.indent === indent && this.isSeqItem()) {
          if (jobsValue) outside();
          value = this.blockSeq(indent);
        } else {
          value = null;
        }
      } else {
        value = this.inlineValue(i, jobsValue);
        this.toContent(indent);
      }
      map[key] = value;
      if (entry) {
        entry.value = value;
        this.jobs.push(entry);
      }
      if (this.indent < indent) return map;
      if (this.indent > indent) outside(); // a continuation line, or a bad indentation
    }
  }

  private isSeqItem(): boolean {
    const i = this.lineStart + this.indent;
    const next = this.text.charCodeAt(i + 1);
    return (
      this.text.charCodeAt(i) === DASH && (next === SPACE || next === NEWLINE || i + 1 >= this.text.length)
    );
  }

  /** A block sequence of one-line items at column `indent`. */
  private blockSeq(indent: number): unknown[] {
    const t = this.text;
    const list: unknown[] = [];
    for (;;) {
      if (this.indent !== indent || !this.isSeqItem()) return list;
      let i = this.lineStart + indent + 1;
      while (t.charCodeAt(i) === SPACE) i++;
      const c = t.charCodeAt(i);
      // An empty item, a nested sequence or a map in an item: not in the subset.
      if (i >= t.length || c === NEWLINE || c === HASH) outside();
      if (c === DASH && (t.charCodeAt(i + 1) === SPACE || t.charCodeAt(i + 1) === NEWLINE)) outside();
      list.push(this.inlineValue(i, false));
      this.toContent(indent);
      if (this.indent > indent) outside();
    }
  }

  /** A value written on the rest of the line from `i`; moves to the next line. `jobs`: the map of jobs. */
  private inlineValue(i: number, jobs: boolean): unknown {
    const t = this.text;
    const c = t.charCodeAt(i);
    let value: unknown;
    if (c === LBRACE) value = this.flowMap(i, jobs);
    else if (jobs)
      outside(); // `jobs:` as anything but a map is an error the full parser reports
    else if (c === LBRACKET) value = this.flowSeq(i);
    else if (c === DQUOTE) value = this.doubleQuoted(i);
    else if (c === SQUOTE) value = this.singleQuoted(i);
    else {
      if (NOT_PLAIN_START.has(c)) outside();
      if (isIndicatorStart(c)) {
        const next = t.charCodeAt(i + 1);
        if (next === SPACE || next === NEWLINE || i + 1 >= t.length) outside();
      }
      // To the end of the line or a ' #' comment.
      let j = i;
      for (; j < t.length; j++) {
        const d = t.charCodeAt(j);
        if (d === NEWLINE || (d === HASH && t.charCodeAt(j - 1) === SPACE)) break;
      }
      const text = t.slice(i, j).trimEnd();
      // `a: b: c` and `a: b:` are errors; `- b: c` is a map in a sequence.
      if (text.includes(': ') || text.endsWith(':')) outside();
      this.end = i + text.length;
      value = plainValue(text);
      if (value === text) value = own(text);
    }
    this.endLine(this.end);
    return value;
  }

  /**
   * A key starting at `i`; `end` is then the index of the ':' after it. Plain
   * keys that would resolve to anything but the same string (`1`, `true`,
   * `null`) give up.
   */
  private key(i: number, map: Record<string, unknown>): string {
    const t = this.text;
    const c = t.charCodeAt(i);
    let key: string;
    if (c === DQUOTE) key = this.doubleQuoted(i);
    else if (c === SQUOTE) key = this.singleQuoted(i);
    else {
      let end = i + 1;
      if (!isKeyChar(c, true)) outside();
      while (isKeyChar(t.charCodeAt(end), false)) end++;
      key = t.slice(i, end);
      if (plainValue(key) !== key) outside();
      this.end = end;
    }
    if (t.charCodeAt(this.end) !== COLON) outside();
    if (this.end - i > MAX_KEY_LENGTH) outside();
    // A duplicate is reported by the full parser; '__proto__' would set the prototype.
    if (key === '__proto__' || Object.hasOwn(map, key)) outside();
    return key;
  }

  /** `{ k: v, ... }` on one line from `i` (at '{'); `end` is then the index after '}'. */
  private flowMap(i: number, jobs: boolean): Record<string, unknown> {
    const t = this.text;
    const map: Record<string, unknown> = {};
    i = this.skipSpaces(i + 1);
    if (t.charCodeAt(i) === RBRACE) {
      this.end = i + 1;
      return map;
    }
    for (;;) {
      const key = this.key(i, map);
      const column = i - this.lineStart + 1;
      const colon = this.end;
      if (t.charCodeAt(colon + 1) !== SPACE) outside();
      const value = this.flowValue(this.skipSpaces(colon + 1));
      map[key] = value;
      if (jobs) this.jobs.push({ name: key, line: this.line, column, value });
      i = this.skipSpaces(this.end);
      const c = t.charCodeAt(i);
      if (c === RBRACE) {
        this.end = i + 1;
        return map;
      }
      if (c !== COMMA) outside();
      i = this.skipSpaces(i + 1);
      if (t.charCodeAt(i) === RBRACE) outside(); // a trailing comma
    }
  }

  /** `[ a, b ]` on one line from `i` (at '['); `end` is then the index after ']'. */
  private flowSeq(i: number): unknown[] {
    const t = this.text;
    const list: unknown[] = [];
    i = this.skipSpaces(i + 1);
    if (t.charCodeAt(i) === RBRACKET) {
      this.end = i + 1;
      return list;
    }
    for (;;) {
      list.push(this.flowValue(i));
      i = this.skipSpaces(this.end);
      const c = t.charCodeAt(i);
      if (c === RBRACKET) {
        this.end = i + 1;
        return list;
      }
      if (c !== COMMA) outside(); // also `[ "a": b ]`, a pair in a sequence
      i = this.skipSpaces(i + 1);
      if (t.charCodeAt(i) === RBRACKET) outside();
    }
  }

  /** A value inside a flow collection, from `i`; `end` is then the index after it. */
  private flowValue(i: number): unknown {
    const t = this.text;
    const c = t.charCodeAt(i);
    if (c === LBRACE) return this.flowMap(i, false);
    if (c === LBRACKET) return this.flowSeq(i);
    if (c === DQUOTE) return this.doubleQuoted(i);
    if (c === SQUOTE) return this.singleQuoted(i);
    if (NOT_PLAIN_START.has(c) || c === NEWLINE || i >= t.length) outside();
    if (isIndicatorStart(c)) {
      const next = t.charCodeAt(i + 1);
      if (next === SPACE || next === NEWLINE || isFlowIndicator(next) || i + 1 >= t.length) outside();
    }
    let j = i;
    for (; j < t.length; j++) {
      const d = t.charCodeAt(j);
      if (d === COMMA || d === RBRACE || d === RBRACKET) break;
      if (d === NEWLINE || d === LBRACE || d === LBRACKET) outside();
      if (d === HASH && t.charCodeAt(j - 1) === SPACE) outside();
      if (d === COLON) {
        const next = t.charCodeAt(j + 1);
        if (next === SPACE || next === NEWLINE || isFlowIndicator(next) || j + 1 >= t.length) outside();
      }
    }
    if (j >= t.length) outside();
    let end = j;
    while (t.charCodeAt(end - 1) === SPACE) end--;
    this.end = end;
    const text = t.slice(i, end);
    const value = plainValue(text);
    return value === text ? own(text) : value;
  }

  /** A one-line double-quoted scalar from `i` (at '"'); `end` is then the index after the closing quote. */
  private doubleQuoted(i: number): string {
    const t = this.text;
    let out = '';
    let from = i + 1;
    for (let j = i + 1; j < t.length; j++) {
      const c = t.charCodeAt(j);
      if (c === DQUOTE) {
        this.end = j + 1;
        return own(out + t.slice(from, j));
      }
      if (c === NEWLINE) outside();
      if (c === BACKSLASH) {
        const escaped = ESCAPES[t[j + 1] ?? ''];
        if (escaped === undefined) outside();
        out += t.slice(from, j) + escaped;
        j++;
        from = j + 1;
      }
    }
    return outside();
  }

  /** A one-line single-quoted scalar from `i` (at "'"), in which '' stands for '; `end` as for doubleQuoted. */
  private singleQuoted(i: number): string {
    const t = this.text;
    let out = '';
    let from = i + 1;
    for (let j = i + 1; j < t.length; j++) {
      const c = t.charCodeAt(j);
      if (c === NEWLINE) outside();
      if (c === SQUOTE) {
        if (t.charCodeAt(j + 1) !== SQUOTE) {
          this.end = j + 1;
          return own(out + t.slice(from, j));
        }
        out += t.slice(from, j + 1);
        j++;
        from = j + 1;
      }
    }
    return outside();
  }

  private skipSpaces(i: number): number {
    while (this.text.charCodeAt(i) === SPACE) i++;
    return i;
  }
}
