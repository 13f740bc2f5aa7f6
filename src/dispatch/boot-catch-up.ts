// The catch-up a leader runs before it schedules normally: the slots missed
// while no leader ran, by each job's policy, plus the slots an earlier leader
// claimed but never started.
import type { Logger } from 'pino';
import { planCatchUp } from '../catchup/plan-catch-up.js';
import { toPlanInput } from '../catchup/plan-input.js';
import type { Clock } from '../clock.js';
import type { JobConfig } from '../config/types.js';
import type { SlotCalculator } from '../schedule/slot-calculator.js';
import type { JobState } from '../state/job-state.js';
import type { Queryable } from '../store/db.js';
import type { Fence } from '../store/fence.js';
import {
  adoptRun,
  markFinished,
  markInterrupted,
  readUnfinishedRuns,
  type ClaimedSlot,
} from '../store/ledger.js';
import type { Metrics } from '../metrics.js';
import type { ClaimQueue } from './claim-queue.js';
import { logConflicts, logPlan } from './plan-log.js';
import type { RunDispatcher } from './run-dispatcher.js';
import { runCatchUp } from './run-catch-up.js';

export interface BootCatchUpContext {
  db: Queryable;
  fence: Fence;
  state: JobState;
  claims: ClaimQueue;
  dispatcher: RunDispatcher;
  jobs: ReadonlyArray<{ config: JobConfig; slots: SlotCalculator }>;
  concurrency: number;
  clock: Clock;
  logger: Logger;
  /** True once the daemon is stopping: catch-up runs not yet started stay claimed for the next start. */
  stopping: () => boolean;
  metrics?: Metrics;
  /** Called as catch-up runs finish (and once with 0 done when it starts). */
  onProgress?: (done: number, total: number) => void;
}

/** Plans, claims and runs the catch-up as of `nowMs` (UTC ms); resolves when every run is over. */
export async function runBootCatchUp(ctx: BootCatchUpContext, nowMs: number): Promise<void> {
  const { logger, state, claims, dispatcher } = ctx;
  const byName = new Map(ctx.jobs.map((j) => [j.config.name, j.config]));
  const plan = planCatchUp(
    ctx.jobs.map((j) => toPlanInput(j.config, j.slots)),
    state.lastExecution,
    nowMs,
  );
  for (const p of plan.jobs) {
    logPlan(logger, p, undefined, ctx.metrics);
    if (p.firstSeen && p.baselineMs !== undefined) state.setBaseline(p.job, p.baselineMs);
  }
  const owed = await recoverUnfinished(ctx, byName, nowMs);
  if (plan.runs.length + owed.length === 0) return;
  logger.info(
    { runs: plan.runs.length, unstarted: owed.length, concurrency: ctx.concurrency },
    'catch-up starting',
  );
  const result = await claims.claim(
    plan.runs.map((r) => ({ job: r.job, scheduledAtMs: r.scheduledAtMs, catchup: true })),
  );
  logConflicts(logger, result.conflicts, ctx.metrics);
  ctx.onProgress?.(0, result.claimed.length + owed.length);
  const toRun = [...owed, ...result.claimed];
  await runCatchUp(
    toRun.map((c) => ({ job: c.job, scheduledAtMs: c.scheduledAtMs, value: c })),
    ctx.concurrency,
    async (item) => {
      const job = byName.get(item.job);
      if (job && !ctx.stopping()) await dispatcher.dispatch(job, item.value);
    },
    (done, total) => {
      logger.info({ done, total }, 'catch-up progress');
      ctx.onProgress?.(done, total);
    },
  );
  logger.info({ runs: toRun.length }, 'catch-up finished');
}

/**
 * Unfinished runs of earlier leaders. A slot claimed but never started is
 * owed: this leader runs it, unless the job's catch-up policy is `none` or the
 * slot is older than its catch-up window (then it is recorded as skipped). A
 * run started but never finished may have done its work: by the job's
 * `onInterrupted` it is recorded as interrupted (skip, the default) or run
 * again (rerun).
 */
async function recoverUnfinished(
  ctx: BootCatchUpContext,
  jobs: ReadonlyMap<string, JobConfig>,
  nowMs: number,
): Promise<ClaimedSlot[]> {
  const { db, fence, clock, logger } = ctx;
  const owed: ClaimedSlot[] = [];
  for (const u of await readUnfinishedRuns(db, fence.epoch)) {
    const fields = {
      job: u.job,
      scheduledAt: new Date(u.scheduledAtMs).toISOString(),
      runId: u.runId,
      previousNode: u.nodeId,
      started: u.started,
    };
    const job = jobs.get(u.job);
    const skip = async (why: string) => {
      await markFinished(db, u.runId, clock.now(), { ...NO_RESULT, outcome: 'skipped', error: why });
      logger.warn(fields, `unfinished run of an earlier leader recorded as skipped: ${why}`);
    };
    if (u.started && job?.onInterrupted !== 'rerun') {
      await markInterrupted(db, fence, u.runId, clock.now());
      logger.warn(
        fields,
        'run interrupted: its node stopped before it finished; not run again (onInterrupted: skip)',
      );
    } else if (!job) {
      await skip('the job is no longer configured');
    } else if (job.catchup === 'none') {
      await skip('the job does not catch up (catchup: none)');
    } else if (u.scheduledAtMs <= nowMs - job.catchupWindowMs) {
      await skip('older than the catch-up window');
    } else if (await adoptRun(db, fence, u.runId, { rerunStarted: u.started })) {
      logger.info(
        fields,
        u.started
          ? 'run interrupted: its node stopped before it finished; running it again (onInterrupted: rerun)'
          : 'claimed slot never started by its node: running it now',
      );
      owed.push({ job: u.job, scheduledAtMs: u.scheduledAtMs, catchup: true, runId: u.runId });
    }
  }
  return owed;
}

const NO_RESULT = { exitCode: null, signal: null, httpStatus: null, durationMs: null, error: null };
