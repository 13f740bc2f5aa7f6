// One term as leader: restore the state, run the catch-up, schedule normally
// until told to stop (or until leadership is lost), then stop cleanly.
import type { Logger } from 'pino';
import type { Clock } from '../runtime/clock.js';
import type { Config, JobConfig } from '../config/types.js';
import { type JobChangesContext, applyJobChanges } from './apply-job-changes.js';
import { LeaderControls } from '../controls/leader-controls.js';
import { runBootCatchUp } from '../dispatch/boot-catch-up.js';
import { ClaimQueue } from '../dispatch/claim-queue.js';
import { logConflicts, logPlan } from '../dispatch/plan-log.js';
import { RunDispatcher } from '../dispatch/run-dispatcher.js';
import type { Leadership } from '../ha/leadership.js';
import type { Metrics } from '../metrics/metrics.js';
import type { NodeState } from '../status/node-state.js';
import { ClaimLead } from '../schedule/claim-lead.js';
import { JobScheduler } from '../dispatch/job-scheduler.js';
import { snapshotCodec } from '../snapshot/snapshot-codec.js';
import { JobState, keyedByConfig } from '../state/job-state.js';
import { SnapshotWriter } from '../state/snapshot-writer.js';
import { FreshnessTracker } from '../status/freshness-tracker.js';
import { BadRowLog } from '../store/bad-rows.js';
import type { Db } from '../store/db.js';
import { FencedError } from '../store/fence.js';
import type { ClaimedSlot } from '../schedule/slot.js';
import { cleanLedger } from '../store/ledger.js';
import { recordSkipped } from '../store/attempts.js';
import { restoreState, type RestoredState } from '../store/restore-state.js';
import { cleanSlotGaps, recordSlotGaps } from '../store/slot-gaps.js';
import { lowestHighWater } from '../store/snapshot-rows.js';
import { jobsByName } from '../config/jobs-by-name.js';
import { slotGate } from '../dispatch/slot-gate.js';

const CLEAN_EVERY_MS = 3_600_000;
const FLUSH_CHECK_MS = 1_000;

export interface LeaderTermOptions {
  db: Db;
  leadership: Leadership;
  config: Config;
  logger: Logger;
  clock: Clock;
  /** Aborted to stop the daemon. */
  stop: AbortSignal;
  /** This node's state (role, readiness, catch-up progress), updated as the term goes. */
  node: NodeState;
  metrics: Metrics;
  /**
   * The node's runs, shared by its terms: a run outlives the term that started it (leadership lost
   * and retaken goes on with it); its writes are fenced by the current term's epoch.
   */
  dispatcher: RunDispatcher;
  /** Subscribes to configs accepted on reload; returns the unsubscribe function. */
  onReload: (listener: (config: Config) => void) => () => void;
}

export interface TermResult {
  /** 'stopped': a requested stop; 'lost': leadership lost (the daemon stands by again). */
  reason: 'stopped' | 'lost';
  exitCode: number;
}

/**
 * Leads until `stop` is aborted or leadership is lost (the lock connection died,
 * a write was fenced, the store failed). After a loss nothing more is claimed or
 * started; runs in progress are allowed to finish.
 */
