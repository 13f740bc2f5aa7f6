// The term's third phase: the boot catch-up (dispatch/boot-catch-up.ts) as of
// the instant the schedule was set, its progress reported on this node's state.
import type { Logger } from 'pino';
import type { Config } from '../config/types.js';
import { jobsByName } from '../config/jobs-by-name.js';
import { runBootCatchUp } from '../dispatch/boot-catch-up.js';
import type { ClaimQueue } from '../dispatch/claim-queue.js';
import type { JobScheduler } from '../dispatch/job-scheduler.js';
import type { RunDispatcher } from '../dispatch/run-dispatcher.js';
import type { SlotPipeline } from '../dispatch/slot-pipeline.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Clock } from '../runtime/clock.js';
import type { JobState } from '../state/job-state.js';
import type { NodeState } from '../status/node-state.js';
import type { OnBadRow } from '../store/bad-rows.js';
import type { Db } from '../store/db.js';
import type { Fence } from '../store/fence.js';

export interface CatchUpInputs {
  db: Db;
  fence: Fence;
  config: Config;
  state: JobState;
  claims: ClaimQueue;
  dispatcher: RunDispatcher;
  pipeline: SlotPipeline;
  /** The scheduled jobs (paused ones left out), with their calculators. */
  scheduler: JobScheduler;
  isPaused: (job: string) => boolean;
  stopping: () => boolean;
  stopped: Promise<void>;
  node: NodeState;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  onBadRow: OnBadRow;
}

/** Every slot up to `bootNowMs` is the catch-up's to run or to leave out by policy. */
export function catchUp(o: CatchUpInputs, bootNowMs: number): Promise<void> {
  const startedAtMs = o.clock.now();
  return runBootCatchUp(
    {
      db: o.db,
      fence: o.fence,
      state: o.state,
      claims: o.claims,
      dispatcher: o.dispatcher,
      pipeline: o.pipeline,
      jobs: o.scheduler.all(),
      configured: jobsByName(o.config.jobs),
      isPaused: o.isPaused,
      concurrency: o.config.catchupConcurrency,
      clock: o.clock,
      logger: o.logger,
      stopping: o.stopping,
      metrics: o.metrics,
      onProgress: (done, total) => o.node.update({ catchUp: { done, total, startedAtMs } }),
      ...(o.dispatcher.trace ? { trace: o.dispatcher.trace } : {}),
      onBadRow: o.onBadRow,
      hostWaitMs: o.config.ha.hostWaitMs,
      stopped: o.stopped,
    },
    bootNowMs,
  );
}
