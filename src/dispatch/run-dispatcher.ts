// Starts the runs of claimed slots, applying each job's overlap policy, jitter
// and the concurrency limits; each run goes through runSlot (attempts,
// retries, hooks). A claimed slot is never started twice and never silently
// dropped: a slot skipped by the overlap policy is recorded as 'skipped'.
import type { Logger } from 'pino';
import type { Clock } from '../runtime/clock.js';
import type { Config, JobConfig } from '../config/types.js';
import type { Metrics } from '../metrics/metrics.js';
import { removeSpool } from '../run/run-spool.js';
import { type PreparedRun, prepareSupervised } from '../run/prepare-run.js';
import type { RunResult } from '../run/types.js';
import { slotJitterMs } from '../schedule/jitter.js';
import type { Queryable } from '../store/db.js';
import type { Fence } from '../store/fence.js';
import { type RunTrace, recordSkipped } from '../store/attempts.js';
import type { ClaimedSlot } from '../schedule/slot.js';
import { ConcurrencyLimit } from './concurrency-limit.js';
import type { HandedAttempts } from './handed-attempts.js';
import { type AdoptedAttempt, type AttemptInProgress, SHUTDOWN, runRequest, runSlot } from './run-slot.js';
import { isoUtc } from '../text/iso-time.js';
import { SupervisorLauncher } from '../run/run-supervisor.js';

interface ActiveRun {
  slot: ClaimedSlot;
  abort: AbortController;
  /** The attempt in progress; undefined while waiting (jitter, backoff, a place). */
  attempt: AttemptInProgress | undefined;
}

interface JobRuns {
  active: Set<ActiveRun>;
  /** Claimed slots waiting for the running one (overlap: queue), oldest first. */
  queued: Array<{ slot: ClaimedSlot; done: (r: RunResult | undefined) => void }>;
}

export interface RunDispatcherOptions {
  db: Queryable;
  logger: Logger;
  clock: Clock;
  /** The current leader epoch and node: runs start under it, fenced. */
  fence: () => Fence;
  concurrency: Config['concurrency'];
  metrics?: Metrics;
  /** Called when the number of runs waiting for a place changes. */
  onWaiting?: (waiting: number) => void;
  /** This node's host and spool: commands run under supervisors that outlive the daemon. */
  trace?: RunTrace;
  /** The leader's side of workers (a Postgres store): runs of `runOn: <pool>` jobs are handed through it. */
  handed?: HandedAttempts;
}

export interface DispatchOptions {
  /** The attempt to start with (a run an earlier leader left with a retry pending); default 1. */
  attempt?: number;
  /** Not before this instant (UTC ms): a pending retry's due time. */
  notBeforeMs?: number;
  /** Delay the start by the job's deterministic jitter (regular runs). */
  jitter?: boolean;
  /** Follow attempt `attempt`, started by a daemon that is gone, instead of starting it. */
  adopt?: AdoptedAttempt;
  /** Follow attempt `handed`, handed to its pool by a leader that is gone, instead of handing it. */
  handed?: number;
}

/** A claimed slot's first attempt, made ready ahead of its instant. */
interface Preparation {
  job: JobConfig;
  epoch: number;
  ready: Promise<PreparedRun | undefined>;
}

export class RunDispatcher {
  private readonly jobs = new Map<string, JobRuns>();
  private readonly prepared = new Map<number, Preparation>();
  private readonly ledgerWrites = new Set<Promise<void>>();
  private readonly limit: ConcurrencyLimit;
  /** Starts this node's supervisors (a shell made on first use). */
  private readonly launcher = new SupervisorLauncher();
  /** Counts releaseWaiting calls: a slot judged across one is left, as the waiting ones are. */
  private releases = 0;

  constructor(private readonly options: RunDispatcherOptions) {
    this.limit = new ConcurrencyLimit(options.concurrency);
  }

  /** This node's host and spool, when its commands run supervised. */
  get trace(): RunTrace | undefined {
    return this.options.trace;
  }

  /** Runs in progress or waiting to start (jitter, a retry's backoff, a place), across all jobs. */
  get activeCount(): number {
    let n = 0;
    for (const j of this.jobs.values()) n += j.active.size;
    return n;
  }

  /** Run ids of the runs in progress or waiting to start. */
  runIds(): number[] {
    const ids: number[] = [];
    for (const j of this.jobs.values()) for (const a of j.active) ids.push(a.slot.runId);
    return ids;
  }

  /** Runs waiting for a place under the concurrency limits. */
  get waitingCount(): number {
    return this.limit.waiting;
  }

