// The leader's side of the operator controls. It keeps the pause state of
// every job (read at the start of each term, so a pause survives restarts and
// failovers), and carries out what the CLI asked through the store: it
// LISTENs for requests and re-reads the store every few seconds in case a
// notification was lost. Resumes and backfills claim through the same claim
// path as the schedule and run under the catch-up concurrency limit, one
// batch after the other, after the boot catch-up.
import type { Logger } from 'pino';
import { COUNT_BUDGET, planCatchUp, slotRange } from '../catchup/plan-catch-up.js';
import { toPlanInput } from '../catchup/plan-input.js';
import { TooManySlotsError, slotsInRange } from '../catchup/slots-in-range.js';
import type { Clock } from '../runtime/clock.js';
import type { Config, JobConfig } from '../config/types.js';
import type { ClaimQueue } from '../dispatch/claim-queue.js';
import { logPlan } from '../dispatch/plan-log.js';
import { runCatchUp } from '../dispatch/run-catch-up.js';
import type { Metrics } from '../metrics/metrics.js';
import { parseInstant } from '../schedule/iso-instant.js';
import type { SlotCalculators } from '../schedule/slot-calculator.js';
import type { JobState } from '../state/job-state.js';
import type { SlotPipeline } from '../dispatch/slot-pipeline.js';
import { isContentError } from './content-error.js';
import {
  CONTROL_CHANNEL,
  type ControlRecord,
  type JobControl,
  claimManualRun,
  finishControl,
  readJobControls,
  readPendingControls,
} from '../store/controls.js';
import type { Db } from '../store/db.js';
import { KeepListening } from '../store/keep-listening.js';
import { skipQueuedAttempts } from '../store/worker-stops.js';
import { type JobSlotGap, recordSlotGaps } from '../store/slot-gaps.js';
import type { OnBadRow } from '../store/bad-rows.js';
import { FencedError, type Fence } from '../store/fence.js';
import type { ClaimedSlot, SlotClaim } from '../schedule/slot.js';
import { jobsByName } from '../config/jobs-by-name.js';
import { isoUtc } from '../text/iso-time.js';

/** How often the store is re-read when no notification came. */
export const CONTROL_POLL_MS = 2_000;

export interface LeaderControlsOptions {
  db: Db;
  fence: Fence;
  logger: Logger;
  clock: Clock;
  metrics: Metrics;
  state: JobState;
  claims: ClaimQueue;
  /** The daemon's calculators (shared with its scheduler). */
  calculators: SlotCalculators;
  /** Where the slots a control claims go to run (the gate, then the dispatcher). */
  pipeline: SlotPipeline;
  /** The running config (a reload replaces it). */
  config: () => Config;
  /**
   * Re-applies the scheduled job set (every configured job that is not
   * paused); a job joining it resumes after `resumeAfterMs(job)`.
   */
  reschedule: (resumeAfterMs: (job: JobConfig) => number) => Promise<void>;
  /** True once the leader is stopping: nothing more is claimed. */
  stopping: () => boolean;
  /** Gives up leadership (a fenced write, a failed claim). */
  fail: (err: unknown, why: string) => void;
  /** Rows that no action can use (a pause time of infinity, a request whose args are not an object). */
  onBadRow?: OnBadRow;
  pollMs?: number;
}

export class LeaderControls {
  private controls = new Map<string, JobControl>();
  /** Catch-up runs of resumes and backfills, one batch after the other. */
  private work: Promise<void> = Promise.resolve();
  private syncing: Promise<void> | undefined;
  private again = false;
  private closed = false;
  private listening: KeepListening | undefined;
  private poll: NodeJS.Timeout | undefined;
  /** Requests that failed and could not even be recorded as failed: not tried again this term. */
  private readonly givenUp = new Set<number>();

  constructor(private readonly o: LeaderControlsOptions) {}

  isPaused(job: string): boolean {
    return this.controls.get(job)?.paused ?? false;
  }

