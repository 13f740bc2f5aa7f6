// Normal scheduling: every configured job's next slot on one timer. When a
// job's timer fires it hands the slots to claim (see planDueSlots) to
// `onSlots`; claiming and running them is the caller's business.
import type { Logger } from 'pino';
import { planDueSlots } from '../catchup/plan-due-slots.js';
import type { JobPlan } from '../catchup/plan-catch-up.js';
import { toPlanInput } from '../catchup/plan-input.js';
import type { Clock } from '../runtime/clock.js';
import type { JobConfig } from '../config/types.js';
import type { SlotClaim } from '../schedule/slot.js';
import { type SlotCalculator, SlotCalculators } from '../schedule/slot-calculator.js';
import { type HeapEntry, SlotHeap } from '../schedule/slot-heap.js';
import { TimerLoop } from './timer-loop.js';
import { TurnBudget } from '../runtime/turn-budget.js';

export interface ScheduledJob {
  readonly config: JobConfig;
  readonly slots: SlotCalculator;
  /** Its place in the list (its timer entries name it by this). */
  readonly index: number;
  /** Newest slot handed out (UTC ms): the job's next slot comes after it. */
  plannedUpToMs: number;
  /** The slot its timer entry is for (UTC ms); an entry for any other is left over from a list's switch. */
  dueMs: number | undefined;
}

export interface JobSchedulerOptions {
  clock: Clock;
  logger: Logger;
  /** The daemon's calculators, where jobs with the same pattern and zone share one; default: the scheduler's own. */
  calculators?: SlotCalculators;
  /** Slots due now, across jobs, oldest first per job. */
  onSlots: (slots: SlotClaim[]) => void;
  /** A job had several slots due at once (clock jump, stall): the plan for the older ones. */
  onMissed: (plan: JobPlan) => void;
  /** A job's next slot (UTC ms), or undefined when its schedule has none left. */
  onNextSlot?: (job: string, ms: number | undefined) => void;
  /**
   * Hand slots to `onSlots` this long before they are due (ms; default 0), so
   * their claims are committed by the instant. The caller then starts each
   * run at its instant, not at its claim.
   */
  claimLeadMs?: number | (() => number);
}

export class JobScheduler {
  private jobs: ScheduledJob[] = [];
  private byName = new Map<string, ScheduledJob>();
  private readonly timer: TimerLoop;
  /** Counts setJobs calls: a preparation superseded by a later call is dropped. */
  private generation = 0;
  /** Jobs that fired while a new list was being prepared. */
  private firedWhilePreparing: Set<string> | undefined;

  private readonly calculators: SlotCalculators;

  constructor(private readonly o: JobSchedulerOptions) {
    this.calculators = o.calculators ?? new SlotCalculators();
    this.timer = new TimerLoop({
      clock: o.clock,
      leadMs: o.claimLeadMs ?? 0,
      onDue: (due, now) => this.onDue(due, now),
    });
  }

  get size(): number {
    return this.jobs.length;
  }

  get(name: string): ScheduledJob | undefined {
    return this.byName.get(name);
  }

  all(): readonly ScheduledJob[] {
    return this.jobs;
  }

  /**
   * Replaces the job list. Each job's schedule resumes after
   * `resumeAfterMs(config, previous)` (UTC ms), where `previous` is the slot a
   * job of the same name had reached, if any. Takes effect at once when running.
   *
   * The new list, its index and its timer entries are prepared a turn of the
   * event loop at a time (100,000 jobs' next slots take a while) while the old
   * list keeps firing, then switched to in one step that costs only the jobs
   * that fired meanwhile; a later call supersedes one still preparing.
   */
  async setJobs(
    list: readonly JobConfig[],
    resumeAfterMs: (config: JobConfig, previous: number | undefined) => number,
  ): Promise<void> {
    const generation = ++this.generation;
    const fired = (this.firedWhilePreparing = new Set());
    const turns = new TurnBudget();
    const jobs: ScheduledJob[] = [];
    const byName = new Map<string, ScheduledJob>();
    const heap = new SlotHeap();
    for (const config of list) {
      if (turns.spent()) {
        await turns.yield();
        if (generation !== this.generation) return;
      }
      const slots = this.calculators.forSchedule(config.schedule);
      const plannedUpToMs = resumeAfterMs(config, this.byName.get(config.name)?.plannedUpToMs);
      const job: ScheduledJob = { config, slots, index: jobs.length, plannedUpToMs, dueMs: undefined };
      jobs.push(job);
      byName.set(config.name, job);
      this.enter(heap, job);
    }
    this.firedWhilePreparing = undefined;
    // Jobs of the old list that fired meanwhile resume after what they reached since; the entries
    // made for them before are left over, and passed over when they come up.
    for (const name of fired) {
      const job = byName.get(name);
      const reached = this.byName.get(name)?.plannedUpToMs;
      if (!job || reached === undefined) continue;
      job.plannedUpToMs = resumeAfterMs(job.config, reached);
      const before = job.dueMs;
      if (job.slots.next(job.plannedUpToMs) !== before) this.enter(heap, job);
    }
    this.jobs = jobs;
    this.byName = byName;
    this.timer.replace(heap);
  }

  start(): void {
    this.timer.start();
  }

  stop(): void {
    this.timer.stop();
  }

  /** Enters the job's next slot (after the slot it reached) on `timers`. */
  private enter(timers: { push(entry: HeapEntry): void }, job: ScheduledJob): void {
    const next = job.slots.next(job.plannedUpToMs);
    job.dueMs = next;
    this.o.onNextSlot?.(job.config.name, next);
    if (next === undefined) {
      this.o.logger.warn({ job: job.config.name }, 'schedule has no further slot');
      return;
    }
    timers.push({ job: job.index, dueMs: next });
  }

  private onDue(due: HeapEntry[], now: number): void {
    const batch: SlotClaim[] = [];
    for (const entry of due) {
      const job = this.jobs[entry.job];
      if (!job || job.dueMs !== entry.dueMs) continue;
      this.firedWhilePreparing?.add(job.config.name);
      // Handed out early (claimLeadMs): as far as planning goes, it is the slot's instant.
      const at = Math.max(now, entry.dueMs);
      const planned = planDueSlots(toPlanInput(job.config, job.slots), job.plannedUpToMs, entry.dueMs, at);
      if (planned.missed) this.o.onMissed(planned.missed);
      for (const slot of planned.slots) batch.push({ job: job.config.name, config: job.config, ...slot });
      job.plannedUpToMs = planned.plannedUpToMs;
      this.enter(this.timer, job);
    }
    if (batch.length > 0) this.o.onSlots(batch);
  }
}