  /**
   * Makes the first attempt of a slot claimed ahead of its instant ready to
   * start (its spool directory, the check that the command can be spawned),
   * so that at the instant only the start is recorded and the supervisor
   * spawned: file-system work on a busy event loop costs a turn per call.
   * Taken by the slot's dispatch; one never taken is dropped with it
   * (discardPrepared).
   */
  prepare(job: JobConfig, slot: ClaimedSlot): void {
    const trace = this.options.trace;
    const action = job.action;
    // A worker's run is prepared by its worker.
    if (!trace || action.kind !== 'command' || job.runOn !== undefined || this.prepared.has(slot.runId))
      return;
    const fence = this.options.fence();
    // A failure here is met again, and reported, at the start.
    const ready = prepareSupervised(runRequest(job, slot, fence, 1), action, trace.spool).catch(
      () => undefined,
    );
    this.prepared.set(slot.runId, { job, epoch: fence.epoch, ready });
  }

  /**
   * Drops the preparation of a slot that will not be started from it (its spool
   * directory, still empty, goes); resolves once it is gone.
   */
  discardPrepared(runId: number): Promise<void> {
    const p = this.prepared.get(runId);
    if (!p) return Promise.resolve();
    this.prepared.delete(runId);
    const removed = p.ready.then((r) => (r ? removeSpool(r.paths) : undefined)).catch(() => {});
    // Tracked, so that it is done before the daemon exits.
    this.track(removed);
    return removed;
  }

  private takePrepared(
    runId: number,
    job: JobConfig,
    epoch: number,
  ): Promise<PreparedRun | undefined> | undefined {
    const p = this.prepared.get(runId);
    if (!p) return undefined;
    // Made for another version of the job (a reload) or another term: not this attempt's. The
    // attempt is made ready again in the same directory (named by the run), once this one is gone.
    if (p.job !== job || p.epoch !== epoch) return this.discardPrepared(runId).then(() => undefined);
    this.prepared.delete(runId);
    return p.ready;
  }

  /**
   * Starts (or queues, skips, replaces by policy) the run of a claimed slot.
   * Resolves with its final result, or undefined if it was skipped or left to
   * the next leader.
   */
  dispatch(job: JobConfig, slot: ClaimedSlot, o: DispatchOptions = {}): Promise<RunResult | undefined> {
    const done = this.dispatchByPolicy(job, slot, o);
    void done.finally(() => void this.discardPrepared(slot.runId));
    return done;
  }

  private dispatchByPolicy(
    job: JobConfig,
    slot: ClaimedSlot,
    o: DispatchOptions,
  ): Promise<RunResult | undefined> {
    const runs = this.runsOf(job.name);
    if (runs.active.size === 0) return this.start(job, slot, o);
    // (Replacing a run that has ended stops nothing: only a skip would lose the slot.)
    if (!slot.manual && job.overlap === 'skip') return this.unlessEndedBy(job, slot, o);
    return this.byPolicy(job, slot, o);
  }

  /**
   * The previous run may have ended by this slot's instant though its end is
   * not processed yet (the event loop was busy at the instant, and judges
   * late): then it does not overlap the slot, which waits for that end
   * instead of being skipped.
   */
  private async unlessEndedBy(
    job: JobConfig,
    slot: ClaimedSlot,
    o: DispatchOptions,
  ): Promise<RunResult | undefined> {
    const runs = this.runsOf(job.name);
    const releases = this.releases;
    const ended = await Promise.all(
      [...runs.active].map((a) => a.attempt?.endedBy(slot.scheduledAtMs) ?? false),
    );
    // Released meanwhile (a stop, a lost term): it stays claimed for the next leader, as queued slots do.
    if (this.releases !== releases) return undefined;
    if (runs.active.size === 0) return this.start(job, slot, o);
    if (!ended.every(Boolean)) return this.byPolicy(job, slot, o);
    this.options.logger.info(
      { job: job.name, scheduledAt: isoUtc(slot.scheduledAtMs), runId: slot.runId },
      'the previous run ended by the instant, and is being recorded: the slot starts after it',
    );
    return new Promise((done) => runs.queued.push({ slot, done }));
  }

  private byPolicy(job: JobConfig, slot: ClaimedSlot, o: DispatchOptions): Promise<RunResult | undefined> {
    const runs = this.runsOf(job.name);
    if (runs.active.size === 0) return this.start(job, slot, o);
    const log = this.options.logger;
    const fields = {
      job: job.name,
      scheduledAt: isoUtc(slot.scheduledAtMs),
      runId: slot.runId,
      overlap: job.overlap,
    };
    // An operator's trigger is never lost to a run in progress: it waits for it, then runs.
    if (slot.manual && job.overlap === 'skip') {
      log.info(fields, 'previous run still running: the manual run waits for it');
      return new Promise((done) => runs.queued.push({ slot, done }));
    }
    switch (job.overlap) {
      case 'allow':
        return this.start(job, slot, o);
      case 'replace':
        log.warn(fields, 'previous run still running: replacing it');
        for (const a of runs.active) a.abort.abort(`replaced by the run of ${isoUtc(slot.scheduledAtMs)}`);
        return this.start(job, slot, o);
      case 'queue':
        log.info(fields, 'previous run still running: queued');
        return new Promise((done) => runs.queued.push({ slot, done }));
      case 'skip':
        log.warn(fields, 'previous run still running: slot skipped');
        this.options.metrics?.runs.inc({ job: job.name, outcome: 'skipped', catchup: String(slot.catchup) });
        this.track(
          recordSkipped(
            this.options.db,
            slot.runId,
            this.options.clock.now(),
            'overlap: the previous run was still running',
          ),
        );
        return Promise.resolve(undefined);
    }
  }

