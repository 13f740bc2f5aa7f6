// systemd calendar events (OnCalendar=, systemd.time(7)) read as systemd 252
// reads them (src/shared/calendarspec.c), and written as a cronkeeper pattern
// where one means exactly the same instants. An event is
// `[WEEKDAYS] [[YEAR-]MONTH-DAY] [HOUR:MINUTE[:SECOND]] [ZONE]`: each
// component `*`, or a list of `value[..stop][/repeat]`; `~` counts days from
// the end of the month; a day matches when its weekday AND its date match.
// Pure.
import { isValidTimeZone } from '../schedule/cron-calculator.js';

/** `start`, `start..stop` (repeat 1) or `start[..stop]/repeat`; stop -1: up to the field's end. Seconds are in µs. */
interface Component {
  start: number;
  stop: number;
  repeat: number;
}

/** A parsed event; a null chain is `*`. */
export interface CalendarEvent {
  /** Bit 0 Monday ... bit 6 Sunday; -1 any day. */
  weekdays: number;
  year: Component[] | null;
  month: Component[] | null;
  day: Component[] | null;
  hour: Component[] | null;
  minute: Component[] | null;
  second: Component[];
  /** `~`: days counted from the end of the month, 1 the last. */
  endOfMonth: boolean;
  /** The zone after the event (`UTC` for a ` UTC` suffix), else the host's local time. */
  zone: string | undefined;
  /** `@SECONDS`: one instant. */
  timestamp: boolean;
}

const USEC = 1_000_000;
const WEEKDAY_NAMES: Array<[string, number]> = [
  ['Monday', 0],
  ['Mon', 0],
  ['Tuesday', 1],
  ['Tue', 1],
  ['Wednesday', 2],
  ['Wed', 2],
  ['Thursday', 3],
  ['Thu', 3],
  ['Friday', 4],
  ['Fri', 4],
  ['Saturday', 5],
  ['Sat', 5],
  ['Sunday', 6],
  ['Sun', 6],
];

/** The shorthands, as the events they stand for. */
const SHORTHANDS: Record<string, string> = {
  minutely: '*-*-* *:*:00',
  hourly: '*-*-* *:00:00',
  daily: '*-*-* 00:00:00',
  monthly: '*-*-01 00:00:00',
  weekly: 'Mon *-*-* 00:00:00',
  yearly: '*-01-01 00:00:00',
  annually: '*-01-01 00:00:00',
  anually: '*-01-01 00:00:00',
  quarterly: '*-01,04,07,10-01 00:00:00',
  semiannually: '*-01,07-01 00:00:00',
  'semi-annually': '*-01,07-01 00:00:00',
  biannually: '*-01,07-01 00:00:00',
  'bi-annually': '*-01,07-01 00:00:00',
};

class Cursor {
  constructor(
    readonly text: string,
    public at = 0,
  ) {}
  peek(): string {
    return this.text[this.at] ?? '';
  }
}

function parseDecimal(c: Cursor, usec: boolean): number | undefined {
  const m = /^\d+/.exec(c.text.slice(c.at));
  if (!m) return undefined;
  c.at += m[0].length;
  let value = Number(m[0]) * (usec ? USEC : 1);
  // One "." is a decimal point, but ".." separates a range.
  if (usec && c.peek() === '.' && c.text[c.at + 1] !== '.') {
    const f = /^\.(\d+)/.exec(c.text.slice(c.at));
    if (!f) return undefined;
    c.at += f[0].length;
    value += Math.floor(Number(`0.${f[1]}`) * USEC);
  }
  return value;
}

/** A chain at the cursor: `*` (null) or components separated by commas. */
function parseChain(c: Cursor, usec: boolean): Component[] | null | undefined {
  if (c.peek() === '*') {
    c.at++;
    return usec ? [{ start: 0, stop: -1, repeat: USEC }] : null;
  }
  const chain: Component[] = [];
  for (;;) {
    const start = parseDecimal(c, usec);
    if (start === undefined) return undefined;
    let stop = -1;
    let repeat = 0;
    if (c.text.startsWith('..', c.at)) {
      c.at += 2;
      const s = parseDecimal(c, usec);
      if (s === undefined) return undefined;
      stop = s;
      repeat = usec ? USEC : 1;
    }
    if (c.peek() === '/') {
      c.at++;
      const r = parseDecimal(c, usec);
      if (r === undefined || r === 0) return undefined;
      repeat = r;
    }
    if (!['', ' ', ',', '-', '~', ':'].includes(c.peek())) return undefined;
    chain.push({ start, stop, repeat });
    if (c.peek() !== ',') return chain;
    c.at++;
  }
}

