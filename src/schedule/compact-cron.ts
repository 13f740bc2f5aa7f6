// The common cron patterns (numbers, `*`, lists, ranges, steps; 5 or 6 fields)
// matched on a UTC wall clock without croner: a croner instance is costly to
// build and to hold (its year table), which 100,000 distinct patterns cannot
// afford, and its zoned step is slow. A compact pattern is ten small integers
// and its step is cheap (BENCHMARKS.md, "Measurements behind the code"). Anything else (names, L, W, #, aliases, year fields) returns
// undefined from parseCompactPattern and stays with croner; so do DST-adjacent
// spans (see slot-calculator.ts). Same meaning as croner's: a day matches when
// the day-of-month OR the day-of-week matches, unless one of them is `*` or `?`.
// Pure: instants are UTC epoch ms.
//
// Each field is a bit mask: bit v set when value v matches. Masks stay within
// 30 bits so that V8 keeps them as small integers inside the object: seconds,
// minutes and days of the month (values up to 59) take two masks each, values
// 0-29 and 30-59.

/** The matching values of each field as bit masks (see above); flags: ANY_DOM | ANY_DOW. */
export class CompactPattern {
  constructor(
    readonly sec0: number,
    readonly sec1: number,
    readonly min0: number,
    readonly min1: number,
    readonly hours: number,
    readonly dom0: number,
    readonly dom1: number,
    readonly months: number,
    readonly weekdays: number,
    readonly flags: number,
  ) {}
}

/** Day-of-month / day-of-week written as `*` (or `?`): only the other one restricts days. */
const ANY_DOM = 1;
const ANY_DOW = 2;
/** How far a search looks before it gives up (then croner decides). */
const SEARCH_YEARS = 5;

/** The compact form of `pattern`, or undefined when it uses anything beyond numbers, `*`, `?`, `,`, `-`, `/`. */
export function parseCompactPattern(pattern: string): CompactPattern | undefined {
  // By hand and without allocating: this runs once per distinct pattern of a
  // config (100,000 of them), where splits, regexes and closures showed in profiles.
  let n = 0;
  for (let i = 0; i < pattern.length;) {
    while (i < pattern.length && isSpace(pattern.charCodeAt(i))) i++;
    if (i === pattern.length) break;
    if (n === 6) return undefined;
    bounds[2 * n] = i;
    while (i < pattern.length && !isSpace(pattern.charCodeAt(i))) i++;
    bounds[2 * n + 1] = i;
    n++;
  }
  if (n !== 5 && n !== 6) return undefined;
  const f = n === 6 ? 0 : -1; // index of the seconds field (-1: absent, second 0)
  if (f < 0) {
    masks[0] = 1;
    masks[1] = 0;
  } else if (!parseField(pattern, f, 0, 0, 59, false)) return undefined;
  if (
    !parseField(pattern, f + 1, 1, 0, 59, false) ||
    !parseField(pattern, f + 2, 2, 0, 23, false) ||
    !parseField(pattern, f + 3, 3, 1, 31, true) ||
    !parseField(pattern, f + 4, 4, 1, 12, false) ||
    !parseField(pattern, f + 5, 5, 0, 7, true)
  ) {
    return undefined;
  }
  // 7 is Sunday too.
  const dow = masks[10]!;
  return new CompactPattern(
    masks[0]!,
    masks[1]!,
    masks[2]!,
    masks[3]!,
    masks[4]!,
    masks[6]!,
    masks[7]!,
    masks[8]!,
    (dow & 0x7f) | ((dow >> 7) & 1),
    (any[3] ? ANY_DOM : 0) | (any[5] ? ANY_DOW : 0),
  );
}

// The parser's scratch space (it runs to completion, never reentered):
// each field's [start, end) in the pattern, its two masks, and whether it is `*` or `?` alone.
const bounds = new Int32Array(12);
const masks = new Int32Array(12);
const any = new Uint8Array(6);

function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

const COMMA = 44;
const DASH = 45;
const SLASH = 47;
const STAR = 42;
const QUESTION = 63;

