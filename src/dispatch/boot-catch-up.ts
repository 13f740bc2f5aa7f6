// The catch-up a leader runs before it schedules normally: the slots missed
// while no leader ran, by each job's policy, plus the slots an earlier leader
// claimed but never started. Paused jobs catch up nothing (see LeaderControls).
import type { Logger } from 'pino';
import { assemblePlan, type JobPlan, planJob } from '../catchup/plan-catch-up.js';
import { toPlanInput } from '../catchup/plan-input.js';
import type { Clock } from '../clock.js';
import type { JobConfig } from '../config/types.js';
import type { SlotCalculator } from '../schedule/slot-calculator.js';
import type { JobState } from '../state/job-state.js';
import type { Queryable } from '../store/db.js';
import type { Fence } from '../store/fence.js';
import {
  type Recovery,
  type RunTrace,
  adoptUnfinishedRun,
  carryOverRuns,
  readUnfinishedRuns,
  recordRecovery,
  recordSkipped,
} from '../store/attempts.js';
import { judgeInFlight } from './judge-in-flight.js';
import { sweepSpool } from './sweep-spool.js';
import { markInterrupted, type ClaimedSlot } from '../store/ledger.js';
import { recordSlotGaps } from '../store/slot-gaps.js';
import type { OnBadRow } from '../store/bad-rows.js';
import type { Metrics } from '../metrics.js';
import { TurnBudget } from '../turn-budget.js';
import type { ClaimQueue } from './claim-queue.js';
import { logConflicts, logPlans } from './plan-log.js';
import type { DispatchOptions, RunDispatcher } from './run-dispatcher.js';
import { runCatchUp } from './run-catch-up.js';

export interface BootCatchUpContext {
  db: Queryable;
  fence: Fence;
  state: JobState;
  claims: ClaimQueue;
  dispatcher: RunDispatcher;
  /** The jobs to plan a catch-up for: the configured ones that are not paused. */
  jobs: ReadonlyArray<{ config: JobConfig; slots: SlotCalculator }>;
  /** Every configured job, paused or not. */
  configured: ReadonlyMap<string, JobConfig>;
  /** True while a job is paused: its slots are recorded as skipped instead of run. */
  isPaused: (job: string) => boolean;
  concurrency: number;
  clock: Clock;
  logger: Logger;
  /** True once the daemon is stopping: catch-up runs not yet started stay claimed for the next start. */
  stopping: () => boolean;
  metrics?: Metrics;
  /** This node's host and spool: runs in flight that a dead daemon of this host left are judged from their traces. */
  trace?: RunTrace;
  /** Called as catch-up runs finish (and once with 0 done when it starts). */
  onProgress?: (done: number, total: number) => void;
  /** Ledger rows that cannot be run (see readUnfinishedRuns). */
  onBadRow?: OnBadRow;
}

