// Clock integrity: the wall clock (which schedules slots) checked against the
// monotonic clock (which NTP steps and VM resumes do not move) and against the
// database server's clock. A forward jump is downtime (the scheduler treats
// the slots it skipped as missed, by policy); a backward jump never re-runs a
// claimed slot (the state never goes backwards and the ledger's slot key
// refuses a second claim). Here the jumps are detected, logged with their
// size and counted; the skew against the database is exported and, past a
// threshold, logged.
//
// Times are milliseconds: wall = UTC epoch ms, monotonic = performance.now().
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { Clock } from '../runtime/clock.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Queryable } from '../store/db.js';
import { isoUtc } from '../text/iso-time.js';

/** A wall step smaller than this (ms) is timer and scheduling noise, not a jump. */
export const JUMP_TOLERANCE_MS = 1_000;
/** A skew against the database beyond this (ms, after the round trip's uncertainty) is logged. */
export const SKEW_THRESHOLD_MS = 2_000;
export const SAMPLE_EVERY_MS = 1_000;

export interface ClockSample {
  wallMs: number;
  monoMs: number;
}

export interface ClockJump {
  direction: 'forward' | 'backward';
  /** How far the wall clock moved beyond (forward) or against (backward) the monotonic clock, ms (> 0). */
  sizeMs: number;
}

/**
 * The jump between two samples: how much more (or less) the wall clock moved
 * than the monotonic clock. A suspended machine shows as a forward jump too
 * (its monotonic clock stood still): downtime either way.
 */
export function detectJump(
  prev: ClockSample,
  next: ClockSample,
  toleranceMs = JUMP_TOLERANCE_MS,
): ClockJump | undefined {
  const driftMs = next.wallMs - prev.wallMs - (next.monoMs - prev.monoMs);
  if (Math.abs(driftMs) < toleranceMs) return undefined;
  return { direction: driftMs > 0 ? 'forward' : 'backward', sizeMs: Math.abs(driftMs) };
}

export interface SkewEstimate {
  /** Local wall clock minus the database's clock, ms (positive: ours is ahead). */
  skewMs: number;
  /** Half the round trip: the database read its clock somewhere in it, so the skew is known to ± this. */
  uncertaintyMs: number;
  /** True when the skew is beyond `thresholdMs` even at the favourable end of the uncertainty. */
  beyond: boolean;
}

/**
 * The skew of the local wall clock against the database's, read between two
 * local readings (`beforeMs`, `afterMs`): the database's reading is compared
 * with the midpoint of the round trip.
 */
export function estimateSkew(
  beforeMs: number,
  dbNowMs: number,
  afterMs: number,
  thresholdMs = SKEW_THRESHOLD_MS,
): SkewEstimate {
  const uncertaintyMs = Math.max(0, afterMs - beforeMs) / 2;
  const skewMs = (beforeMs + afterMs) / 2 - dbNowMs;
  return { skewMs, uncertaintyMs, beyond: Math.abs(skewMs) - uncertaintyMs > thresholdMs };
}

export interface ClockWatchOptions {
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  /** The monotonic clock, ms (tests inject one). */
  monotonic?: () => number;
  sampleEveryMs?: number;
  skewThresholdMs?: number;
}

export class ClockWatch {
  private last: ClockSample | undefined;
  private timer: NodeJS.Timeout | undefined;
  private skewLogged = false;
  private readonly monotonic: () => number;

  constructor(private readonly o: ClockWatchOptions) {
    this.monotonic = o.monotonic ?? (() => performance.now());
  }

  start(): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.o.sampleEveryMs ?? SAMPLE_EVERY_MS);
    this.timer.unref();
    return this;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Compares the clocks now with the previous sample; returns the jump it logged, if any. */
  sample(): ClockJump | undefined {
    const next = { wallMs: this.o.clock.now(), monoMs: this.monotonic() };
    const prev = this.last;
    this.last = next;
    const jump = prev && detectJump(prev, next);
    if (!jump) return undefined;
    this.o.metrics.clockJumps.inc({ direction: jump.direction });
    const fields = { jumpMs: Math.round(jump.sizeMs), from: isoUtc(prev.wallMs), to: isoUtc(next.wallMs) };
    if (jump.direction === 'forward') {
      this.o.logger.warn(
        fields,
        'wall clock jumped forward (or the machine was suspended): the slots in between are missed slots, run or left out by each job’s catch-up policy',
      );
    } else {
      this.o.logger.warn(
        fields,
        'wall clock jumped backward: no claimed slot runs again; each job resumes after its newest claimed slot',
      );
    }
    return jump;
  }

  /** Reads the database's clock (one statement; the store's probe), exports the skew, logs it past the threshold. */
  async checkDatabase(db: Queryable): Promise<SkewEstimate> {
    const beforeMs = this.o.clock.now();
    const rows = await db.query<{ now: Date }>('SELECT clock_timestamp() AS now');
    const afterMs = this.o.clock.now();
    const dbNow = rows[0]?.now;
    if (!(dbNow instanceof Date)) throw new Error('the database returned no clock reading');
    const skew = estimateSkew(beforeMs, dbNow.getTime(), afterMs, this.o.skewThresholdMs);
    this.o.metrics.clockSkew.set(skew.skewMs / 1000);
    const fields = {
      skewMs: Math.round(skew.skewMs),
      uncertaintyMs: Math.round(skew.uncertaintyMs),
      thresholdMs: this.o.skewThresholdMs ?? SKEW_THRESHOLD_MS,
    };
    if (skew.beyond && !this.skewLogged) {
      this.o.logger.warn(fields, "this node's wall clock disagrees with the database server's: check NTP");
    } else if (!skew.beyond && this.skewLogged) {
      this.o.logger.info(fields, "this node's wall clock agrees with the database server's again");
    }
    this.skewLogged = skew.beyond;
    return skew;
  }
}