/** Where the number read by readNumber ended. */
let cursor = 0;

/** The number at pattern[at, to), or -1 (also for one over 1000); sets `cursor` past its digits. */
function readNumber(pattern: string, at: number, to: number): number {
  let v = -1;
  let i = at;
  for (; i < to; i++) {
    const c = pattern.charCodeAt(i);
    if (c < 48 || c > 57) break;
    v = v < 0 ? c - 48 : v * 10 + (c - 48);
    if (v > 1000) return -1;
  }
  cursor = i;
  return v;
}

/**
 * Field `k` of the pattern (see `bounds`) into masks[2 * slot], masks[2 * slot + 1]
 * and any[slot]: a comma-separated list of `*`, `n`, `a-b`, each with an optional
 * `/step` (not after a plain number), or `?` alone where `question`. False when
 * it is anything else or out of [lo, hi].
 */
function parseField(
  pattern: string,
  k: number,
  slot: number,
  lo: number,
  hi: number,
  question: boolean,
): boolean {
  const from = bounds[2 * k]!;
  const to = bounds[2 * k + 1]!;
  masks[2 * slot] = 0;
  masks[2 * slot + 1] = 0;
  const single = to - from === 1 ? pattern.charCodeAt(from) : -1;
  any[slot] = single === STAR || (question && single === QUESTION) ? 1 : 0;
  if (question && single === QUESTION) {
    setRange(slot, lo, hi === 7 ? 6 : hi, 1);
    return true;
  }
  let i = from;
  for (;;) {
    let a: number;
    let b: number;
    let plain = false;
    if (pattern.charCodeAt(i) === STAR) {
      i++;
      a = lo;
      b = hi === 7 ? 6 : hi;
    } else {
      a = readNumber(pattern, i, to);
      i = cursor;
      if (a < 0) return false;
      b = a;
      plain = true;
      if (i < to && pattern.charCodeAt(i) === DASH) {
        b = readNumber(pattern, i + 1, to);
        i = cursor;
        if (b < 0) return false;
        plain = false;
      }
    }
    let step = 1;
    if (i < to && pattern.charCodeAt(i) === SLASH) {
      step = readNumber(pattern, i + 1, to);
      i = cursor;
      // croner refuses a step after a plain number (`5/10`) and a step longer than the field.
      if (step < 1 || plain || step > (hi === 7 ? 7 : hi - lo + 1)) return false;
    }
    if (a < lo || b > hi || a > b) return false;
    setRange(slot, a, b, step);
    if (i === to) return true;
    if (pattern.charCodeAt(i) !== COMMA) return false;
    i++;
  }
}

function setRange(slot: number, from: number, to: number, step: number): void {
  for (let v = from; v <= to; v += step) {
    const m = v < 30 ? 2 * slot : 2 * slot + 1;
    masks[m] = masks[m]! | (1 << (v < 30 ? v : v - 30));
  }
}

/** Bit v of a field held in two masks. */
function has(mask0: number, mask1: number, v: number): boolean {
  return ((v < 30 ? mask0 >>> v : mask1 >>> (v - 30)) & 1) === 1;
}

/** The lowest set bit of `mask` at or above `from` (and at most `to`), or -1. */
function firstSet(mask: number, from: number, to: number): number {
  const m = from > 31 ? 0 : (mask >>> from) << from;
  if (m === 0) return -1;
  const v = 31 - Math.clz32(m & -m);
  return v <= to ? v : -1;
}

/** The highest set bit of `mask` at or below `from` (and at least `to`), or -1. */
function lastSet(mask: number, from: number, to: number): number {
  if (from < 0) return -1;
  const m = from >= 31 ? mask : mask & ((1 << (from + 1)) - 1);
  if (m === 0) return -1;
  const v = 31 - Math.clz32(m);
  return v >= to ? v : -1;
}

