// The live state a snapshot captures: per job the scheduled time of its newest
// claimed slot (UTC ms), and the ledger high-water mark that state reflects.
import type { Snapshot } from '../snapshot/snapshot.js';
import type { ClaimedSlot } from '../schedule/slot.js';

/**
 * `lastExecution` keyed by the configured jobs' own name strings where they
 * match (configured jobs first, then the others). A decoded snapshot's names
 * are slices of one text, which each would keep alive along with a second
 * copy of every name: megabytes for nothing at 100,000 jobs.
 */
export function keyedByConfig(
  lastExecution: ReadonlyMap<string, number>,
  jobs: readonly { name: string }[],
): Map<string, number> {
  const out = new Map<string, number>();
  for (const j of jobs) {
    const ms = lastExecution.get(j.name);
    if (ms !== undefined) out.set(j.name, ms);
  }
  if (out.size < lastExecution.size)
    for (const [job, ms] of lastExecution) if (!out.has(job)) out.set(job, ms);
  return out;
}

export class JobState {
  readonly lastExecution: Map<string, number>;
  highWater: number;
  /** Changes since the last snapshot (claims and baselines). */
  updatesSinceFlush = 0;
  lastFlushMs: number;

  constructor(lastExecution: Map<string, number>, highWater: number, nowMs: number) {
    this.lastExecution = lastExecution;
    this.highWater = highWater;
    this.lastFlushMs = nowMs;
  }

  /** Records committed claims; must be called in ledger id order (the claim queue does). */
  recordClaims(claimed: readonly ClaimedSlot[]): void {
    for (const c of claimed) {
      this.advance(c.job, c.scheduledAtMs);
      if (c.runId > this.highWater) this.highWater = c.runId;
    }
  }

  /** Sets a first-seen job's baseline (no ledger row stands for it). */
  setBaseline(job: string, ms: number): void {
    this.advance(job, ms);
  }

  /** Forgets jobs that are gone from the config and have not run since `beforeMs`. */
  prune(configured: { has(job: string): boolean }, beforeMs: number): string[] {
    const gone: string[] = [];
    for (const [job, ms] of this.lastExecution) {
      if (!configured.has(job) && ms < beforeMs) {
        this.lastExecution.delete(job);
        gone.push(job);
      }
    }
    if (gone.length > 0) this.updatesSinceFlush++;
    return gone;
  }

  /**
   * The state as a snapshot: a view, not a copy (copying 100,000 jobs on every
   * write left megabytes of garbage behind); encode it before the state changes.
   */
  toSnapshot(nowMs: number, epoch: number): Snapshot {
    return {
      createdAtMs: nowMs,
      highWater: this.highWater,
      epoch,
      lastExecution: this.lastExecution,
    };
  }

  private advance(job: string, ms: number): void {
    const known = this.lastExecution.get(job);
    // Never backwards: a backward clock jump must not make a claimed slot look unclaimed.
    if (known === undefined || ms > known) this.lastExecution.set(job, ms);
    this.updatesSinceFlush++;
  }
}
