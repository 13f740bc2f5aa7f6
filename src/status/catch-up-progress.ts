// A long catch-up's progress, for the systemd STATUS line, `status` and the
// page: runs done of the total, the rate so far and the time it would take at
// that rate. Pure: the instants are given.
import { formatDuration } from '../schedule/duration.js';

export interface CatchUpProgress {
  done: number;
  total: number;
  /** When the catch-up began (UTC ms). */
  startedAtMs: number;
}

export interface CatchUpFigures {
  done: number;
  total: number;
  /** Runs done per second so far; null before the first second or the first run. */
  ratePerSecond: number | null;
  /** At that rate, how long the rest takes (ms); null when there is no rate. */
  leftMs: number | null;
}

export function catchUpFigures(p: CatchUpProgress, nowMs: number): CatchUpFigures {
  const elapsedMs = nowMs - p.startedAtMs;
  const rate = elapsedMs >= 1_000 && p.done > 0 ? p.done / (elapsedMs / 1_000) : null;
  return {
    done: p.done,
    total: p.total,
    ratePerSecond: rate === null ? null : Math.round(rate * 10) / 10,
    leftMs: rate === null ? null : Math.round(((p.total - p.done) / rate) * 1_000),
  };
}

/** "catch-up 120/500 runs, 3.2/s, about 2m left". */
export function describeCatchUp(f: CatchUpFigures): string {
  const rate = f.ratePerSecond === null ? '' : `, ${f.ratePerSecond}/s`;
  const left =
    f.leftMs === null
      ? ''
      : `, about ${formatDuration(Math.max(1_000, Math.round(f.leftMs / 1_000) * 1_000))} left`;
  return `catch-up ${f.done}/${f.total} runs${rate}${left}`;
}