/** firstSet over a field of two masks (values 0-59). */
function firstSet60(mask0: number, mask1: number, from: number): number {
  if (from < 30) {
    const v = firstSet(mask0, from, 29);
    if (v >= 0) return v;
    from = 30;
  }
  const v = firstSet(mask1, from - 30, 29);
  return v < 0 ? -1 : v + 30;
}

/** lastSet over a field of two masks (values 0-59). */
function lastSet60(mask0: number, mask1: number, from: number): number {
  if (from >= 30) {
    const v = lastSet(mask1, from - 30, 0);
    if (v >= 0) return v + 30;
    from = 29;
  }
  return lastSet(mask0, from, 0);
}

const DAY_MS = 86_400_000;

function dayMatches(p: CompactPattern, year: number, month: number, day: number): boolean {
  const anyDom = (p.flags & ANY_DOM) !== 0;
  const anyDow = (p.flags & ANY_DOW) !== 0;
  if (anyDom && anyDow) return true;
  const dom = has(p.dom0, p.dom1, day);
  // 1970-01-01 was a Thursday (4).
  const weekday = (Math.floor(Date.UTC(year, month, day) / DAY_MS) + 4) % 7;
  const dow = ((p.weekdays >>> (weekday < 0 ? weekday + 7 : weekday)) & 1) === 1;
  if (anyDom) return dow;
  if (anyDow) return dom;
  return dom || dow;
}

function daysIn(year: number, month: number): number {
  if (month !== 1) return month === 3 || month === 5 || month === 8 || month === 10 ? 30 : 31;
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
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
  while (y <= lastYear) {
    if (((p.months >>> (mo + 1)) & 1) === 0) {
      if (mo === 11) {
        y++;
        mo = 0;
      } else mo++;
      d = 1;
      h = mi = s = 0;
      continue;
    }
    const days = daysIn(y, mo);
    if (d > days || !dayMatches(p, y, mo, d)) {
      if (d >= days) {
        d = 1;
        if (mo === 11) {
          y++;
          mo = 0;
        } else mo++;
      } else d++;
      h = mi = s = 0;
      continue;
    }
    const hh = firstSet(p.hours, h, 23);
    if (hh < 0) {
      d++;
      h = mi = s = 0;
      continue;
    }
    if (hh !== h) {
      h = hh;
      mi = s = 0;
    }
    const mm = firstSet60(p.min0, p.min1, mi);
    if (mm < 0) {
      h++;
      mi = s = 0;
      if (h === 24) {
        d++;
        h = 0;
      }
      continue;
    }
    if (mm !== mi) {
      mi = mm;
      s = 0;
    }
    const ss = firstSet60(p.sec0, p.sec1, s);
    if (ss < 0) {
      mi++;
      s = 0;
      if (mi === 60) {
        h++;
        mi = 0;
      }
      if (h === 24) {
        d++;
        h = 0;
      }
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
  while (y >= firstYear) {
    const monthMatches = ((p.months >>> (mo + 1)) & 1) === 1;
    if (!monthMatches) d = 1; // none of this month: on to the end of the month before (below)
    if (!monthMatches || !dayMatches(p, y, mo, d)) h = -1;
    const hh = h < 0 ? -1 : lastSet(p.hours, h, 0);
    if (hh < 0) {
      h = -1; // the end of the day before (below)
    } else {
      if (hh !== h) {
        h = hh;
        mi = s = 59;
      }
      const mm = lastSet60(p.min0, p.min1, mi);
      if (mm >= 0) {
        if (mm !== mi) {
          mi = mm;
          s = 59;
        }
        const ss = lastSet60(p.sec0, p.sec1, s);
        if (ss >= 0) return Date.UTC(y, mo, d, h, mi, ss);
        mi--;
        s = 59;
      } else {
        mi = -1;
      }
      if (mi < 0) {
        h--;
        mi = s = 59;
      }
    }
    if (h < 0) {
      if (d <= 1) {
        if (mo === 0) {
          y--;
          mo = 11;
        } else mo--;
        d = daysIn(y, mo);
      } else d--;
      h = 23;
      mi = s = 59;
    }
  }
  return undefined;
}