  /**
   * Reads the pause state at the start of a term, before the catch-up is
   * planned: paused jobs are left out, and a job resumed while no leader ran
   * gets its onResume baseline.
   */
  async load(): Promise<void> {
    this.controls = await readJobControls(this.o.db, undefined, false, this.o.onBadRow);
    const gaps: JobSlotGap[] = [];
    for (const job of this.o.config().jobs) {
      gaps.push(...this.applyResumeBaseline(job));
      const c = this.controls.get(job.name);
      // Only jobs ever paused get the series: 100,000 jobs need not export 100,000 zeros.
      if (c) this.o.metrics.setPaused(job.name, c.paused);
      if (c?.paused) {
        this.o.logger.warn(
          { job: job.name, pausedAt: isoUtc(c.pausedAtMs), by: c.pausedBy, reason: c.reason },
          'job is paused: claiming none of its slots until it is resumed',
        );
      }
    }
    await recordSlotGaps(this.o.db, this.o.fence, gaps);
  }

  /** Starts carrying out requests once `after` (the boot catch-up) has settled. */
  start(after: Promise<void>): void {
    this.work = after.catch(() => {});
    this.poll = setInterval(() => this.kick(), this.o.pollMs ?? CONTROL_POLL_MS);
    const { logger } = this.o;
    this.listening = new KeepListening(this.o.db, CONTROL_CHANNEL, () => this.kick(), {
      retryMs: this.o.pollMs ?? CONTROL_POLL_MS,
      onDropped: (err) =>
        err === undefined
          ? logger.warn('control notifications connection ended; listening again')
          : logger.warn({ err }, 'cannot listen for control requests; re-reading the store meanwhile'),
    });
    this.kick();
  }

  /** Stops listening and waits for a sync in progress; catch-up runs end with the dispatcher. */
  async stop(): Promise<void> {
    this.closed = true;
    if (this.poll) clearInterval(this.poll);
    await this.listening?.close();
    await this.syncing;
  }

  /** Resolves when the resume and backfill runs queued so far are over. */
  idle(): Promise<void> {
    return this.work;
  }

