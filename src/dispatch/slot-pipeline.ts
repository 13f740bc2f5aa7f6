// The one way a claimed slot goes to its run, whoever claimed it: the timer
// (ahead of the instant, by the claim lead), the boot catch-up, an operator's
// control. In order: claim (the timer's slots here; the catch-up's and the
// controls' in their own batches) → wait for the instant → the gate (still
// configured? paused? stopping?) → the dispatcher (overlap, concurrency, the
// attempts and their retries, the ledger) → the executor.
import type { Logger } from 'pino';
import type { JobConfig } from '../config/types.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Clock } from '../runtime/clock.js';
import { ClaimLead } from '../schedule/claim-lead.js';
import type { ClaimedSlot, SlotClaim } from '../schedule/slot.js';
import { recordSkipped } from '../store/attempts.js';
import type { Queryable } from '../store/db.js';
import type { ClaimQueue } from './claim-queue.js';
import { logConflicts } from './plan-log.js';
import type { DispatchOptions, RunDispatcher } from './run-dispatcher.js';
import { slotGate } from './slot-gate.js';

export interface SlotPipelineOptions {
  db: Queryable;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  claims: ClaimQueue;
  dispatcher: RunDispatcher;
  /** The jobs as configured now, by name: a reload swaps the index. */
  configured: () => ReadonlyMap<string, JobConfig>;
  isPaused: (job: string) => boolean;
  /** True once the term is ending: nothing more starts, claimed slots stay for the next leader. */
  stopping: () => boolean;
  /** Gives up the term: a claim or a skip could not be recorded. */
  fail: (err: unknown, why: string) => void;
  /** After each claim of due slots. */
  onClaimed?: () => void;
}

export class SlotPipeline {
  /** How long before their instant due slots are claimed; follows how long recent claims took. */
  readonly lead = new ClaimLead();

  constructor(private readonly o: SlotPipelineOptions) {}

  /**
   * Slots the timer hands out ahead of their instant: claimed in one batch,
   * committed by the instant, each started at it.
   */
  claimDue(slots: SlotClaim[]): Promise<void> {
    const handedOutAt = performance.now();
    return this.o.claims.claim(slots).then(
      (result) => {
        this.lead.record(performance.now() - handedOutAt);
        logConflicts(this.o.logger, result.conflicts, this.o.metrics);
        this.startInTurn(result.claimed);
        this.o.onClaimed?.();
      },
      (err: unknown) => this.o.fail(err, 'claiming slots failed: giving up leadership'),
    );
  }

  /**
   * A claimed slot at (or past) its instant: through the gate to the
   * dispatcher. One the gate turns away is recorded as skipped, or left
   * claimed for the next leader when the term is ending. Resolves when its
   * run is over, or at once for a slot that does not run.
   */
  async enter(slot: ClaimedSlot, options: DispatchOptions = {}): Promise<void> {
    const verdict = slotGate(slot, {
      stopping: this.o.stopping(),
      job: this.o.configured().get(slot.job),
      paused: this.o.isPaused(slot.job),
    });
    if (verdict.kind === 'run') {
      await this.o.dispatcher.dispatch(verdict.job, slot, options);
      return;
    }
    void this.o.dispatcher.discardPrepared(slot.runId);
    if (verdict.kind === 'skip')
      await recordSkipped(this.o.db, slot.runId, this.o.clock.now(), verdict.reason);
  }

  /**
   * Starts claimed slots; several slots of one job in a batch (missed during a
   * stall or a clock jump, caught up by policy) run one after the other, oldest
   * first, instead of the overlap policy skipping (or replacing) all but one of them.
   */
  private startInTurn(claimed: readonly ClaimedSlot[]): void {
    const byJob = new Map<string, ClaimedSlot[]>();
    for (const c of claimed) {
      const list = byJob.get(c.job);
      if (list) list.push(c);
      else byJob.set(c.job, [c]);
    }
    for (const list of byJob.values()) {
      list.sort((a, b) => a.scheduledAtMs - b.scheduledAtMs);
      const overlap = list[0]!.config?.overlap;
      // queue keeps them in order by itself (and behind them, the slots of later batches); allow runs them together.
      if (list.length === 1 || overlap === 'queue' || overlap === 'allow')
        for (const c of list) void this.atInstant(c);
      else void list.reduce((prev, c) => prev.then(() => this.atInstant(c)), Promise.resolve());
    }
  }

  /**
   * Claimed ahead of its instant: it starts at the instant, and the overlap
   * policy judges the job's previous run then, not while it may still be
   * finishing. What can be made ready before the instant is made meanwhile.
   * The job may have been paused or removed by a reload meanwhile: the gate
   * is passed at the instant.
   */
  private async atInstant(c: ClaimedSlot): Promise<void> {
    const { clock, dispatcher } = this.o;
    if (c.config && !c.catchup && !this.o.isPaused(c.job)) dispatcher.prepare(c.config, c);
    // Bounded: a clock set back meanwhile does not hold a claimed run for longer than the lead.
    for (let i = 0, early = c.scheduledAtMs - clock.now(); !c.catchup && early > 0 && i < 3; i++) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(early, this.lead.ms)));
      early = c.scheduledAtMs - clock.now();
    }
    await this.enter(c, { jitter: !c.catchup }).catch((err: unknown) =>
      this.o.fail(
        err,
        'recording a slot claimed before its job was paused or removed failed: giving up leadership',
      ),
    );
  }
}
