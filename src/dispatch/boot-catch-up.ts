// The catch-up a leader runs before it schedules normally: the slots missed
// while no leader ran, by each job's policy, plus the slots an earlier leader
// claimed but never started. Paused jobs catch up nothing (see LeaderControls).
import type { Logger } from 'pino';
import { assemblePlan, type JobPlan, planJob } from '../catchup/plan-catch-up.js';
import { toPlanInput } from '../catchup/plan-input.js';
import type { Clock } from '../runtime/clock.js';
import type { JobConfig } from '../config/types.js';
import type { SlotCalculator } from '../schedule/slot-calculator.js';
import type { JobState } from '../state/job-state.js';
import type { Queryable } from '../store/db.js';
import type { Fence } from '../store/fence.js';
import type { RunTrace } from '../store/attempts.js';
import { type Owed, recoverUnfinished } from './recover-unfinished.js';
import { sweepSpool } from './sweep-spool.js';
import { watchRemoteRuns } from './watch-remote-runs.js';
import { recordSlotGaps } from '../store/slot-gaps.js';
import type { OnBadRow } from '../store/bad-rows.js';
import type { Metrics } from '../metrics/metrics.js';
import { TurnBudget } from '../runtime/turn-budget.js';
import type { ClaimQueue } from './claim-queue.js';
import { FirstSeenJobs, logConflicts, logPlans } from './plan-log.js';
import type { RunDispatcher } from './run-dispatcher.js';
import { runCatchUp } from './run-catch-up.js';
import type { SlotPipeline } from './slot-pipeline.js';

export interface BootCatchUpContext {
  db: Queryable;
  fence: Fence;
  state: JobState;
  claims: ClaimQueue;
  dispatcher: RunDispatcher;
  /** Where the catch-up's claimed slots go to run (the gate, then the dispatcher). */
  pipeline: SlotPipeline;
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
  /** How long a run left on another host waits for its home (ha.hostWait). */
  hostWaitMs: number;
  /** Resolves when the term ends. */
  stopped: Promise<void>;
}

/** Plans, claims and runs the catch-up as of `nowMs` (UTC ms); resolves when every run is over. */
export async function runBootCatchUp(ctx: BootCatchUpContext, nowMs: number): Promise<void> {
  const { logger, state, claims, dispatcher } = ctx;
  const byName = ctx.configured;
  // Job by job, giving the event loop (the leader's heartbeat) a turn every 50 ms: 100,000 jobs take a while.
  const turns = new TurnBudget();
  const plans: JobPlan[] = [];
  const firstSeen = new FirstSeenJobs();
  for (const j of ctx.jobs) {
    if (turns.spent()) await turns.yield();
    const p = planJob(toPlanInput(j.config, j.slots), state.lastExecution.get(j.config.name), nowMs);
    // Only the plans with something to run, record or log are kept: after a restart, 100,000
    // plans of nothing missed were 100,000 objects held until the catch-up began, and on a
    // first start, 100,000 plans of jobs seen for the first time.
    if (p.firstSeen) {
      state.setBaseline(p.job, p.baselineMs!);
      firstSeen.add(p);
    } else if (p.missed > 0 || p.expired > 0 || p.gaps.length > 0) plans.push(p);
  }
  const plan = assemblePlan(plans, nowMs);
  logPlans(logger, plan.jobs, firstSeen, ctx.metrics);
  // What the policies leave out is recorded alongside the claims (not in their way: a crowd of jobs
  // catching up `latest` leaves a gap each); the catch-up is not over before it is written.
  const gapsRecorded = recordSlotGaps(
    ctx.db,
    ctx.fence,
    plan.jobs.flatMap((p) => p.gaps.map((g) => ({ job: p.job, ...g }))),
  );
  gapsRecorded.catch(() => {}); // awaited below; not an unhandled rejection meanwhile
  const { owed, later, elsewhere } = await recoverUnfinished(ctx, byName, nowMs);
  // Runs in flight on another host: left to a daemon there, watched in the background.
  if (elsewhere.length > 0) {
    void watchRemoteRuns(ctx, elsewhere, {
      jobs: () => byName,
      hostWaitMs: ctx.hostWaitMs,
      stopping: ctx.stopping,
      stopped: ctx.stopped,
    }).catch((err: unknown) => logger.error({ err }, 'watching the runs left on other hosts failed'));
  }
  // What earlier daemons of this host left in the spool and nobody needs any more; in the background.
  if (ctx.trace) {
    void sweepSpool(ctx.db, ctx.trace.spool, logger, {
      epoch: ctx.fence.epoch,
      keep: new Set(dispatcher.runIds()),
    }).catch((err: unknown) => logger.warn({ err }, 'could not sweep the run spool'));
  }
  // Retries due later wait for their time in the background, not in the catch-up. Their runs
  // started under an earlier leader: they passed the gate then (recoverUnfinished judged them).
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
    async (item) => ctx.pipeline.enter(item.value.slot, item.value.options),
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