/** The weekdays at the start of the event, if any: a bit mask, or undefined when they cannot be read. */
function parseWeekdays(c: Cursor): number | undefined {
  let bits = 0;
  // The first day of an open range (`Mon..`), -1 when none is open.
  let from = -1;
  for (let first = true; ; first = false) {
    const rest = c.text.slice(c.at).toLowerCase();
    const hit = WEEKDAY_NAMES.find(([name]) => rest.startsWith(name.toLowerCase()));
    if (!hit) return first ? 0 : undefined;
    const [name, nr] = hit;
    c.at += name.length;
    if (!['', '-', '.', ',', ' '].includes(c.peek())) return undefined;
    bits |= 1 << nr;
    if (from >= 0) {
      if (from > nr) return undefined;
      for (let j = from + 1; j < nr; j++) bits |= 1 << j;
    }
    if (c.peek() === '') return bits;
    if (c.peek() === ' ') {
      while (c.peek() === ' ') c.at++;
      return bits;
    }
    if (c.peek() === '.' || c.peek() === '-') {
      // `..`, or `-` as older systemd wrote a range; a range cannot continue another.
      if (from >= 0 || (c.peek() === '.' && c.text[c.at + 1] !== '.')) return undefined;
      from = nr;
      c.at += c.peek() === '.' ? 2 : 1;
    } else {
      from = -1;
      c.at++;
    }
    // A trailing comma is allowed, an open range is not.
    if (c.peek() === '' || c.peek() === ' ') {
      while (c.peek() === ' ') c.at++;
      return from < 0 ? bits : undefined;
    }
  }
}

/** The event `text`, or why systemd would refuse it. */
export function parseCalendarEvent(text: string): CalendarEvent | string {
  const refused = `'${text}' is not a calendar event systemd accepts (see systemd.time(7), or try systemd-analyze calendar)`;
  let body = text.trim();
  let zone: string | undefined;
  if (/ utc$/i.test(body)) {
    zone = 'UTC';
    body = body.slice(0, -4);
  } else {
    const last = body.lastIndexOf(' ');
    const word = body.slice(last + 1);
    if (last > 0 && isValidTimeZone(word)) {
      zone = word;
      body = body.slice(0, last);
    }
  }
  body = SHORTHANDS[body.toLowerCase()] ?? body;
  const event: CalendarEvent = {
    weekdays: -1,
    year: null,
    month: null,
    day: null,
    hour: null,
    minute: null,
    second: [{ start: 0, stop: -1, repeat: 0 }],
    endOfMonth: false,
    zone,
    timestamp: false,
  };
  if (body === '') return refused;
  const c = new Cursor(body);
  const weekdays = parseWeekdays(c);
  if (weekdays === undefined) return refused;
  event.weekdays = weekdays <= 0 || weekdays >= 127 ? -1 : weekdays;
  if (c.peek() === '@') {
    event.timestamp = true;
    return /^@\d+$/.test(body.slice(c.at)) ? event : refused;
  }
  // The date, when the first chain is followed by - or ~ (else it was the hour).
  const start = c.at;
  if (c.peek() !== '') {
    const first = parseChain(c, false);
    if (first === undefined) return refused;
    if (c.peek() === '-' || c.peek() === '~') {
      event.endOfMonth = c.peek() === '~';
      c.at++;
      const second = parseChain(c, false);
      if (second === undefined) return refused;
      if (c.peek() === '' || c.peek() === ' ') {
        [event.month, event.day] = [first, second];
      } else {
        if (event.endOfMonth || (c.peek() !== '-' && c.peek() !== '~')) return refused;
        event.endOfMonth = c.peek() === '~';
        c.at++;
        const third = parseChain(c, false);
        if (third === undefined || (c.peek() !== '' && c.peek() !== ' ')) return refused;
        [event.year, event.month, event.day] = [first, second, third];
      }
      while (c.peek() === ' ') c.at++;
    } else c.at = start;
  }
  // The time: none is 00:00:00; without seconds, second 0.
  if (c.peek() === '') {
    event.hour = [{ start: 0, stop: -1, repeat: 0 }];
    event.minute = [{ start: 0, stop: -1, repeat: 0 }];
  } else {
    const hour = parseChain(c, false);
    if (hour === undefined || c.peek() !== ':') return refused;
    event.hour = hour;
    c.at++;
    const minute = parseChain(c, false);
    if (minute === undefined) return refused;
    event.minute = minute;
    if (c.peek() === ':') {
      c.at++;
      const second = parseChain(c, true);
      if (second === undefined || second === null) return refused;
      event.second = second;
    }
    if (c.peek() !== '') return refused;
  }
  if (event.endOfMonth && event.day === null) event.endOfMonth = false;
  for (const y of event.year ?? []) {
    // Two-digit years: 12 is 2012, 89 is 1989.
    for (const k of ['start', 'stop'] as const) {
      if (y[k] >= 0 && y[k] < 70) y[k] += 2000;
      else if (y[k] >= 70 && y[k] < 100) y[k] += 1900;
    }
  }
  const valid =
    chainValid(event.year, 1970, 2199, false) &&
    chainValid(event.month, 1, 12, false) &&
    chainValid(event.day, 1, 31, event.endOfMonth) &&
    chainValid(event.hour, 0, 23, false) &&
    chainValid(event.minute, 0, 59, false) &&
    chainValid(event.second, 0, 60 * USEC - 1, false);
  return valid ? event : refused;
}