/** Plans, claims and runs the catch-up as of `nowMs` (UTC ms); resolves when every run is over. */
export async function runBootCatchUp(ctx: BootCatchUpContext, nowMs: number): Promise<void> {
  const { logger, state, claims, dispatcher } = ctx;
  const byName = ctx.configured;
  // Job by job, giving the event loop (the leader's heartbeat) a turn every 50 ms: 100,000 jobs take a while.
  const turns = new TurnBudget();
  const plans: JobPlan[] = [];
  for (const j of ctx.jobs) {
    if (turns.spent()) await turns.yield();
    plans.push(planJob(toPlanInput(j.config, j.slots), state.lastExecution.get(j.config.name), nowMs));
  }
  const plan = assemblePlan(plans, nowMs);
  logPlans(logger, plan.jobs, undefined, ctx.metrics);
  for (const p of plan.jobs)
    if (p.firstSeen && p.baselineMs !== undefined) state.setBaseline(p.job, p.baselineMs);
  // What the policies leave out is recorded alongside the claims (not in their way: a crowd of jobs
  // catching up `latest` leaves a gap each); the catch-up is not over before it is written.
  const gapsRecorded = recordSlotGaps(
    ctx.db,
    ctx.fence,
    plan.jobs.flatMap((p) => p.gaps.map((g) => ({ job: p.job, ...g }))),
  );
  gapsRecorded.catch(() => {}); // awaited below; not an unhandled rejection meanwhile
  const { owed, later } = await recoverUnfinished(ctx, byName, nowMs);
  // What earlier daemons of this host left in the spool and nobody needs any more; in the background.
  if (ctx.trace) {
    void sweepSpool(ctx.db, ctx.trace.spool, logger, {
      epoch: ctx.fence.epoch,
      keep: new Set(dispatcher.runIds()),
    }).catch((err: unknown) => logger.warn({ err }, 'could not sweep the run spool'));
  }
  // Retries due later wait for their time in the background, not in the catch-up.
  for (const r of later) void dispatcher.dispatch(byName.get(r.slot.job)!, r.slot, r.options);
  if (plan.runs.length + owed.length === 0) return gapsRecorded;
  logger.info(
    { runs: plan.runs.length, unfinished: owed.length, concurrency: ctx.concurrency },
    'catch-up starting',
  );
  const result = await claims.claim(
    plan.runs.map((r) => ({ job: r.job, scheduledAtMs: r.scheduledAtMs, catchup: true })),
  );
  logConflicts(logger, result.conflicts, ctx.metrics);
  await gapsRecorded;
  ctx.onProgress?.(0, result.claimed.length + owed.length);
  let lastProgressMs = ctx.clock.now();
  const toRun: Owed[] = [...owed, ...result.claimed.map((slot) => ({ slot, options: {} }))];
  await runCatchUp(
    toRun.map((o) => ({ job: o.slot.job, scheduledAtMs: o.slot.scheduledAtMs, value: o })),
    ctx.concurrency,
    async (item) => {
      const job = byName.get(item.job);
      if (!job || ctx.stopping()) return;
      const { slot, options } = item.value;
      if (ctx.isPaused(job.name) && slot.controlId === undefined) {
        await recordSkipped(ctx.db, slot.runId, ctx.clock.now(), 'the job was paused');
        return;
      }
      await dispatcher.dispatch(job, slot, options);
    },
    (done, total) => {
      // Once a second and at the end: a line (and a systemd STATUS=) per run of a 60,000-slot
      // catch-up cost more than the claims.
      const now = ctx.clock.now();
      if (done < total && now - lastProgressMs < PROGRESS_EVERY_MS) return;
      lastProgressMs = now;
      logger.info({ done, total }, 'catch-up progress');
      ctx.onProgress?.(done, total);
    },
  );
  logger.info({ runs: toRun.length }, 'catch-up finished');
}

const PROGRESS_EVERY_MS = 1_000;

interface Owed {
  slot: ClaimedSlot;
  options: DispatchOptions;
}

/**
 * Unfinished runs of earlier leaders, taken over by this one:
 * - claimed but never started: owed, run now — unless the job's catch-up
 *   policy is `none` or the slot is older than its window (recorded as skipped);
 * - a retry pending: carried out at its due time, as the next attempt;
 * - an attempt in progress when its node died: it may have done its work, so by
 *   the job's `onInterrupted` it is recorded as interrupted (skip, the default)
 *   or retried as the next attempt (rerun).
 */
