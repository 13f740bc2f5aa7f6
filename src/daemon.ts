// The boot sequence and the main loop — the one module that knows all others.
//
// load config -> open store -> migrate -> leadership -> restore (snapshot +
// ledger) -> plan catch-up -> run catch-up (bounded, ordered) -> ready ->
// schedule normally, snapshot periodically -> on stop: stop scheduling, let
// running jobs finish (bounded grace), flush the snapshot, release, exit 0.
import os from 'node:os';
import type { Logger } from 'pino';
import { planCatchUp, type JobPlan } from './catchup/plan-catch-up.js';
import { planDueSlots } from './catchup/plan-due-slots.js';
import type { Clock } from './clock.js';
import type { Config, JobConfig } from './config/types.js';
import { ClaimQueue } from './dispatch/claim-queue.js';
import { RunDispatcher } from './dispatch/run-dispatcher.js';
import { runCatchUp } from './dispatch/run-catch-up.js';
import { acquireLeadership, type Leadership } from './ha/leadership.js';
import { createSlotCalculator, type SlotCalculator } from './schedule/slot-calculator.js';
import { TimerLoop } from './schedule/timer-loop.js';
import type { HeapEntry } from './schedule/slot-heap.js';
import { snapshotCodec } from './snapshot/snapshot-codec.js';
import { JobState } from './state/job-state.js';
import { SnapshotWriter } from './state/snapshot-writer.js';
import type { Db } from './store/db.js';
import { FencedError, type Fence } from './store/fence.js';
import {
  adoptUnstartedRun,
  cleanLedger,
  markInterrupted,
  readUnfinishedRuns,
  type ClaimedSlot,
  type SlotClaim,
} from './store/ledger.js';
import { migrate } from './store/migrate.js';
import { openStore } from './store/open-store.js';
import { restoreState } from './store/restore-state.js';
import { lowestHighWater } from './store/snapshot-rows.js';

const CLEAN_EVERY_MS = 3_600_000;

interface JobRuntime {
  config: JobConfig;
  slots: SlotCalculator;
  /** Newest slot handed to the claim queue (UTC ms): the next slot is computed after it. */
  plannedUpToMs: number;
}

export interface DaemonOptions {
  config: Config;
  logger: Logger;
  clock: Clock;
  /** Aborted to stop the daemon (SIGTERM/SIGINT). */
  stop: AbortSignal;
  /** Called with a new config on reload (SIGHUP); the daemon validates nothing itself. */
  reloads?: AsyncIterable<Config>;
}

export function resolveNodeId(config: Config, env: NodeJS.ProcessEnv = process.env): string {
  return env.CRONKEEPER_NODE_ID || config.ha.nodeId || `${os.hostname()}-${process.pid}`;
}

