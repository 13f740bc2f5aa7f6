// Where an imported pattern runs at other instants than the source system on
// the days a zone's clock skips ahead or goes back. cronkeeper's rule (docs/catch-up.md,
// "Time zones and DST"): a fixed-time pattern (no `*` or step in its second,
// minute and hour fields) runs once when the gap ends, and once in a repeated
// hour; an interval pattern skips the missing times and runs both copies of a
// repeated one. The source systems, checked against their code and, for
// systemd, against `systemd-analyze calendar` (252):
// - systemd skips a wall time that does not exist and runs a repeated wall
//   time once, the first time, whatever the pattern;
// - Kubernetes (robfig/cron, stepping the absolute clock hour by hour) skips
//   a missing wall time and runs a repeated one twice, whatever the pattern.
// Pure: the zone's transitions are looked up in a fixed span of years, and no
// clock is read.
import { cronSlots } from '../schedule/slot-calculator.js';
import { zoneOffsetMs } from '../schedule/zone-offset.js';

export type DstRule = 'systemd' | 'kubernetes';

/** The span searched for transitions, UTC: 2026 to 2035. */
const FROM_MS = Date.UTC(2026, 0, 1);
const TO_MS = Date.UTC(2036, 0, 1);
const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;

export interface Transition {
  /** The first instant (UTC ms) with the new offset. */
  atMs: number;
  /** Local wall time minus UTC (ms), before and after. */
  before: number;
  after: number;
}

/** Transitions by zone, kept for one import. */
export type ZoneTransitions = Map<string, Transition[]>;

/** The offset changes of `zone` in the span, oldest first; `cache` keeps them per zone for one import. */
export function zoneTransitions(zone: string, cache?: ZoneTransitions): Transition[] {
  const known = cache?.get(zone);
  if (known) return known;
  const found: Transition[] = [];
  let t = FROM_MS;
  let offset = zoneOffsetMs(zone, t);
  for (; t < TO_MS; t += DAY_MS) {
    const next = zoneOffsetMs(zone, t + DAY_MS);
    if (next === offset) continue;
    // Transitions fall on whole minutes: find the first minute with the new offset.
    let lo = t;
    let hi = t + DAY_MS;
    while (hi - lo > MINUTE_MS) {
      const mid = lo + Math.floor((hi - lo) / 2 / MINUTE_MS) * MINUTE_MS;
      if (zoneOffsetMs(zone, mid) === offset) lo = mid;
      else hi = mid;
    }
    found.push({ atMs: hi, before: offset, after: zoneOffsetMs(zone, hi) });
    offset = next;
  }
  cache?.set(zone, found);
  return found;
}

/** True when cronkeeper treats `pattern` as fixed-time: no `*` or `/` in its second, minute or hour field. */
export function isFixedTime(pattern: string): boolean {
  const fields = pattern.trim().split(/\s+/);
  const times = fields.length === 6 ? fields.slice(0, 3) : fields.slice(0, 2);
  return times.every((f) => !f.includes('*') && !f.includes('/'));
}

/** A wall time given as UTC ms of the wall clock: `2026-03-29` and `02:30` (`02:30:15` with seconds). */
function wallDate(wallMs: number): string {
  return new Date(wallMs).toISOString().slice(0, 10);
}
function wallTime(wallMs: number): string {
  const iso = new Date(wallMs).toISOString();
  return iso.slice(17, 19) === '00' ? iso.slice(11, 16) : iso.slice(11, 19);
}

/**
 * What differs, as sentences, between cronkeeper and `rule` for `pattern` in
 * `zone` on DST days: at most one for the days the clock skips ahead and one
 * for the days it goes back, each with the first such day of the span as an
 * example. Empty when nothing differs (a zone without DST, a pattern with no
 * time in a skipped or repeated hour).
 */
export function dstDifferences(
  pattern: string,
  zone: string,
  rule: DstRule,
  cache?: ZoneTransitions,
): string[] {
  const fixed = isFixedTime(pattern);
  // The pattern's wall times, found on a UTC calendar (wall clock = UTC there).
  const wall = cronSlots(pattern, 'UTC');
  const source = rule === 'systemd' ? 'systemd' : 'Kubernetes';
  let gap: string | undefined;
  let repeat: string | undefined;
  for (const t of zoneTransitions(zone, cache)) {
    const skipped = t.after > t.before;
    const start = t.atMs + (skipped ? t.before : t.after);
    const end = t.atMs + (skipped ? t.after : t.before);
    const hit = wall.next(start - 1);
    if (hit === undefined || hit >= end) continue;
    const span = `${wallDate(start)}, ${wallTime(start)} to ${wallTime(end)}`;
    if (skipped && gap === undefined && fixed) {
      gap =
        `on the days the clock skips ahead in ${zone} (e.g. ${span}), ${source} does not run ${wallTime(hit)}, ` +
        `which does not exist; cronkeeper runs it once, at ${wallTime(end)}`;
    }
    if (!skipped && repeat === undefined) {
      if (rule === 'systemd' && !fixed) {
        repeat =
          `on the days the clock goes back in ${zone} (e.g. ${span} twice), systemd runs ${wallTime(hit)} ` +
          'once; cronkeeper runs it at both times';
      } else if (rule === 'kubernetes' && fixed) {
        repeat =
          `on the days the clock goes back in ${zone} (e.g. ${span} twice), Kubernetes runs ${wallTime(hit)} ` +
          'at both times; cronkeeper once, the first time';
      }
    }
  }
  return [gap, repeat].filter((s): s is string => s !== undefined);
}