async function recoverUnfinished(
  ctx: BootCatchUpContext,
  jobs: ReadonlyMap<string, JobConfig>,
  nowMs: number,
): Promise<{ owed: Owed[]; later: Owed[] }> {
  const { db, fence, clock, logger } = ctx;
  const owed: Owed[] = [];
  const later: Owed[] = [];
  // This node's own runs of an earlier term (leadership lost and retaken) that still run here go on.
  const running = new Set(ctx.dispatcher.runIds());
  const unfinished = await readUnfinishedRuns(db, fence.epoch, ctx.onBadRow);
  const carried = new Set(
    await carryOverRuns(
      db,
      fence,
      unfinished.filter((u) => running.has(u.runId)).map((u) => u.runId),
    ),
  );
  if (carried.size > 0)
    logger.info({ runs: [...carried] }, 'runs started under an earlier term go on under this one');
  for (const u of unfinished) {
    if (carried.has(u.runId)) continue;
    if (u.problem !== undefined) {
      // Recorded, so that it is not read again at every term.
      await recordSkipped(db, u.runId, clock.now(), `not run: ${u.problem}`);
      ctx.onBadRow?.({
        table: 'cronkeeper_runs',
        key: String(u.runId),
        problem: `${u.problem}: recorded as skipped`,
      });
      continue;
    }
    const fields = {
      job: u.job,
      scheduledAt: new Date(u.scheduledAtMs).toISOString(),
      runId: u.runId,
      previousNode: u.nodeId,
      attempts: u.attempts,
    };
    const job = jobs.get(u.job);
    const skip = async (why: string) => {
      await recordSkipped(db, u.runId, clock.now(), why);
      logger.warn(fields, `unfinished run of an earlier leader recorded as skipped: ${why}`);
    };
    const inProgress = u.started && u.nextAttemptAtMs === undefined;
    if (!job) {
      await skip('the job is no longer configured');
      continue;
    }
    // A run an operator asked for (trigger, backfill) is owed whatever the catch-up policy says.
    const asked = u.controlId !== undefined;
    if (!u.started && !asked && ctx.isPaused(job.name)) {
      await skip('the job is paused');
      continue;
    }
    if (!u.started && !asked && job.catchup === 'none') {
      await skip('the job does not catch up (catchup: none)');
      continue;
    }
    if (!u.started && !asked && u.scheduledAtMs <= nowMs - job.catchupWindowMs) {
      await skip('older than the catch-up window');
      continue;
    }
    const slot: ClaimedSlot = {
      job: u.job,
      scheduledAtMs: u.scheduledAtMs,
      // Late by now, so a catch-up run — except a manual one, which stands for no slot.
      catchup: asked ? u.catchup : true,
      runId: u.runId,
      ...(asked ? { controlId: u.controlId } : {}),
      ...(u.manual ? { manual: true } : {}),
    };
    // Attempts already made: a row started before attempts were counted made one.
    const made = u.started ? Math.max(u.attempts, 1) : u.attempts;
    let recovery: Recovery | undefined;
    if (inProgress && ctx.trace) {
      // Evidence first: what the run left in this host's spool (judge-in-flight.ts).
      const verdict = await judgeInFlight(db, fence, ctx.trace, u, clock.now(), logger);
      if (verdict.kind === 'gone') continue;
      if (verdict.kind === 'never-started') {
        logger.info(fields, 'run never started (its daemon died first): running it now');
        owed.push({ slot, options: { attempt: made } });
        continue;
      }
      if (verdict.kind === 'adopt') {
        const entry = { slot, options: { attempt: made, adopt: verdict.adopt } };
        // Ended while nobody watched: recorded first, in the catch-up, before the job's later slots.
        // Still running: followed in the background, and the job's missed slots overlap with it by
        // its policy, as they would have had the daemon lived.
        if (verdict.adopt.running) later.push(entry);
        else owed.push(entry);
        continue;
      }
      recovery = verdict.recovery;
    }
    const rerun = inProgress && job.onInterrupted === 'rerun';
    if (!(await adoptUnfinishedRun(db, fence, u, clock.now(), { retryInterrupted: rerun }))) continue;
    if (recovery) await recordRecovery(db, u.runId, recovery);
    if (inProgress && !rerun) {
      await markInterrupted(db, fence, u.runId, clock.now());
      logger.warn(
        fields,
        'run interrupted: its node stopped before it finished; not run again (onInterrupted: skip)',
      );
      continue;
    }
    const attempt = made + 1;
    if (rerun) {
      logger.info(
        fields,
        'run interrupted: its node stopped before it finished; running it again (onInterrupted: rerun)',
      );
      owed.push({ slot, options: { attempt } });
    } else if (u.nextAttemptAtMs !== undefined) {
      logger.info(
        { ...fields, retryAt: new Date(u.nextAttemptAtMs).toISOString() },
        'retry left pending by its node: carrying it out',
      );
      const entry = { slot, options: { attempt, notBeforeMs: u.nextAttemptAtMs } };
      if (u.nextAttemptAtMs <= nowMs) owed.push(entry);
      else later.push(entry);
    } else {
      logger.info(fields, 'claimed slot never started by its node: running it now');
      owed.push({ slot, options: {} });
    }
  }
  return { owed, later };
}
