// What a term builds once its state is restored, wired together: the claims,
// the snapshots, the slot pipeline, the scheduler feeding it, the operator
// controls, the freshness gauges and the job-change context.
import type { Logger } from 'pino';
import { jobsByName } from '../config/jobs-by-name.js';
import type { Config, JobConfig } from '../config/types.js';
import { LeaderControls } from '../controls/leader-controls.js';
import { ClaimQueue } from '../dispatch/claim-queue.js';
import { JobScheduler } from '../dispatch/job-scheduler.js';
import { logPlan } from '../dispatch/plan-log.js';
import type { RunDispatcher } from '../dispatch/run-dispatcher.js';
import { SlotPipeline } from '../dispatch/slot-pipeline.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Clock } from '../runtime/clock.js';
import type { SlotCalculators } from '../schedule/slot-calculator.js';
import { snapshotCodec } from '../snapshot/snapshot-codec.js';
import type { JobState } from '../state/job-state.js';
import { SnapshotWriter } from '../state/snapshot-writer.js';
import { FreshnessTracker } from '../status/freshness-tracker.js';
import type { OnBadRow } from '../store/bad-rows.js';
import type { Db } from '../store/db.js';
import type { Fence } from '../store/fence.js';
import { recordSlotGaps } from '../store/slot-gaps.js';
import type { JobChangesContext } from './apply-job-changes.js';

export interface TermInputs {
  db: Db;
  fence: Fence;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  dispatcher: RunDispatcher;
  calculators: SlotCalculators;
  state: JobState;
  /** The config in force (a reload replaces it). */
  config: () => Config;
  /** True once the term is ending. */
  stopping: () => boolean;
  /** Gives up the term. */
  fail: (err: unknown, why: string) => void;
  onBadRow: OnBadRow;
  /** Re-applies the scheduled job set (a pause or a resume changed it). */
  reschedule: (resumeAfterMs: (job: JobConfig) => number) => Promise<void>;
}

export interface TermParts {
  state: JobState;
  freshness: FreshnessTracker;
  claims: ClaimQueue;
  snapshots: SnapshotWriter;
  pipeline: SlotPipeline;
  scheduler: JobScheduler;
  controls: LeaderControls;
  jobChanges: JobChangesContext;
}

export function assembleTerm(o: TermInputs): TermParts {
  const { db, clock, logger, metrics, dispatcher, calculators, fence, state } = o;
  // maxAge: the stale and last-success gauges, read from the ledger in the background.
  const freshness = new FreshnessTracker({
    db,
    metrics,
    clock,
    logger,
    jobs: () => o.config().jobs,
    stateTime: (job) => state.lastExecution.get(job),
  }).start();
  const claims = new ClaimQueue(
    db,
    () => fence,
    (r) => state.recordClaims(r.claimed),
  );
  const snapshots = new SnapshotWriter({
    db,
    codec: snapshotCodec,
    state,
    fence: () => fence,
    clock,
    logger,
    metrics,
    ...o.config().snapshot,
  });
  let controls: LeaderControls | undefined;
  const isPaused = (job: string): boolean => controls?.isPaused(job) ?? false;
  const pipeline = new SlotPipeline({
    db,
    clock,
    logger,
    metrics,
    claims,
    dispatcher,
    configured: () => jobsByName(o.config().jobs),
    isPaused,
    stopping: o.stopping,
    fail: o.fail,
    onClaimed: () => snapshots.maybeFlush(),
  });
  // Slots are handed out and claimed ahead of their instant (the pipeline's claim lead), so that the
  // claim (one batch for every job due at that second) is committed when the instant comes.
  const scheduler = new JobScheduler({
    clock,
    logger,
    calculators: calculators,
    claimLeadMs: () => pipeline.lead.ms,
    onMissed: (plan) => {
      logPlan(logger, plan, 'missed slots while running', metrics);
      recordSlotGaps(
        db,
        fence,
        plan.gaps.map((g) => ({ job: plan.job, ...g })),
      ).catch((err: unknown) => logger.warn({ err, job: plan.job }, 'could not record the slots left out'));
    },
    onNextSlot: (job, ms) => metrics.setNextSlot(job, ms),
    onSlots: (slots) => pipeline.claimDue(slots),
  });
  const parts: TermParts = {
    state,
    freshness,
    claims,
    snapshots,
    pipeline,
    scheduler,
    controls: (controls = new LeaderControls({
      db,
      fence,
      logger,
      clock,
      metrics,
      state,
      claims,
      calculators: calculators,
      pipeline,
      config: o.config,
      reschedule: o.reschedule,
      stopping: o.stopping,
      fail: o.fail,
      onBadRow: o.onBadRow,
    })),
    jobChanges: {
      db,
      fence,
      logger,
      state,
      calculators: calculators,
      flush: () => snapshots.flush(),
    },
  };
  return parts;
}