  /**
   * Forgets the queued slots (overlap: queue) and ends every wait (jitter, a
   * retry's backoff, a place) without starting anything: those slots and
   * pending retries stay in the ledger for the next leader. Attempts in
   * progress go on.
   */
  releaseWaiting(): void {
    this.releases++;
    for (const [job, runs] of this.jobs) {
      const left = runs.queued.splice(0);
      if (left.length > 0) {
        this.options.logger.info(
          { job, slots: left.length },
          'queued slots left claimed for the next leader',
        );
      }
      for (const q of left) q.done(undefined);
      for (const a of runs.active) if (!a.attempt) a.abort.abort(SHUTDOWN);
    }
  }

  /** Releases what waits and stops every attempt in progress (SIGTERM, SIGKILL after killGrace). */
  stopAll(): void {
    this.releaseWaiting();
    for (const runs of this.jobs.values())
      for (const a of runs.active) {
        // One started after its wait was released (see runSlot) has an aborted signal already.
        if (a.abort.signal.aborted) a.attempt?.stop(SHUTDOWN);
        else a.abort.abort(SHUTDOWN);
      }
  }

  /** Ends the supervisor launcher at the daemon's exit; runs it started go on under their supervisors. */
  closeLauncher(): Promise<void> {
    return this.launcher.close();
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

  /**
   * A graceful stop: lets the runs in progress finish within `graceMs`, then
   * stops them (SIGTERM, SIGKILL after the largest killGrace) and waits for
   * them; then for their ledger writes.
   */
  async drain(graceMs: number, killGraceMs: number): Promise<void> {
    if (!(await this.waitIdle(graceMs))) {
      this.options.logger.warn({ running: this.activeCount, graceMs }, 'grace over: stopping running jobs');
      this.stopAll();
      await this.waitIdle(killGraceMs + 2_000);
    }
    await this.flushLedgerWrites();
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
      runs = { active: new Set(), queued: [] };
      this.jobs.set(name, runs);
    }
    return runs;
  }

  private async start(job: JobConfig, slot: ClaimedSlot, o: DispatchOptions): Promise<RunResult | undefined> {
    const runs = this.runsOf(job.name);
    const active: ActiveRun = { slot, abort: new AbortController(), attempt: undefined };
    active.abort.signal.addEventListener('abort', () =>
      active.attempt?.stop(String(active.abort.signal.reason)),
    );
    runs.active.add(active);
    const jitterMs =
      o.jitter && job.jitterMs > 0 ? slotJitterMs(job.name, slot.scheduledAtMs, job.jitterMs) : 0;
    const notBeforeMs = o.notBeforeMs ?? (jitterMs > 0 ? slot.scheduledAtMs + jitterMs : undefined);
    const metrics = this.options.metrics;
    try {
      return await runSlot(
        {
          db: this.options.db,
          logger: this.options.logger,
          clock: this.options.clock,
          fence: this.options.fence,
          limit: this.limit,
          metrics,
          track: (w) => this.track(w),
          ...(this.options.trace ? { trace: this.options.trace } : {}),
          launcher: this.launcher,
          ...(this.options.handed ? { handed: this.options.handed } : {}),
          takePrepared: (runId, j, epoch) => this.takePrepared(runId, j, epoch),
        },
        job,
        slot,
        {
          attempt: o.attempt ?? 1,
          notBeforeMs,
          signal: active.abort.signal,
          ...(o.adopt ? { adopt: o.adopt } : {}),
          ...(o.handed !== undefined ? { handed: o.handed } : {}),
          onAttempt: (attempt) => {
            active.attempt = attempt;
            this.waitingChanged();
          },
        },
      );
    } catch (err) {
      this.options.logger.error({ err, job: job.name, runId: slot.runId }, 'run failed unexpectedly');
      return undefined;
    } finally {
      runs.active.delete(active);
      this.waitingChanged();
      const next = runs.queued.shift();
      if (next) void this.start(job, next.slot, {}).then(next.done);
    }
  }

  private waitingChanged(): void {
    this.options.metrics?.runsWaiting.set(this.limit.waiting);
    this.options.onWaiting?.(this.limit.waiting);
  }

  /** Ledger writes must not crash the daemon when the database is briefly away; they are logged. */
  private track(write: Promise<void>): void {
    const p = write.catch((err: unknown) => {
      this.options.logger.error({ err }, 'could not record a run in the ledger');
    });
    this.ledgerWrites.add(p);
    void p.finally(() => this.ledgerWrites.delete(p));
  }
}
