// The common cron patterns (numbers, `*`, lists, ranges, steps; 5 or 6 fields)
// matched on a UTC wall clock without croner: a croner instance costs ~60 µs
// and ~80 KB to build, which 100,000 distinct patterns cannot afford, and its
// zoned step ~60 µs. A compact pattern is 196 bytes and a step a few µs.
// Anything else (names, L, W, #, aliases, year fields) returns undefined from
// parseCompactPattern and stays with croner; so do DST-adjacent spans (see
// slot-calculator.ts). Same meaning as croner's: a day matches when the
// day-of-month OR the day-of-week matches, unless one of them is `*` or `?`.
// Pure: instants are UTC epoch ms.

export interface CompactPattern {
  /** Flags: seconds 0-59, minutes 60-119, hours 120-143, days 144-175 (1-31), months 176-187 (1-12), weekdays 188-195 (0-7, 7 folded into 0). */
  readonly bits: Uint8Array;
  /** Day-of-month / day-of-week written as `*` (or `?`): only the other one restricts days. */
  readonly anyDom: boolean;
  readonly anyDow: boolean;
}

const SEC = 0;
const MIN = 60;
const HOUR = 120;
const DOM = 144;
const MON = 176;
const DOW = 188;
/** How far a search looks before it gives up (then croner decides). */
const SEARCH_YEARS = 5;

/** The compact form of `pattern`, or undefined when it uses anything beyond numbers, `*`, `?`, `,`, `-`, `/`. */
export function parseCompactPattern(pattern: string): CompactPattern | undefined {
  const fields = pattern.trim().split(/\s+/);
  if (fields.length === 5) fields.unshift('0');
  if (fields.length !== 6) return undefined;
  const bits = new Uint8Array(196);
  const [sec, min, hour, dom, mon, dow] = fields as [string, string, string, string, string, string];
  if (
    !setField(bits, SEC, sec, 0, 59, false) ||
    !setField(bits, MIN, min, 0, 59, false) ||
    !setField(bits, HOUR, hour, 0, 23, false) ||
    !setField(bits, DOM - 1, dom, 1, 31, true) ||
    !setField(bits, MON - 1, mon, 1, 12, false) ||
    !setField(bits, DOW, dow, 0, 7, true)
  ) {
    return undefined;
  }
  if (bits[DOW + 7]) bits[DOW] = 1; // 7 is Sunday too
  bits[DOW + 7] = 0;
  return { bits, anyDom: dom === '*' || dom === '?', anyDow: dow === '*' || dow === '?' };
}

/** Sets the flags of one field; false when it is not in the compact subset or is out of range. */
function setField(
  bits: Uint8Array,
  base: number,
  text: string,
  lo: number,
  hi: number,
  question: boolean,
): boolean {
  for (const part of text.split(',')) {
    const m = /^(\*|\d+|\d+-\d+)(?:\/(\d+))?$/.exec(part) ?? (question && part === '?' ? ['?', '*'] : null);
    if (!m) return false;
    const range = m[1]!;
    const step = m[2] === undefined ? 1 : Number(m[2]);
    // croner refuses a step after a plain number (`5/10`) and a step longer than the field.
    const values = hi === 7 ? 7 : hi - lo + 1;
    if (m[2] !== undefined && /^\d+$/.test(range)) return false;
    let from: number;
    let to: number;
    if (range === '*') [from, to] = [lo, hi === 7 ? 6 : hi];
    else if (range.includes('-')) [from, to] = range.split('-').map(Number) as [number, number];
    else [from, to] = [Number(range), Number(range)];
    if (step < 1 || step > values || from < lo || to > hi || from > to) return false;
    for (let v = from; v <= to; v += step) bits[base + v] = 1;
  }
  return true;
}

function dayMatches(p: CompactPattern, year: number, month: number, day: number): boolean {
  const dom = p.bits[DOM + day - 1] === 1;
  if (p.anyDom && p.anyDow) return true;
  const dow = p.bits[DOW + new Date(Date.UTC(year, month, day)).getUTCDay()] === 1;
  if (p.anyDom) return dow;
  if (p.anyDow) return dom;
  return dom || dow;
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
}

/** First index >= from (and <= to) whose flag is set, or -1. */
function firstSet(bits: Uint8Array, base: number, from: number, to: number): number {
  for (let v = from; v <= to; v++) if (bits[base + v]) return v;
  return -1;
}

