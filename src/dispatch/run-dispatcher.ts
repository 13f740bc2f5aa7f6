// Starts the runs of claimed slots, applying each job's overlap policy, and
// records every run's start and outcome in the ledger. A claimed slot is never
// started twice and never silently dropped: a slot skipped by the overlap
// policy is recorded as 'skipped'.
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Metrics } from '../metrics.js';
import type { JobConfig } from '../config/types.js';
import type { Queryable } from '../store/db.js';
import type { Fence } from '../store/fence.js';
import { type ClaimedSlot, markFinished, markStarted } from '../store/ledger.js';
import { startRun } from '../run/start-run.js';
import type { RunHandle, RunResult } from '../run/types.js';

interface ActiveRun {
  slot: ClaimedSlot;
  handle: RunHandle;
}

interface JobRuns {
  active: Set<ActiveRun>;
  /** Claimed slots waiting for the running one (overlap: queue), oldest first. */
  queued: Array<{ slot: ClaimedSlot; done: (r: RunResult | undefined) => void }>;
  /** Runs between claim and spawn (their start is being recorded). */
  starting: number;
}

export interface RunDispatcherOptions {
  db: Queryable;
  logger: Logger;
  clock: Clock;
  /** The current leader epoch and node: runs start under it, fenced. */
  fence: () => Fence;
  metrics?: Metrics;
}

export class RunDispatcher {
  private readonly jobs = new Map<string, JobRuns>();
  private readonly ledgerWrites = new Set<Promise<void>>();

  constructor(private readonly options: RunDispatcherOptions) {}

  /** Runs in progress across all jobs. */
  get activeCount(): number {
    let n = 0;
    for (const j of this.jobs.values()) n += j.active.size + j.starting;
    return n;
  }

  isRunning(job: string): boolean {
    const runs = this.jobs.get(job);
    return runs !== undefined && runs.active.size + runs.starting > 0;
  }

  /**
   * Starts (or queues, skips, replaces by policy) the run of a claimed slot.
   * Resolves with its result once it has run, or undefined if it was skipped.
   */
  dispatch(job: JobConfig, slot: ClaimedSlot): Promise<RunResult | undefined> {
    const runs = this.runsOf(job.name);
    if (runs.active.size + runs.starting === 0) return this.start(job, slot);
    const log = this.options.logger;
    const fields = {
      job: job.name,
      scheduledAt: iso(slot.scheduledAtMs),
      runId: slot.runId,
      overlap: job.overlap,
    };
    switch (job.overlap) {
      case 'allow':
        return this.start(job, slot);
      case 'replace':
        log.warn(fields, 'previous run still running: replacing it');
        for (const a of runs.active) a.handle.stop(`replaced by the run of ${iso(slot.scheduledAtMs)}`);
        return this.start(job, slot);
      case 'queue':
        log.info(fields, 'previous run still running: queued');
        return new Promise((done) => runs.queued.push({ slot, done }));
      case 'skip':
        log.warn(fields, 'previous run still running: slot skipped');
        this.options.metrics?.runs.inc({ job: job.name, outcome: 'skipped', catchup: String(slot.catchup) });
        this.recordOutcome(slot.runId, {
          outcome: 'skipped',
          exitCode: null,
          signal: null,
          httpStatus: null,
          durationMs: null,
          error: 'overlap: the previous run was still running',
        });
        return Promise.resolve(undefined);
    }
  }

  /**
   * Forgets the queued slots (overlap: queue) of every job. They stay claimed
   * but unstarted in the ledger, so the next leader runs them.
   */
  dropQueued(): void {
    for (const [job, runs] of this.jobs) {
      const left = runs.queued.splice(0);
      if (left.length > 0) {
        this.options.logger.info(
          { job, slots: left.length },
          'queued slots left claimed for the next leader',
        );
      }
      for (const q of left) q.done(undefined);
    }
  }