  /** Runs a sync now, or once more after the one in progress. */
  private kick(): void {
    if (this.closed || this.o.stopping()) return;
    if (this.syncing) {
      this.again = true;
      return;
    }
    this.syncing = this.sync()
      .catch((err: unknown) => {
        if (err instanceof FencedError) this.o.fail(err, 'fenced while carrying out a control');
        else this.o.logger.warn({ err }, 'reading control requests failed; will retry');
      })
      .finally(() => {
        this.syncing = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  private async sync(): Promise<void> {
    const { db, logger, metrics } = this.o;
    const before = this.controls;
    this.controls = await readJobControls(db, undefined, false, this.o.onBadRow);
    const configured = this.configured();
    const paused: string[] = [];
    const resumed: JobConfig[] = [];
    // Only jobs with a control record can have changed (a poll every 2 s must not walk 100,000 jobs).
    for (const name of new Set([...before.keys(), ...this.controls.keys()])) {
      const job = configured.get(name);
      if (!job) continue;
      const was = before.get(job.name)?.paused ?? false;
      const is = this.isPaused(job.name);
      if (was === is) continue;
      metrics.setPaused(job.name, is);
      metrics.controls.inc({ action: is ? 'pause' : 'resume' });
      if (is) paused.push(job.name);
      else resumed.push(job);
    }
    for (const job of paused) {
      const c = this.controls.get(job)!;
      logger.warn(
        { job, by: c.pausedBy, reason: c.reason },
        'job paused: claiming none of its slots until it is resumed',
      );
      // Runs handed to a pool that no worker started yet are not started either.
      if (configured.get(job)?.runOn === undefined) continue;
      const skipped = await skipQueuedAttempts(db, job, this.o.clock.now());
      if (skipped > 0) logger.warn({ job, skipped }, 'job paused: its runs waiting for a worker are skipped');
    }
    if (paused.length > 0 || resumed.length > 0) await this.resume(resumed);
    if (this.o.stopping()) return;
    for (const request of await readPendingControls(db)) {
      if (this.closed || this.o.stopping()) return;
      if (this.givenUp.has(request.id)) continue;
      await this.carryOutOrReject(request, configured.get(request.job));
    }
  }

  /**
   * Carries out one request; one that cannot be (a malformed row, or one whose
   * content the store refuses) is recorded as done with the reason, so that
   * the requests after it are carried out. A connection failure is retried
   * (by the next sync); a fenced write ends the term.
   */
  private async carryOutOrReject(request: ControlRecord, job: JobConfig | undefined): Promise<void> {
    const { db, fence, logger } = this.o;
    const fields = { control: request.id, action: request.action, job: request.job, by: request.requestedBy };
    let problem = request.problem;
    if (problem === undefined) {
      try {
        return await this.carryOut(request, job);
      } catch (err) {
        if (err instanceof FencedError || !isContentError(err)) throw err;
        problem = err instanceof Error ? err.message : String(err);
      }
    }
    this.o.onBadRow?.({ table: 'cronkeeper_controls', key: String(request.id), problem });
    try {
      await finishControl(db, fence, request.id, `not carried out: ${problem}`);
      logger.warn({ ...fields, problem }, 'control request rejected: not carried out');
    } catch (err) {
      if (err instanceof FencedError) throw err;
      this.givenUp.add(request.id);
      logger.warn(
        { ...fields, problem, err },
        'control request rejected, and could not be recorded as such: skipped until the next term',
      );
    }
  }

  /** The configured jobs by name (a reload brings a new list, and a new index). */
  private configured(): ReadonlyMap<string, JobConfig> {
    return jobsByName(this.o.config().jobs);
  }

  /** Reschedules after pauses and resumes; resumed jobs first catch up by their onResume rule. */
  private async resume(resumed: readonly JobConfig[]): Promise<void> {
    const { clock, logger, state } = this.o;
    const nowMs = clock.now();
    const gaps: JobSlotGap[] = [];
    for (const job of resumed) {
      const c = this.controls.get(job.name);
      logger.info(
        {
          job: job.name,
          resumedAt: c?.resumedAtMs === undefined ? null : isoUtc(c.resumedAtMs),
          onResume: job.onResume,
        },
        job.onResume === 'skip'
          ? 'job resumed: the slots missed while paused are skipped (onResume: skip)'
          : 'job resumed: the slots missed while paused are caught up by its catch-up policy (onResume: catchup)',
      );
      gaps.push(...this.applyResumeBaseline(job));
    }
    const plan = planCatchUp(
      resumed.map((j) => toPlanInput(j, this.o.calculators.forSchedule(j.schedule))),
      state.lastExecution,
      nowMs,
    );
    for (const p of plan.jobs) {
      logPlan(logger, p, 'catch-up after resume', this.o.metrics);
      if (p.firstSeen && p.baselineMs !== undefined) state.setBaseline(p.job, p.baselineMs);
      gaps.push(...p.gaps.map((g) => ({ job: p.job, ...g })));
    }
    await recordSlotGaps(this.o.db, this.o.fence, gaps);
    const joining = new Set(resumed.map((j) => j.name));
    await this.o.reschedule((job) =>
      joining.has(job.name) ? Math.max(nowMs, state.lastExecution.get(job.name) ?? nowMs) : nowMs,
    );
    if (plan.runs.length > 0) {
      this.claimAndRun(
        plan.runs.map((r) => ({ job: r.job, scheduledAtMs: r.scheduledAtMs, catchup: true })),
        (claimed) => logger.info({ runs: claimed.length }, 'catch-up after resume starting'),
      );
    }
  }

  /**
   * onResume: skip — the slots up to the resume are not owed; returns them as a
   * gap. Idempotent, so it also holds across restarts.
   */
  private applyResumeBaseline(job: JobConfig): JobSlotGap[] {
    const c = this.controls.get(job.name);
    if (!c || c.paused || c.resumedAtMs === undefined || job.onResume !== 'skip') return [];
    const last = this.o.state.lastExecution.get(job.name);
    if (last !== undefined && c.resumedAtMs <= last) return [];
    this.o.state.setBaseline(job.name, c.resumedAtMs);
    if (last === undefined) return [];
    const slots = this.o.calculators.forSchedule(job.schedule);
    const { count, exact } = slots.count(last, c.resumedAtMs, COUNT_BUDGET);
    const gap = slotRange({ slots }, 'paused', last, c.resumedAtMs, count, exact);
    return gap ? [{ job: job.name, ...gap }] : [];
  }

  private async carryOut(request: ControlRecord, job: JobConfig | undefined): Promise<void> {
    const { db, fence, logger, metrics } = this.o;
    const fields = { control: request.id, action: request.action, job: request.job, by: request.requestedBy };
    if (!job) {
      await finishControl(
        db,
        fence,
        request.id,
        `not carried out: no job '${request.job}' in the leader's config`,
      );
      logger.warn(fields, 'control request for a job that is not configured: not carried out');
      return;
    }
    metrics.controls.inc({ action: request.action });
    if (request.action === 'trigger') {
      const slot = await claimManualRun(db, fence, request.id);
      if (!slot) return;
      logger.info({ ...fields, runId: slot.runId }, 'manual run (cronkeeper trigger): starting');
      this.o.pipeline
        .enter(slot)
        .catch((err: unknown) => this.o.fail(err, 'recording a manual run failed: giving up leadership'));
      return;
    }
    const fromMs = parseInstant(request.args.from ?? '');
    const toMs = parseInstant(request.args.to ?? '');
    if (fromMs === undefined || toMs === undefined) {
      await finishControl(db, fence, request.id, 'not carried out: the request has no valid from/to');
      return;
    }
    // Slots still ahead are the schedule's to claim, not the backfill's.
    const untilMs = Math.min(toMs, this.o.clock.now());
    let slots: number[];
    try {
      slots = slotsInRange(this.o.calculators.forSchedule(job.schedule), fromMs, untilMs);
    } catch (err) {
      if (!(err instanceof TooManySlotsError)) throw err;
      await finishControl(db, fence, request.id, `not carried out: ${err.message}`);
      logger.warn({ ...fields, error: err.message }, 'backfill refused');
      return;
    }
    const result = await this.o.claims.claim(
      slots.map((ms) => ({ job: job.name, scheduledAtMs: ms, catchup: true, controlId: request.id })),
    );
    const summary = `claimed ${result.claimed.length} of ${slots.length} slot(s); ${result.conflicts.length} already claimed`;
    await finishControl(db, fence, request.id, summary);
    logger.info(
      {
        ...fields,
        from: isoUtc(fromMs),
        to: isoUtc(untilMs),
        slots: slots.length,
        claimed: result.claimed.length,
      },
      `backfill: ${summary}`,
    );
    if (result.claimed.length > 0) this.runClaimed(result.claimed);
  }

  private claimAndRun(slots: SlotClaim[], onClaimed: (claimed: ClaimedSlot[]) => void): void {
    this.o.claims.claim(slots).then(
      (result) => {
        onClaimed(result.claimed);
        this.runClaimed(result.claimed);
      },
      (err: unknown) => this.o.fail(err, 'claiming slots failed: giving up leadership'),
    );
  }

  /** Runs claimed slots after the catch-up runs queued before them, under the catch-up concurrency limit. */
  private runClaimed(claimed: readonly ClaimedSlot[]): void {
    this.work = this.work.then(() =>
      runCatchUp(
        claimed.map((slot) => ({ job: slot.job, scheduledAtMs: slot.scheduledAtMs, value: slot })),
        this.o.config().catchupConcurrency,
        ({ value: slot }) => this.o.pipeline.enter(slot),
      ).catch((err: unknown) => this.o.fail(err, 'control catch-up failed: giving up leadership')),
    );
  }
}