/** Last index <= from (and >= to) whose flag is set, or -1. */
function lastSet(bits: Uint8Array, base: number, from: number, to: number): number {
  for (let v = from; v >= to; v--) if (bits[base + v]) return v;
  return -1;
}

/** The first matching whole second strictly after `afterMs` (UTC wall clock), or undefined within the search horizon. */
export function compactNext(p: CompactPattern, afterMs: number): number | undefined {
  const start = new Date(Math.floor(afterMs / 1000) * 1000 + 1000);
  let y = start.getUTCFullYear();
  let mo = start.getUTCMonth();
  let d = start.getUTCDate();
  let h = start.getUTCHours();
  let mi = start.getUTCMinutes();
  let s = start.getUTCSeconds();
  const lastYear = y + SEARCH_YEARS;
  const { bits } = p;
  while (y <= lastYear) {
    if (!bits[MON + mo]) {
      [y, mo, d, h, mi, s] = mo === 11 ? [y + 1, 0, 1, 0, 0, 0] : [y, mo + 1, 1, 0, 0, 0];
      continue;
    }
    if (d > daysIn(y, mo) || !dayMatches(p, y, mo, d)) {
      if (d >= daysIn(y, mo)) [y, mo, d] = mo === 11 ? [y + 1, 0, 1] : [y, mo + 1, 1];
      else d++;
      [h, mi, s] = [0, 0, 0];
      continue;
    }
    const hh = firstSet(bits, HOUR, h, 23);
    if (hh < 0) {
      d++;
      [h, mi, s] = [0, 0, 0];
      continue;
    }
    if (hh !== h) [h, mi, s] = [hh, 0, 0];
    const mm = firstSet(bits, MIN, mi, 59);
    if (mm < 0) {
      [h, mi, s] = [h + 1, 0, 0];
      if (h === 24) [d, h] = [d + 1, 0];
      continue;
    }
    if (mm !== mi) [mi, s] = [mm, 0];
    const ss = firstSet(bits, SEC, s, 59);
    if (ss < 0) {
      [mi, s] = [mi + 1, 0];
      if (mi === 60) [h, mi] = [h + 1, 0];
      if (h === 24) [d, h] = [d + 1, 0];
      continue;
    }
    return Date.UTC(y, mo, d, h, mi, ss);
  }
  return undefined;
}

/** The last matching whole second strictly before `beforeMs` (UTC wall clock), or undefined within the search horizon. */
export function compactPrevious(p: CompactPattern, beforeMs: number): number | undefined {
  const start = new Date(Math.ceil(beforeMs / 1000) * 1000 - 1000);
  let y = start.getUTCFullYear();
  let mo = start.getUTCMonth();
  let d = start.getUTCDate();
  let h = start.getUTCHours();
  let mi = start.getUTCMinutes();
  let s = start.getUTCSeconds();
  const firstYear = y - SEARCH_YEARS;
  const { bits } = p;
  const endOfPreviousMonth = () => {
    [y, mo] = mo === 0 ? [y - 1, 11] : [y, mo - 1];
    [d, h, mi, s] = [daysIn(y, mo), 23, 59, 59];
  };
  while (y >= firstYear) {
    if (!bits[MON + mo]) {
      endOfPreviousMonth();
      continue;
    }
    if (!dayMatches(p, y, mo, d)) {
      if (d <= 1) endOfPreviousMonth();
      else [d, h, mi, s] = [d - 1, 23, 59, 59];
      continue;
    }
    const hh = lastSet(bits, HOUR, h, 0);
    if (hh < 0) {
      if (d <= 1) endOfPreviousMonth();
      else [d, h, mi, s] = [d - 1, 23, 59, 59];
      continue;
    }
    if (hh !== h) [h, mi, s] = [hh, 59, 59];
    const mm = lastSet(bits, MIN, mi, 0);
    if (mm < 0) {
      if (h === 0) {
        if (d <= 1) endOfPreviousMonth();
        else [d, h, mi, s] = [d - 1, 23, 59, 59];
      } else [h, mi, s] = [h - 1, 59, 59];
      continue;
    }
    if (mm !== mi) [mi, s] = [mm, 59];
    const ss = lastSet(bits, SEC, s, 0);
    if (ss < 0) {
      if (mi > 0) [mi, s] = [mi - 1, 59];
      else if (h > 0) [h, mi, s] = [h - 1, 59, 59];
      else if (d > 1) [d, h, mi, s] = [d - 1, 23, 59, 59];
      else endOfPreviousMonth();
      continue;
    }
    return Date.UTC(y, mo, d, h, mi, ss);
  }
  return undefined;
}
