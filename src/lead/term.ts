// One term as leader, in phases: restore the state (restore.ts), reconcile the
// job changes (reconcile.ts), catch up (catch-up.ts), schedule normally and
// apply reloads until told to stop or until leadership is lost (steady state,
// here), then drain (drain.ts). The term owns what its phases share: the
// config in force, whether it is ending, and how it gives up.
import type { Logger } from 'pino';
import { jobsByName } from '../config/jobs-by-name.js';
import type { Config, JobConfig } from '../config/types.js';
import type { RunDispatcher } from '../dispatch/run-dispatcher.js';
import type { Leadership } from '../ha/leadership.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Clock } from '../runtime/clock.js';
import type { SlotCalculators } from '../schedule/slot-calculator.js';
import type { NodeState } from '../status/node-state.js';
import { BadRowLog } from '../store/bad-rows.js';
import type { Db } from '../store/db.js';
import { FencedError } from '../store/fence.js';
import { applyJobChanges } from './apply-job-changes.js';
import { catchUp } from './catch-up.js';
import { drain } from './drain.js';
import { LedgerCleaning } from './ledger-cleaning.js';
import { reconcileJobs } from './reconcile.js';
import { assembleTerm, type TermParts } from './term-parts.js';
import { restoreJobState } from './restore.js';

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
  /** The daemon's slot calculators, shared by its scheduler, its controls and its status reads. */
  calculators: SlotCalculators;
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
export function leadTerm(o: LeaderTermOptions): Promise<TermResult> {
  return new LeaderTerm(o).run();
}

class LeaderTerm {
  /** The config in force: a reload replaces its jobs and shutdownGrace. */
  private config: Config;
  /** Set once the term ends: nothing more is claimed or started. */
  private stopping = false;
  private exitCode = 0;
  /** Aborted when the term gives up (leadership lost, a fenced or failed write). */
  private readonly stepDown = new AbortController();
  /** Resolves when the daemon is told to stop or the term gives up. */
  private readonly ended: Promise<void>;
  /** Rows of the store no run can use are skipped or rejected, each reported once a term. */
  private readonly badRows: BadRowLog;
  private reloading = Promise.resolve();

  constructor(private readonly o: LeaderTermOptions) {
    this.config = o.config;
    this.badRows = new BadRowLog(o.logger, o.metrics);
    void o.leadership.lost.then((err) => this.fail(err, 'lost the leader lock'));
    this.ended = new Promise<void>((resolve) => {
      if (o.stop.aborted) return resolve();
      o.stop.addEventListener('abort', () => resolve(), { once: true });
      this.stepDown.signal.addEventListener('abort', () => resolve(), { once: true });
    });
  }

