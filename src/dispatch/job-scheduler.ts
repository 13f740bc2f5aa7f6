// Normal scheduling: every configured job's next slot on one timer. When a
// job's timer fires it hands the slots to claim (see planDueSlots) to
// `onSlots`; claiming and running them is the caller's business.
import type { Logger } from 'pino';
import { planDueSlots } from '../catchup/plan-due-slots.js';
import type { JobPlan } from '../catchup/plan-catch-up.js';
import { toPlanInput } from '../catchup/plan-input.js';
import type { Clock } from '../clock.js';
import type { JobConfig } from '../config/types.js';
import type { SlotClaim } from '../schedule/slot.js';
import { createSlotCalculator, type SlotCalculator } from '../schedule/slot-calculator.js';
import type { HeapEntry } from '../schedule/slot-heap.js';
import { TimerLoop } from './timer-loop.js';
import { TurnBudget } from '../turn-budget.js';

export interface ScheduledJob {
  readonly config: JobConfig;
  readonly slots: SlotCalculator;
  /** Newest slot handed out (UTC ms): the job's next slot comes after it. */
  plannedUpToMs: number;
}

export interface JobSchedulerOptions {
  clock: Clock;
  logger: Logger;
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
  private readonly byName = new Map<string, ScheduledJob>();
  private readonly timer: TimerLoop;
  /** Counts setJobs calls: a preparation superseded by a later call is dropped. */
  private generation = 0;

  constructor(private readonly o: JobSchedulerOptions) {
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
   * The new list is prepared a turn of the event loop at a time (100,000 jobs'
   * next slots take a while) while the old one keeps firing, then put in place
   * at once; a later call supersedes one still preparing.
   */
  async setJobs(
    list: readonly JobConfig[],
    resumeAfterMs: (config: JobConfig, previous: number | undefined) => number,
  ): Promise<void> {
    const generation = ++this.generation;
    const turns = new TurnBudget();
    const previous = this.reached();
    const jobs: ScheduledJob[] = [];
    const next: Array<number | undefined> = [];
    for (const config of list) {
      if (turns.spent()) {
        await turns.yield();
        if (generation !== this.generation) return;
      }
      const job = {
        config,
        slots: createSlotCalculator(config.schedule),
        plannedUpToMs: resumeAfterMs(config, previous.get(config.name)),
      };
      jobs.push(job);
      next.push(job.slots.next(job.plannedUpToMs));
    }
    // Jobs of the old list that fired meanwhile resume after what they reached since.
    const reached = this.reached();
    jobs.forEach((job, i) => {
      const before = previous.get(job.config.name);
      const now = reached.get(job.config.name);
      if (now === before) return;
      job.plannedUpToMs = resumeAfterMs(job.config, now);
      next[i] = job.slots.next(job.plannedUpToMs);
    });
    this.jobs = jobs;
    this.byName.clear();
    for (const j of jobs) this.byName.set(j.config.name, j);
    this.timer.clear();
    jobs.forEach((job, index) => this.scheduleAt(index, job, next[index]));
  }

  /** The slot each scheduled job has reached, by name. */
  private reached(): Map<string, number> {
    return new Map(this.jobs.map((j) => [j.config.name, j.plannedUpToMs]));
  }

  start(): void {
    this.timer.start();
  }

  stop(): void {
    this.timer.stop();
  }

  private scheduleNext(index: number, job: ScheduledJob): void {
    this.scheduleAt(index, job, job.slots.next(job.plannedUpToMs));
  }

  private scheduleAt(index: number, job: ScheduledJob, next: number | undefined): void {
    this.o.onNextSlot?.(job.config.name, next);
    if (next === undefined) {
      this.o.logger.warn({ job: job.config.name }, 'schedule has no further slot');
      return;
    }
    this.timer.schedule(index, next);
  }

  private onDue(due: HeapEntry[], now: number): void {
    const batch: SlotClaim[] = [];
    for (const entry of due) {
      const job = this.jobs[entry.job];
      if (!job) continue;
      // Handed out early (claimLeadMs): as far as planning goes, it is the slot's instant.
      const at = Math.max(now, entry.dueMs);
      const planned = planDueSlots(toPlanInput(job.config, job.slots), job.plannedUpToMs, entry.dueMs, at);
      if (planned.missed) this.o.onMissed(planned.missed);
      for (const slot of planned.slots) batch.push({ job: job.config.name, ...slot });
      job.plannedUpToMs = planned.plannedUpToMs;
      this.scheduleNext(entry.job, job);
    }
    if (batch.length > 0) this.o.onSlots(batch);
  }
}