export async function leadTerm(o: LeaderTermOptions): Promise<TermResult> {
  const { db, clock, logger, metrics, node } = o;
  const fence = o.leadership.fence;
  let config = o.config;
  // Rows of the store no run can use are skipped or rejected, each reported once a term.
  const badRows = new BadRowLog(logger, metrics);

  const state = await restoreJobState(o, config, badRows);
  // maxAge: the stale and last-success gauges, read from the ledger in the background.
  const freshness = new FreshnessTracker({
    db,
    metrics,
    clock,
    logger,
    jobs: () => config.jobs,
    stateTime: (job) => state.lastExecution.get(job),
  }).start();
  const claims = new ClaimQueue(
    db,
    () => fence,
    (r) => state.recordClaims(r.claimed),
  );
  const dispatcher = o.dispatcher;
  const snapshots = new SnapshotWriter({
    db,
    codec: snapshotCodec,
    state,
    fence: () => fence,
    clock,
    logger,
    metrics,
    ...config.snapshot,
  });

  let exitCode = 0;
  let stopping = false;
  const stepDown = new AbortController();
  const fail = (err: unknown, why: string): void => {
    if (stepDown.signal.aborted) return;
    if (err instanceof FencedError) logger.error({ err }, 'fenced: another node took over');
    else logger.error({ err }, why);
    exitCode = 1;
    stepDown.abort();
  };
  void o.leadership.lost.then((err) => fail(err, 'lost the leader lock'));

  // Slots are handed out and claimed this long before their instant, so the claim (one batch for
  // every job due at that second) is committed when the instant comes; each run starts at its instant.
  // The lead follows how long recent claims took (claim-lead.ts).
  const lead = new ClaimLead();
  const scheduler = new JobScheduler({
    clock,
    logger,
    claimLeadMs: () => lead.ms,
    onMissed: (plan) => {
      logPlan(logger, plan, 'missed slots while running', metrics);
      recordSlotGaps(
        db,
        fence,
        plan.gaps.map((g) => ({ job: plan.job, ...g })),
      ).catch((err: unknown) => logger.warn({ err, job: plan.job }, 'could not record the slots left out'));
    },
    onNextSlot: (job, ms) => metrics.setNextSlot(job, ms),
    onSlots: (slots) => {
      const handedOutAt = performance.now();
      return claims.claim(slots).then(
        (result) => {
          lead.record(performance.now() - handedOutAt);
          logConflicts(logger, result.conflicts, metrics);
          startInTurn(result.claimed);
          snapshots.maybeFlush();
        },
        (err: unknown) => fail(err, 'claiming slots failed: giving up leadership'),
      );
    },
  });
  const controls = new LeaderControls({
    db,
    fence,
    logger,
    clock,
    metrics,
    state,
    claims,
    dispatcher,
    config: () => config,
    reschedule: (resumeAfterMs) => schedule(resumeAfterMs),
    stopping: () => stopping,
    fail,
    onBadRow: badRows.report,
  });
  /** Schedules every configured job that is not paused; a job that joins resumes after `resumeAfterMs`. */
  async function schedule(resumeAfterMs: (job: JobConfig) => number): Promise<void> {
    await scheduler.setJobs(
      config.jobs.filter((j) => !controls.isPaused(j.name)),
      (job, previous) => previous ?? resumeAfterMs(job),
    );
    jobsChanged();
  }
  const start = async (c: ClaimedSlot): Promise<void> => {
    // Claimed ahead of its instant (the claim lead): it starts at the instant, and the overlap policy
    // judges the job's previous run then, not while it may still be finishing. What can be made ready
    // before the instant is made meanwhile.
    // (Bounded: a clock set back meanwhile does not hold a claimed run for longer than the lead.)
    const planned = scheduler.get(c.job)?.config;
    if (planned && !c.catchup) dispatcher.prepare(planned, c);
    for (let i = 0, early = c.scheduledAtMs - clock.now(); !c.catchup && early > 0 && i < 3; i++) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(early, lead.ms)));
      early = c.scheduledAtMs - clock.now();
    }
    // Claimed ahead of its instant: its job may have been paused (no run starts once a pause is
    // taken) or removed by a reload since (the catch-up after a resume starts past a claimed slot).
    const verdict = slotGate(c, {
      stopping,
      job: jobsByName(config.jobs).get(c.job),
      paused: controls.isPaused(c.job),
    });
    if (verdict.kind === 'run') {
      await dispatcher.dispatch(verdict.job, c, { jitter: !c.catchup });
      return;
    }
    void dispatcher.discardPrepared(c.runId);
    if (verdict.kind === 'leave') return;
    await recordSkipped(db, c.runId, clock.now(), verdict.reason).catch((err: unknown) =>
      fail(err, 'recording a slot claimed before its job was paused or removed failed: giving up leadership'),
    );
  };
  /**
   * Starts claimed slots; several slots of one job in a batch (missed during a
   * stall or a clock jump, caught up by policy) run one after the other, oldest
   * first, instead of the overlap policy skipping (or replacing) all but one of them.
   */
  const startInTurn = (claimed: readonly ClaimedSlot[]): void => {
    const byJob = new Map<string, ClaimedSlot[]>();
    for (const c of claimed) {
      const list = byJob.get(c.job);
      if (list) list.push(c);
      else byJob.set(c.job, [c]);
    }
    for (const list of byJob.values()) {
      list.sort((a, b) => a.scheduledAtMs - b.scheduledAtMs);
      const overlap = scheduler.get(list[0]!.job)?.config.overlap;
      // queue keeps them in order by itself (and behind them, the slots of later batches); allow runs them together.
      if (list.length === 1 || overlap === 'queue' || overlap === 'allow')
        for (const c of list) void start(c);
      else void list.reduce((prev, c) => prev.then(() => start(c)), Promise.resolve());
    }
  };

  const forgotten = state.prune(jobsByName(config.jobs), clock.now() - config.ledger.retentionMs);
  if (forgotten.length > 0) logger.info({ jobs: forgotten }, 'forgot the state of long-removed jobs');

  // Paused jobs are left out of the catch-up and the schedule.
  // Renames (formerNames) and schedule changes (onScheduleChange), before anything is planned.
  const jobChanges: JobChangesContext = { db, fence, logger, state, flush: () => snapshots.flush() };
  await applyJobChanges(jobChanges, config.jobs, clock.now());
  await controls.load();
  // Every slot up to bootNow is the catch-up's to run or to leave out by
  // policy; normal scheduling resumes after it (or after the newest claimed
  // slot, should a backward clock jump have put that later).
  const bootNow = clock.now();
  await schedule((job) => Math.max(bootNow, state.lastExecution.get(job.name) ?? 0));
  const stopped = new Promise<void>((resolve) => {
    if (o.stop.aborted || stepDown.signal.aborted) return resolve();
    o.stop.addEventListener('abort', () => resolve(), { once: true });
    stepDown.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  const catchUpStartedAtMs = clock.now();
  const catchUp = runBootCatchUp(
    {
      db,
      fence,
      state,
      claims,
      dispatcher,
      jobs: scheduler.all(),
      configured: jobsByName(config.jobs),
      isPaused: (job) => controls.isPaused(job),
      concurrency: config.catchupConcurrency,
      clock,
      logger,
      stopping: () => stopping,
      metrics,
      onProgress: (done, total) => node.update({ catchUp: { done, total, startedAtMs: catchUpStartedAtMs } }),
      ...(dispatcher.trace ? { trace: dispatcher.trace } : {}),
      onBadRow: badRows.report,
      hostWaitMs: config.ha.hostWaitMs,
      stopped,
    },
    bootNow,
  ).catch((err: unknown) => fail(err, 'catch-up failed: giving up leadership'));
  // Controls are carried out from now on; their catch-up runs wait for the boot catch-up.
  controls.start(catchUp);
  // A stop during a long catch-up goes straight to the graceful shutdown below.
  await Promise.race([catchUp, stopped]);
  if (!o.stop.aborted && !stepDown.signal.aborted) {
    await snapshots.flush().catch(() => {});
    scheduler.start();
    // The log line first: node.update sends READY=1 through a child process, which can reach
    // systemd before a line logged after it is timestamped.
    logger.info({ jobs: scheduler.size, epoch: fence.epoch }, 'ready: scheduling');
    node.update({ caughtUp: true, catchUp: null });
  }
  const housekeeping = setInterval(() => snapshots.maybeFlush(), FLUSH_CHECK_MS);
  const cleaning = setInterval(() => void clean(), CLEAN_EVERY_MS);
  async function clean(): Promise<void> {
    try {
      const covered = await lowestHighWater(db);
      const before = clock.now() - config.ledger.retentionMs;
      const removed = await cleanLedger(db, fence, before, covered);
      const gaps = await cleanSlotGaps(db, fence, before);
      if (removed + gaps > 0) logger.info({ removed, gaps }, 'old run ledger rows cleaned');
    } catch (err) {
      logger.warn({ err }, 'ledger cleanup failed; will retry');
    }
  }
  void clean();

  let reloading = Promise.resolve();
  const unsubscribe = o.onReload((next) => {
    if (restartOnlySettings(config) !== restartOnlySettings(next)) {
      logger.warn(
        'store, snapshot, ledger, http, ha or catch-up settings changed: they take effect at the next restart',
      );
    }
    config = { ...config, jobs: next.jobs, shutdownGraceMs: next.shutdownGraceMs };
    reloading = reloading
      .then(async () => {
        const now = clock.now();
        await applyJobChanges(jobChanges, next.jobs, now);
        await schedule((job) => {
          // Added by this reload: seen for the first time now, unless re-added within the retention.
          if (!state.lastExecution.has(job.name)) state.setBaseline(job.name, now);
          return Math.max(now, state.lastExecution.get(job.name) ?? now);
        });
        logger.info({ jobs: scheduler.size }, 'config reloaded');
      })
      .catch((err: unknown) => fail(err, 'applying the reloaded config failed: giving up leadership'));
  });

  function jobsChanged(): void {
    metrics.retainJobs(jobsByName(config.jobs));
    node.update({ jobs: config.jobs.length });
  }

  await stopped;
  stopping = true;
  freshness.stop();
  unsubscribe();
  await reloading;
  await jobChanges.saving;
  await controls.stop();
  scheduler.stop();
  clearInterval(housekeeping);
  clearInterval(cleaning);
  await claims.idle().catch(() => {});
  // Nothing waiting starts any more: jittered starts, queued slots and pending
  // retries stay in the ledger for the next leader.
  dispatcher.releaseWaiting();
  if (!o.stop.aborted) {
    // Lost leadership: claim and start nothing more, and contend for leadership again at once.
    // What runs goes on and is recorded when it ends: carried into this node's next term if it
    // leads again, else (another node took over) by the outcome it really had.
    logger.warn(
      { running: dispatcher.activeCount },
      'no longer leading: claiming nothing more; running jobs go on and are recorded when they end',
    );
    return { reason: 'lost', exitCode };
  }
  logger.info({ running: dispatcher.activeCount }, 'stopping: no new slots will be claimed');
  // Still leading while the runs finish, so that no other node takes them for interrupted.
  await dispatcher.drain(config.shutdownGraceMs, maxKillGraceMs(config));
  await catchUp;
  await controls.idle();
  await dispatcher.flushLedgerWrites();
  if (!stepDown.signal.aborted) {
    // Flush before exit: the next start restores from here without replaying.
    await snapshots.flush().catch(() => {
      exitCode = 1;
    });
  }
  return { reason: 'stopped', exitCode };
}

/**
 * The state restored from the store, reported and keyed by the config's names.
 * A function of its own so that nothing of the restore (the decoded map, its
 * names' text) stays referenced from the term's frame while it runs.
 */
async function restoreJobState(o: LeaderTermOptions, config: Config, badRows: BadRowLog): Promise<JobState> {
  const restored = await restoreState(o.db, snapshotCodec, badRows.report);
  logRestore(o.logger, restored);
  for (const s of restored.skipped) o.metrics.restoreFallbacks.inc({ reason: s.reason });
  return new JobState(keyedByConfig(restored.lastExecution, config.jobs), restored.highWater, o.clock.now());
}

function logRestore(logger: Logger, restored: RestoredState): void {
  for (const s of restored.skipped) {
    logger.error(
      { snapshotId: s.id, reason: s.reason, detail: s.message },
      'snapshot unusable: skipped, falling back',
    );
  }
  logger.info(
    {
      snapshotId: restored.snapshotId ?? null,
      format: restored.snapshotFormat ?? null,
      highWater: restored.highWater,
      replayedRows: restored.replayedRows,
      jobs: restored.lastExecution.size,
    },
    restored.snapshotId !== undefined
      ? 'state restored'
      : restored.replayedRows > 0 || restored.skipped.length > 0
        ? 'restored from the run ledger alone (no usable snapshot)'
        : 'no previous state: a new store',
  );
}

/** The longest killGrace of the configured jobs (ms). */
export function maxKillGraceMs(config: Config): number {
  let max = 0;
  for (const j of config.jobs) max = Math.max(max, j.killGraceMs);
  return max;
}

/** The settings a reload does not apply (only the jobs and shutdownGrace are reloaded). */
function restartOnlySettings(c: Config): string {
  return JSON.stringify([c.store, c.spool, c.snapshot, c.ledger, c.http, c.ha, c.catchupConcurrency]);
}