/** systemd's bounds on a chain (252): values in range, a repeat that fits once, no range backwards. */
function chainValid(chain: Component[] | null, from: number, to: number, endOfMonth: boolean): boolean {
  // Days from the end of the month go back at most 28.
  const top = endOfMonth ? to - 3 : to;
  return (chain ?? []).every((c) => {
    if (c.start < from || c.start > top || c.repeat > top - from) return false;
    if (c.stop >= 0) return c.stop >= from && c.stop <= top && c.start <= c.stop;
    return endOfMonth ? c.start - c.repeat >= from : c.start + c.repeat <= top;
  });
}

/** The values a chain matches within [min, max]; undefined for `*`. */
function chainValues(chain: Component[] | null, min: number, max: number): number[] | undefined {
  if (chain === null) return undefined;
  const values = new Set<number>();
  for (const c of chain) {
    const last = c.stop >= 0 ? Math.min(c.stop, max) : c.repeat > 0 ? max : c.start;
    for (let v = c.start; v <= last; v += c.repeat > 0 ? c.repeat : last - v + 1) values.add(v);
  }
  return [...values].filter((v) => v >= min && v <= max).sort((a, b) => a - b);
}

/**
 * A cron field for `values` of [min, max]: `*` for all of them, `*\/s` or
 * `a-b/s` for a progression of three or more, else a list of values and of
 * runs `a-b`.
 */
export function cronField(values: readonly number[], min: number, max: number): string {
  if (values.length === max - min + 1) return '*';
  const step = values.length >= 3 ? values[1]! - values[0]! : 0;
  if (step > 1 && values.every((v, i) => i === 0 || v - values[i - 1]! === step)) {
    const last = values.at(-1)!;
    return values[0] === min && last + step > max ? `*/${step}` : `${values[0]}-${last}/${step}`;
  }
  const parts: string[] = [];
  for (let i = 0; i < values.length;) {
    let j = i;
    while (j + 1 < values.length && values[j + 1] === values[j]! + 1) j++;
    if (j - i >= 2) parts.push(`${values[i]}-${values[j]}`);
    else for (let k = i; k <= j; k++) parts.push(String(values[k]));
    i = j + 1;
  }
  return parts.join(',');
}

/**
 * The cronkeeper pattern that matches the same wall-clock instants as the
 * event, or why there is none. Seconds other than 0 give 6 fields. A day
 * restricted by both weekday and date is written with croner's `+` (AND), as
 * systemd means it; `~1` (the last day) is `L`.
 */
export function calendarPattern(event: CalendarEvent): { pattern: string } | { unsupported: string } {
  if (event.timestamp) return { unsupported: 'one instant (@SECONDS): cronkeeper has no one-off jobs' };
  const years = chainValues(event.year, 1970, 2199);
  if (years !== undefined && years.length < 2199 - 1970 + 1) {
    return {
      unsupported: `it names years (${years.slice(0, 3).join(', ')}...): a cron pattern repeats every year`,
    };
  }
  const fractional = event.second.some(
    (c) => c.start % USEC !== 0 || c.repeat % USEC !== 0 || c.stop % USEC > 0,
  );
  if (fractional) return { unsupported: 'fractions of a second: cronkeeper schedules whole seconds' };
  const seconds = chainValues(
    event.second.map((c) => ({
      start: c.start / USEC,
      stop: c.stop < 0 ? -1 : c.stop / USEC,
      repeat: c.repeat / USEC,
    })),
    0,
    59,
  )!;
  let day = '*';
  if (event.endOfMonth) {
    // `~1` (with any repeat, which goes past the month's end) is the last day; other distances have no cron field.
    const last = event.day!.every((c) => c.start === 1 && (c.stop < 0 || c.stop === 1));
    if (!last) {
      return {
        unsupported:
          'days counted from the end of the month other than the last (~01): a cronkeeper pattern names only the last day (L)',
      };
    }
    day = 'L';
  } else {
    const days = chainValues(event.day, 1, 31);
    if (days !== undefined) day = cronField(days, 1, 31);
  }
  let weekday = '*';
  if (event.weekdays > 0) {
    // systemd's bit 0 is Monday; cron's 0 is Sunday.
    const cron = [0, 1, 2, 3, 4, 5, 6].filter((d) => event.weekdays & (1 << ((d + 6) % 7)));
    // Both day fields restricted: croner's `+` makes the day match both, as systemd does.
    weekday = (day === '*' ? '' : '+') + cronField(cron, 0, 6);
  }
  const fields = [
    cronField(chainValues(event.minute, 0, 59) ?? range(0, 59), 0, 59),
    cronField(chainValues(event.hour, 0, 23) ?? range(0, 23), 0, 23),
    day,
    cronField(chainValues(event.month, 1, 12) ?? range(1, 12), 1, 12),
    weekday,
  ];
  if (seconds.length === 0) return { unsupported: 'no whole second matches' };
  const withSeconds =
    seconds.length === 1 && seconds[0] === 0 ? fields : [cronField(seconds, 0, 59), ...fields];
  return { pattern: withSeconds.join(' ') };
}

function range(min: number, max: number): number[] {
  return Array.from({ length: max - min + 1 }, (_, i) => min + i);
}