/** Runs the daemon until `stop` is aborted; resolves with the process exit code. */
export async function runDaemon(options: DaemonOptions): Promise<number> {
  const { clock, stop } = options;
  let config = options.config;
  const nodeId = resolveNodeId(config);
  const logger = options.logger.child({ node: nodeId });

  const db = await openStore(config.store, logger);
  let leadership: Leadership | undefined;
  try {
    const applied = await migrate(db);
    if (applied.length > 0) logger.info({ versions: applied }, 'schema migrated');
    try {
      leadership = await acquireLeadership({ db, url: config.store.url, nodeId, logger, signal: stop });
    } catch (err) {
      if (stop.aborted) return 0;
      throw err;
    }
    const fence = leadership.fence;
    logger.info({ epoch: fence.epoch }, 'leading');
    return await lead(db, leadership, fence);
  } finally {
    await leadership?.release();
    await db.close();
  }

  async function lead(db: Db, leadership: Leadership, fence: Fence): Promise<number> {
    const restored = await restoreState(db, snapshotCodec);
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
    const state = new JobState(restored.lastExecution, restored.highWater, clock.now());
    const claims = new ClaimQueue(
      db,
      () => fence,
      (r) => state.recordClaims(r.claimed),
    );
    const dispatcher = new RunDispatcher({ db, logger, clock, epoch: () => fence.epoch, nodeId });
    const snapshots = new SnapshotWriter({
      db,
      codec: snapshotCodec,
      state,
      fence: () => fence,
      clock,
      logger,
      ...config.snapshot,
    });

    let jobs: JobRuntime[] = [];
    const byName = new Map<string, JobRuntime>();
    let exitCode = 0;
    let stopping = false;
    const stepDown = new AbortController();
    const fail = (err: unknown, why: string): void => {
      if (stepDown.signal.aborted) return;
      if (err instanceof FencedError) logger.error({ err }, 'fenced: another node took over; stopping');
      else logger.error({ err }, why);
      exitCode = 1;
      stepDown.abort();
    };
    void leadership.lost.then((err) => fail(err, 'lost the leader lock; stopping'));

    // --- catch-up -----------------------------------------------------------
    const install = (list: JobConfig[]): void => {
      jobs = list.map((c) => ({ config: c, slots: createSlotCalculator(c.schedule), plannedUpToMs: 0 }));
      byName.clear();
      for (const j of jobs) byName.set(j.config.name, j);
    };
    install(config.jobs);
    const prunedAtBoot = state.prune(new Set(byName.keys()), clock.now() - config.ledger.retentionMs);
    if (prunedAtBoot.length > 0) logger.info({ jobs: prunedAtBoot }, 'forgot the state of long-removed jobs');

    const bootNow = clock.now();
    const plan = planCatchUp(jobs.map(planInput), state.lastExecution, bootNow);
    for (const p of plan.jobs) logPlan(p);
    for (const p of plan.jobs)
      if (p.firstSeen && p.baselineMs !== undefined) state.setBaseline(p.job, p.baselineMs);
    const leftOver = await recoverUnfinished();
    if (plan.runs.length + leftOver.length > 0) {
      logger.info(
        { runs: plan.runs.length, unstarted: leftOver.length, concurrency: config.catchupConcurrency },
        'catch-up starting',
      );
      const result = await claims.claim(
        plan.runs.map((r) => ({ job: r.job, scheduledAtMs: r.scheduledAtMs, catchup: true })),
      );
      logConflicts(result.conflicts);
      const toRun = [...leftOver, ...result.claimed];
      await runCatchUp(
        toRun.map((c) => ({ job: c.job, scheduledAtMs: c.scheduledAtMs, value: c })),
        config.catchupConcurrency,
        async (item) => {
          if (stop.aborted || stepDown.signal.aborted) return;
          const job = byName.get(item.job);
          if (job) await dispatcher.dispatch(job.config, item.value);
        },
        (done, total) => logger.info({ done, total }, 'catch-up progress'),
      );
      logger.info({ runs: toRun.length }, 'catch-up finished');
    }
    await snapshots.flush().catch(() => {});

    /**
     * Slots an earlier leader claimed but never started are run now (they are
     * owed); runs it started but never finished are recorded as interrupted
     * and not run again — they may have done their work.
     */
    async function recoverUnfinished(): Promise<ClaimedSlot[]> {
      const owed: ClaimedSlot[] = [];
      for (const u of await readUnfinishedRuns(db, fence.epoch)) {
        const fields = {
          job: u.job,
          scheduledAt: iso(u.scheduledAtMs),
          runId: u.runId,
          previousNode: u.nodeId,
        };
        if (u.started) {
          await markInterrupted(db, fence, u.runId, clock.now());
          logger.warn(fields, 'run interrupted: its node stopped before it finished; not run again');
        } else if (!byName.has(u.job)) {
          logger.warn(fields, 'claimed slot of a job no longer configured: not run');
        } else if (await adoptUnstartedRun(db, fence, u.runId)) {
          logger.info(fields, 'claimed slot never started by its node: running it now');
          owed.push({ job: u.job, scheduledAtMs: u.scheduledAtMs, catchup: true, runId: u.runId });
        }
      }
      return owed;
    }

    // --- normal scheduling ----------------------------------------------------
    const timer = new TimerLoop({ clock, onDue });
    const scheduleAll = (): void => {
      jobs.forEach((job, index) => {
        // Never before the newest claimed slot (a backward clock jump must not re-run it).
        job.plannedUpToMs = Math.max(job.plannedUpToMs, state.lastExecution.get(job.config.name) ?? 0);
        scheduleNext(index, job);
      });
    };
    // Every slot up to bootNow was the boot plan's to run or to skip by policy.
    for (const job of jobs) job.plannedUpToMs = bootNow;
    function scheduleNext(index: number, job: JobRuntime): void {
      const next = job.slots.next(job.plannedUpToMs);
      if (next === undefined) {
        logger.warn({ job: job.config.name }, 'schedule has no further slot');
        return;
      }
      timer.schedule(index, next);
    }
    function onDue(due: HeapEntry[], now: number): void {
      const batch: SlotClaim[] = [];
      for (const entry of due) {
        const job = jobs[entry.job];
        if (!job) continue;
        const planned = planDueSlots(planInput(job), job.plannedUpToMs, entry.dueMs, now);
        if (planned.missed) logPlan(planned.missed, 'missed slots while running');
        for (const slot of planned.slots) batch.push({ job: job.config.name, ...slot });
        job.plannedUpToMs = planned.plannedUpToMs;
        scheduleNext(entry.job, job);
      }
      if (batch.length === 0) return;
      claims.claim(batch).then(
        (result) => {
          logConflicts(result.conflicts);
          for (const c of result.claimed) startClaimed(c);
          snapshots.maybeFlush();
        },
        (err: unknown) => fail(err, 'claiming slots failed; stopping'),
      );
    }
    function startClaimed(c: ClaimedSlot): void {
      const job = byName.get(c.job);
      if (!job || stopping) return;
      void dispatcher.dispatch(job.config, c);
    }

    scheduleAll();
    timer.start();
    logger.info({ jobs: jobs.length, epoch: fence.epoch }, 'ready: scheduling');

    const housekeeping = setInterval(() => snapshots.maybeFlush(), 1000);
    const cleaning = setInterval(() => void clean(), CLEAN_EVERY_MS);
    async function clean(): Promise<void> {
      try {
        const covered = await lowestHighWater(db);
        const removed = await cleanLedger(db, fence, clock.now() - config.ledger.retentionMs, covered);
        if (removed > 0) logger.info({ removed }, 'old run ledger rows cleaned');
      } catch (err) {
        logger.warn({ err }, 'ledger cleanup failed; will retry');
      }
    }
    void clean();

    const reloading = (async () => {
      if (!options.reloads) return;
      for await (const next of options.reloads) {
        config = next;
        timer.stop();
        const keep = new Map(jobs.map((j) => [j.config.name, j.plannedUpToMs]));
        install(next.jobs);
        const now = clock.now();
        for (const j of jobs) {
          const planned = keep.get(j.config.name);
          if (planned !== undefined) {
            j.plannedUpToMs = planned;
            continue;
          }
          // A job added by the reload: first seen now, or re-added within the retention.
          if (!state.lastExecution.has(j.config.name)) state.setBaseline(j.config.name, now);
          j.plannedUpToMs = now;
        }
        timerReset();
        logger.info({ jobs: jobs.length }, 'config reloaded');
      }
    })();
    function timerReset(): void {
      timer.clear();
      scheduleAll();
      timer.start();
    }

    // --- run until stopped ------------------------------------------------------
    await new Promise<void>((resolve) => {
      if (stop.aborted || stepDown.signal.aborted) return resolve();
      stop.addEventListener('abort', () => resolve(), { once: true });
      stepDown.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    stopping = true;
    logger.info({ running: dispatcher.activeCount }, 'stopping: no new slots will be claimed');
    timer.stop();
    clearInterval(housekeeping);
    clearInterval(cleaning);
    void reloading;
    await claims.idle().catch(() => {});
    if (!(await dispatcher.waitIdle(config.shutdownGraceMs))) {
      logger.warn(
        { running: dispatcher.activeCount, graceMs: config.shutdownGraceMs },
        'grace over: stopping running jobs',
      );
      dispatcher.stopAll('daemon shutdown');
      await dispatcher.waitIdle(maxKillGrace(jobs) + 2000);
    }
    await dispatcher.flushLedgerWrites();
    if (!stepDown.signal.aborted) {
      try {
        await snapshots.flush();
      } catch {
        exitCode = 1;
      }
    }
    logger.info({ exitCode }, 'stopped');
    return exitCode;
  }

  function planInput(job: JobRuntime) {
    const c = job.config;
    return {
      name: c.name,
      slots: job.slots,
      catchup: c.catchup,
      catchupWindowMs: c.catchupWindowMs,
      maxCatchup: c.maxCatchup,
      backfillFromMs: c.backfillFromMs,
    };
  }

  function logPlan(p: JobPlan, msg = 'catch-up plan'): void {
    if (p.firstSeen) {
      logger.info(
        { job: p.job, baseline: iso(p.baselineMs!) },
        'job seen for the first time: no catch-up, baseline now',
      );
      return;
    }
    if (p.missed === 0 && p.expired === 0) return;
    const fields = {
      job: p.job,
      missed: p.missed,
      runs: p.runs.length,
      dropped: p.dropped,
      skipped: p.skipped,
      expired: p.expired,
      exact: p.exact,
    };
    if (p.dropped > 0)
      logger.warn(fields, `${msg}: ${p.dropped} oldest missed slot(s) dropped by maxCatchup`);
    else logger.info(fields, msg);
  }

  function logConflicts(conflicts: SlotClaim[]): void {
    for (const c of conflicts) {
      logger.warn(
        { job: c.job, scheduledAt: iso(c.scheduledAtMs) },
        'slot already claimed: not running it again',
      );
    }
  }
}

function maxKillGrace(jobs: JobRuntime[]): number {
  return Math.max(0, ...jobs.map((j) => j.config.killGraceMs));
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