  /** Drops the queued slots and stops every run in progress. */
  stopAll(reason: string): void {
    this.dropQueued();
    for (const runs of this.jobs.values()) for (const a of runs.active) a.handle.stop(reason);
  }

  /** Resolves when no run is active or queued, or after `timeoutMs`; returns whether it went idle. */
  async waitIdle(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.activeCount > 0 || this.queuedCount() > 0) {
      if (Date.now() >= deadline) return false;
      await new Promise((r) => setTimeout(r, 50));
    }
    return true;
  }

  /** Resolves once every ledger write issued so far has settled. */
  async flushLedgerWrites(): Promise<void> {
    while (this.ledgerWrites.size > 0) await Promise.allSettled([...this.ledgerWrites]);
  }

  private queuedCount(): number {
    let n = 0;
    for (const j of this.jobs.values()) n += j.queued.length;
    return n;
  }

  private runsOf(name: string): JobRuns {
    let runs = this.jobs.get(name);
    if (!runs) {
      runs = { active: new Set(), queued: [], starting: 0 };
      this.jobs.set(name, runs);
    }
    return runs;
  }

  private async start(job: JobConfig, slot: ClaimedSlot): Promise<RunResult | undefined> {
    const runs = this.runsOf(job.name);
    try {
      return await this.runSlot(job, slot, runs);
    } finally {
      const next = runs.queued.shift();
      if (next) void this.start(job, next.slot).then(next.done);
    }
  }

  private async runSlot(job: JobConfig, slot: ClaimedSlot, runs: JobRuns): Promise<RunResult | undefined> {
    const { clock, db, logger } = this.options;
    const fence = this.options.fence();
    const fields = { job: job.name, scheduledAt: iso(slot.scheduledAtMs), runId: slot.runId };
    // started_at is committed before the process exists: after a crash, a row
    // without it was certainly never started and may be run by the next leader,
    // while a row with it may have run and is never started again.
    runs.starting++;
    try {
      if (!(await markStarted(db, fence, slot.runId, clock.now()))) {
        logger.warn(fields, 'not starting: this node no longer leads, or another leader took the slot over');
        return undefined;
      }
    } catch (err) {
      logger.error(
        { err, ...fields },
        'could not mark the run started; it stays claimed for the next leader',
      );
      return undefined;
    } finally {
      runs.starting--;
    }
    const metrics = this.options.metrics;
    const catchup = String(slot.catchup);
    metrics?.startLatenessSeconds.observe({ catchup }, Math.max(0, clock.now() - slot.scheduledAtMs) / 1000);
    if (slot.catchup) metrics?.catchupRuns.inc({ job: job.name });
    const handle = startRun(
      {
        runId: slot.runId,
        job,
        scheduledAtMs: slot.scheduledAtMs,
        catchup: slot.catchup,
        epoch: fence.epoch,
        nodeId: fence.nodeId,
      },
      logger,
    );
    const active: ActiveRun = { slot, handle };
    runs.active.add(active);
    const result = await handle.result;
    runs.active.delete(active);
    this.track(markFinished(db, slot.runId, clock.now(), result));
    metrics?.runs.inc({ job: job.name, outcome: result.outcome, catchup });
    metrics?.runSeconds.observe({ job: job.name }, result.durationMs / 1000);
    if (result.outcome === 'success') metrics?.setLastSuccess(job.name, slot.scheduledAtMs);
    return result;
  }

  private recordOutcome(runId: number, record: Parameters<typeof markFinished>[3]): void {
    this.track(markFinished(this.options.db, runId, this.options.clock.now(), record));
  }

  /** Ledger writes must not crash the daemon when the database is briefly away; they are logged. */
  private track(write: Promise<void>): Promise<void> {
    const p = write.catch((err: unknown) => {
      this.options.logger.error({ err }, 'could not record a run in the ledger');
    });
    this.ledgerWrites.add(p);
    void p.finally(() => this.ledgerWrites.delete(p));
    return p;
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
