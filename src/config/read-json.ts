// A config file written as JSON → plain data, by JSON.parse: several times
// faster than a YAML parser on the same text, and machine-written job sets
// (the ones that reach 100,000 jobs) are mostly JSON. JSON is YAML, and this
// reading must give exactly the data js-yaml gives (read-plain.ts); where the
// two could differ it declines, and js-yaml reads the file as before:
//   - a key written twice in one map (JSON.parse keeps the last; YAML refuses
//     it, and the YAML reading says where): the caller compares keysWritten
//     with the keys of the data, in the walk that bounds it;
//   - a number the YAML reading keeps as the text written (yaml-scalars.ts:
//     `1.0`, `1e3`, `-0`, digits past a double's precision);
//   - a character YAML does not allow in a stream (js-yaml refuses a file with
//     one; JSON.parse takes it in a string);
//   - a `__proto__` key, or anything JSON.parse does not read (comments, a
//     syntax error, YAML that is not JSON);
//   - nesting past a bound (the caller's walk; the YAML reading refuses it, and says where).
// One pass over the text finds the keys, checks the numbers, and places the
// keys of the root map's `jobs` map, as the YAML reading places them (at the
// opening quote).
import { LineCounter } from './line-counter.js';
import type { SourceLocation } from './types.js';

export interface JsonFile {
  value: unknown;
  /** Where each key of the root map's `jobs` map is written. */
  jobAt: Map<string, SourceLocation>;
  /**
   * The keys the text writes, in every map: more than `value` holds when a key is written
   * twice in one map, which JSON.parse takes and YAML refuses (the caller counts: read-plain.ts).
   */
  keysWritten: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const MINUS = 0x2d;
/** Integers of up to 15 digits read back as written (a double holds them exactly). */
const EXACT_DIGITS = 15;
/** What js-yaml refuses in a stream (its PATTERN_NON_PRINTABLE): control characters, lone surrogates. */
const NON_PRINTABLE =
  // eslint-disable-next-line no-control-regex
  /[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x84\x86-\x9F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?:[^\uD800-\uDBFF]|^)[\uDC00-\uDFFF]/;

/**
 * `text` (of `file`) as plain data when it is a JSON object that JSON.parse reads as js-yaml
 * does (but for keys written twice: see keysWritten); else undefined.
 */
export function readJson(text: string, file: string): JsonFile | undefined {
  if (!startsWithBrace(text) || text.includes('"__proto__"') || NON_PRINTABLE.test(text)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const scan = scanKeys(text);
  if (!scan) return undefined;
  const jobAt = new Map<string, SourceLocation>();
  const lines = new LineCounter(text);
  for (const [key, offset] of scan.jobKeys) jobAt.set(key, { file, ...lines.at(offset) });
  return { value, jobAt, keysWritten: scan.keys };
}

function startsWithBrace(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === OPEN_BRACE) return true;
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return false;
  }
  return false;
}

/**
 * Over text JSON.parse has read: how many keys it writes (in every map), and
 * the keys of the root's `jobs` map with their offsets. Undefined when a
 * number would not read back as written.
 */
function scanKeys(text: string): { keys: number; jobKeys: Array<[string, number]> } | undefined {
  let keys = 0;
  const jobKeys: Array<[string, number]> = [];
  let depth = 0;
  /** The last key of the root map: the key of what opens at depth 2. */
  let rootKey: string | undefined;
  let inJobs = false;
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = stringEnd(text, i);
      let k = end + 1;
      while (isSpace(text.charCodeAt(k))) k++;
      if (text.charCodeAt(k) === COLON) {
        keys++;
        if (depth === 1) rootKey = keyText(text, i, end);
        else if (depth === 2 && inJobs) jobKeys.push([keyText(text, i, end), i]);
      }
      i = end + 1;
      continue;
    }
    if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      depth++;
      if (depth === 2) inJobs = c === OPEN_BRACE && rootKey === 'jobs';
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    } else if (c === MINUS || (c >= 0x30 && c <= 0x39)) {
      let end = i + 1;
      while (end < n && isNumberChar(text.charCodeAt(end))) end++;
      if (!readsAsWritten(text, i, end)) return undefined;
      i = end;
      continue;
    }
    i++;
  }
  return { keys, jobKeys };
}

/** The offset of the quote that closes the string opening at `start`. */
function stringEnd(text: string, start: number): number {
  let q = text.indexOf('"', start + 1);
  for (;;) {
    let b = q - 1;
    while (text.charCodeAt(b) === BACKSLASH) b--;
    if ((q - 1 - b) % 2 === 0) return q; // not escaped: an even number of backslashes before it
    q = text.indexOf('"', q + 1);
  }
}

function keyText(text: string, start: number, end: number): string {
  const raw = text.slice(start + 1, end);
  return raw.includes('\\') ? (JSON.parse(text.slice(start, end + 1)) as string) : raw;
}

/** Whether the number written at [start, end) is the one the YAML reading gives (yaml-scalars.ts's plainValue). */
function readsAsWritten(text: string, start: number, end: number): boolean {
  let plainInteger = end - start <= EXACT_DIGITS;
  for (let i = start + 1; plainInteger && i < end; i++) {
    const c = text.charCodeAt(i);
    plainInteger = c >= 0x30 && c <= 0x39;
  }
  const written = text.slice(start, end);
  if (plainInteger) return written !== '-0';
  return String(Number(written)) === written;
}

function isNumberChar(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x65 || c === 0x45 || c === 0x2b || c === MINUS;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}