  async run(): Promise<TermResult> {
    const { clock, logger, node } = this.o;
    const state = await restoreJobState({ ...this.o, config: this.config, onBadRow: this.badRows.report });
    const parts = assembleTerm({
      ...this.o,
      fence: this.o.leadership.fence,
      state,
      config: () => this.config,
      stopping: () => this.stopping,
      fail: this.fail,
      onBadRow: this.badRows.report,
      reschedule: (resumeAfterMs) => this.schedule(parts, resumeAfterMs),
    });
    await reconcileJobs({
      ...this.o,
      jobs: this.config.jobs,
      retentionMs: this.config.ledger.retentionMs,
      state,
      jobChanges: parts.jobChanges,
      controls: parts.controls,
    });
    // Every slot up to bootNow is the catch-up's to run or to leave out by policy; normal scheduling
    // resumes after it (or after the newest claimed slot, should a backward clock jump have put that later).
    const bootNow = clock.now();
    await this.schedule(parts, (job) => Math.max(bootNow, state.lastExecution.get(job.name) ?? 0));
    const caughtUp = catchUp(
      {
        ...this.o,
        ...parts,
        fence: this.o.leadership.fence,
        config: this.config,
        isPaused: (job) => parts.controls.isPaused(job),
        stopping: () => this.stopping,
        stopped: this.ended,
        onBadRow: this.badRows.report,
      },
      bootNow,
    ).catch((err: unknown) => this.fail(err, 'catch-up failed: giving up leadership'));
    // Controls are carried out from now on; their catch-up runs wait for the boot catch-up.
    parts.controls.start(caughtUp);
    // A stop during a long catch-up goes straight to the drain.
    await Promise.race([caughtUp, this.ended]);

    // The steady state.
    if (!this.o.stop.aborted && !this.stepDown.signal.aborted) {
      await parts.snapshots.flush().catch(() => {});
      parts.scheduler.start();
      // The log line first: node.update sends READY=1 through a child process, which can reach
      // systemd before a line logged after it is timestamped.
      logger.info({ jobs: parts.scheduler.size, epoch: this.o.leadership.fence.epoch }, 'ready: scheduling');
      node.update({ caughtUp: true, catchUp: null });
    }
    const housekeeping = setInterval(() => parts.snapshots.maybeFlush(), FLUSH_CHECK_MS);
    const cleaning = new LedgerCleaning({
      ...this.o,
      fence: this.o.leadership.fence,
      retentionMs: () => this.config.ledger.retentionMs,
    });
    cleaning.start();
    const unsubscribe = this.o.onReload((next) => this.reload(parts, next));
    await this.ended;

    this.stopping = true;
    unsubscribe();
    await this.reloading;
    await parts.jobChanges.saving;
    clearInterval(housekeeping);
    cleaning.stop();
    const flushed = await drain({
      ...this.o,
      ...parts,
      reason: this.o.stop.aborted ? 'stopped' : 'lost',
      config: this.config,
      catchUp: caughtUp,
      mayFlush: () => !this.stepDown.signal.aborted,
    });
    if (!flushed) this.exitCode = 1;
    return { reason: this.o.stop.aborted ? 'stopped' : 'lost', exitCode: this.exitCode };
  }

  private readonly fail = (err: unknown, why: string): void => {
    if (this.stepDown.signal.aborted) return;
    if (err instanceof FencedError) this.o.logger.error({ err }, 'fenced: another node took over');
    else this.o.logger.error({ err }, why);
    this.exitCode = 1;
    this.stepDown.abort();
  };

  /** Schedules every configured job that is not paused; a job that joins resumes after `resumeAfterMs`. */
  private async schedule(parts: TermParts, resumeAfterMs: (job: JobConfig) => number): Promise<void> {
    const jobs = this.config.jobs;
    await parts.scheduler.setJobs(
      jobs.filter((j) => !parts.controls.isPaused(j.name)),
      (job, previous) => previous ?? resumeAfterMs(job),
    );
    this.o.metrics.retainJobs(jobsByName(jobs));
    this.o.node.update({ jobs: jobs.length });
  }

  /** A config accepted on reload: its jobs (renames, schedule changes, additions) and shutdownGrace apply. */
  private reload(parts: TermParts, next: Config): void {
    const { clock, logger } = this.o;
    if (restartOnlySettings(this.config) !== restartOnlySettings(next)) {
      logger.warn(
        'store, snapshot, ledger, http, ha or catch-up settings changed: they take effect at the next restart',
      );
    }
    this.config = { ...this.config, jobs: next.jobs, shutdownGraceMs: next.shutdownGraceMs };
    const { state, scheduler } = parts;
    this.reloading = this.reloading
      .then(async () => {
        const now = clock.now();
        await applyJobChanges(parts.jobChanges, next.jobs, now);
        await this.schedule(parts, (job) => {
          // Added by this reload: seen for the first time now, unless re-added within the retention.
          if (!state.lastExecution.has(job.name)) state.setBaseline(job.name, now);
          return Math.max(now, state.lastExecution.get(job.name) ?? now);
        });
        logger.info({ jobs: scheduler.size }, 'config reloaded');
      })
      .catch((err: unknown) => this.fail(err, 'applying the reloaded config failed: giving up leadership'));
  }
}

/** The settings a reload does not apply (only the jobs and shutdownGrace are reloaded). */
function restartOnlySettings(c: Config): string {
  return JSON.stringify([c.store, c.spool, c.snapshot, c.ledger, c.http, c.ha, c.catchupConcurrency]);
}
