// The common cron patterns (numbers, `*`, lists, ranges, steps; 5 or 6 fields)
// matched on a UTC wall clock without croner: a croner instance costs ~60 µs
// and ~80 KB to build, which 100,000 distinct patterns cannot afford, and its
// zoned step ~60 µs. A compact pattern is ten small integers (~50 bytes) and a
// step a few µs. Anything else (names, L, W, #, aliases, year fields) returns
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
  // Field boundaries, found by hand: this runs once per distinct pattern of a
  // config (100,000 of them), where a split and a regex per field showed in profiles.
  const starts: number[] = [];
  const ends: number[] = [];
  for (let i = 0; i < pattern.length;) {
    while (i < pattern.length && isSpace(pattern.charCodeAt(i))) i++;
    if (i === pattern.length) break;
    starts.push(i);
    while (i < pattern.length && !isSpace(pattern.charCodeAt(i))) i++;
    ends.push(i);
  }
  const n = starts.length;
  if (n !== 5 && n !== 6) return undefined;
  const f = n === 6 ? 0 : -1; // index of the seconds field (-1: absent, second 0)
  const field = (k: number, lo: number, hi: number, question: boolean): Field | undefined =>
    k < 0 ? { mask0: 1, mask1: 0, any: false } : parseField(pattern, starts[k]!, ends[k]!, lo, hi, question);
  const sec = field(f, 0, 59, false);
  const min = field(f + 1, 0, 59, false);
  const hour = field(f + 2, 0, 23, false);
  const dom = field(f + 3, 1, 31, true);
  const mon = field(f + 4, 1, 12, false);
  const dow = field(f + 5, 0, 7, true);
  if (!sec || !min || !hour || !dom || !mon || !dow) return undefined;
  // 7 is Sunday too.
  const weekdays = (dow.mask0 & 0x7f) | ((dow.mask0 >> 7) & 1);
  return new CompactPattern(
    sec.mask0,
    sec.mask1,
    min.mask0,
    min.mask1,
    hour.mask0,
    dom.mask0,
    dom.mask1,
    mon.mask0,
    weekdays,
    (dom.any ? ANY_DOM : 0) | (dow.any ? ANY_DOW : 0),
  );
}

interface Field {
  mask0: number;
  mask1: number;
  /** Written as `*` or `?` alone. */
  any: boolean;
}

function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

const COMMA = 44;
const DASH = 45;
const SLASH = 47;
const STAR = 42;
const QUESTION = 63;

/**
 * One field, pattern[from, to): a comma-separated list of `*`, `n`, `a-b`, each
 * with an optional `/step` (not after a plain number), or `?` alone where
 * `question`. Undefined when it is anything else or out of [lo, hi].
 */
function parseField(
  pattern: string,
  from: number,
  to: number,
  lo: number,
  hi: number,
  question: boolean,
): Field | undefined {
  const result: Field = { mask0: 0, mask1: 0, any: false };
  const single = to - from === 1 ? pattern.charCodeAt(from) : -1;
  if (single === STAR || (question && single === QUESTION)) result.any = true;
  if (question && single === QUESTION) {
    setRange(result, lo, hi === 7 ? 6 : hi, 1);
    return result;
  }
  let i = from;
  // A number at i, or -1; advances i past its digits.
  const number = (): number => {
    let v = -1;
    for (let c = pattern.charCodeAt(i); i < to && c >= 48 && c <= 57; c = pattern.charCodeAt(++i)) {
      v = v < 0 ? c - 48 : v * 10 + (c - 48);
      if (v > 1000) return -1;
    }
    return v;
  };
  for (;;) {
    let a: number;
    let b: number;
    let plain = false;
    if (pattern.charCodeAt(i) === STAR) {
      i++;
      a = lo;
      b = hi === 7 ? 6 : hi;
    } else {
      a = number();
      if (a < 0) return undefined;
      b = a;
      plain = true;
      if (i < to && pattern.charCodeAt(i) === DASH) {
        i++;
        b = number();
        if (b < 0) return undefined;
        plain = false;
      }
    }
    let step = 1;
    if (i < to && pattern.charCodeAt(i) === SLASH) {
      i++;
      step = number();
      // croner refuses a step after a plain number (`5/10`) and a step longer than the field.
      if (step < 1 || plain || step > (hi === 7 ? 7 : hi - lo + 1)) return undefined;
    }
    if (a < lo || b > hi || a > b) return undefined;
    setRange(result, a, b, step);
    if (i === to) return result;
    if (pattern.charCodeAt(i) !== COMMA) return undefined;
    i++;
  }
}

function setRange(field: Field, from: number, to: number, step: number): void {
  for (let v = from; v <= to; v += step) {
    if (v < 30) field.mask0 |= 1 << v;
    else field.mask1 |= 1 << (v - 30);
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
    // Each `continue` below moves to the end of an earlier month, day, hour or minute.
    if (((p.months >>> (mo + 1)) & 1) === 0 || !dayMatches(p, y, mo, d)) {
      if (((p.months >>> (mo + 1)) & 1) === 0 || d <= 1) {
        if (mo === 0) {
          y--;
          mo = 11;
        } else mo--;
        d = daysIn(y, mo);
      } else d--;
      h = 23;
      mi = s = 59;
      continue;
    }
    const hh = lastSet(p.hours, h, 0);
    if (hh < 0) {
      h = -1; // the day before (below)
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
