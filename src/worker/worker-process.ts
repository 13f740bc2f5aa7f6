// `cronkeeper worker`: a process on any host that runs the attempts of one
// pool's jobs. graphile-worker hands it the queue's jobs (LISTEN/NOTIFY pick-
// up, SKIP LOCKED); each names an attempt the leader handed, which this worker
// takes in the ledger (only one worker can: worker-attempts.ts), runs with the
// same executors as the leader (command or HTTP, timeout, kill grace, output
// tail) and records. A command runs under a supervisor in the worker's home
// spool (<spool.path>/workers/<pool>), so it outlives the worker; a worker of
// the pool on this host takes over what a dead one left (left-runs.ts). It
// says it is alive every lease/4: a worker silent for two leases is dead.
import path from 'node:path';
import type { Logger } from 'pino';
import type pg from 'pg';
import type { WorkerPool } from 'graphile-worker';
import type { Clock } from '../runtime/clock.js';
import { jobsByName } from '../config/jobs-by-name.js';
import type { Config, JobConfig } from '../config/types.js';
import { runRequest, toRecord } from '../dispatch/run-slot.js';
import { sweepSpool } from '../dispatch/sweep-spool.js';
import { prepareSupervised } from '../run/prepare-run.js';
import { removeSpool } from '../run/run-spool.js';
import { SupervisorLauncher } from '../run/run-supervisor.js';
import { adoptRun, startRun } from '../run/start-run.js';
import type { RunHandle, RunRequest, RunResult } from '../run/types.js';
import { recordSpawn } from '../store/attempts.js';
import type { Db } from '../store/db.js';
import { KeepListening } from '../store/keep-listening.js';
import { queueLogger, queuePool } from '../store/queue-schema.js';
import {
  type AttemptKey,
  type TakenAttempt,
  type WorkerTrace,
  finishWorkerAttempt,
  poolTask,
  takeAttempt,
} from '../store/worker-attempts.js';
import type { AttemptResult } from '../store/attempts.js';
import type { WorkerHome } from '../store/worker-homes.js';
import { recordWorker, recordWorkerStopped } from '../store/worker-records.js';
import { ATTEMPT_STOP_CHANNEL, readStopRequests } from '../store/worker-stops.js';
import { type LeftRun, takeOverLeftRuns } from './left-runs.js';

export interface WorkerOptions {
  config: Config;
  db: Db;
  /** store.url: graphile-worker's connections go there too. */
  url: string;
  pool: string;
  concurrency: number;
  workerId: string;
  host: string;
  logger: Logger;
  clock: Clock;
}

/** The application_name of a worker's connections (its queue's: with " queue"). */
export const WORKER_APPLICATION = 'cronkeeper worker';

/**
 * The connections of each of a worker's two pools (the store's, the queue's).
 * A run holds one only for moments (its take, its spawn, its end; the queue's
 * fetch and completion), so runs at once share a few; a pool much smaller
 * than the runs starting together delays their takes, and the heartbeat
 * behind them. Bounded, so that a worker of `--concurrency 64` does not open
 * 130 connections.
 */
export function workerConnections(concurrency: number): number {
  return Math.min(concurrency, 8) + 2;
}

/** How often the stop requests of the runs in progress are read besides their notifications (ms). */
const STOP_POLL_MS = 2_000;

export class WorkerProcess {
  private queue: WorkerPool | undefined;
  private queuePool: pg.Pool | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private stopPoll: NodeJS.Timeout | undefined;
  private stops: KeepListening | undefined;
  private readonly running = new Map<string, RunHandle>();
  /** Each run followed, and each end being recorded, until it is. */
  private readonly recording = new Set<Promise<void>>();
  private readonly trace: WorkerTrace;
  private readonly home: WorkerHome;
  private readonly launcher = new SupervisorLauncher();
  private lookingForLeft: Promise<void> | undefined;
  private stopping = false;

  constructor(private readonly o: WorkerOptions) {
    // Not the daemon's spool root (whose sweep only knows its own runs' directories), one per pool.
    const spool = path.join(o.config.spool.path, 'workers', o.pool);
    this.home = { host: o.host, spool, pool: o.pool };
    this.trace = { workerId: o.workerId, pool: o.pool, host: o.host, spool };
  }

  /** Records the worker and starts taking the pool's runs. */
  async start(): Promise<void> {
    const { db, logger, clock } = this.o;
    await recordWorker(db, this.record(), clock.now());
    // What a dead worker of this home left, before taking new runs; then the directories of runs over.
    await this.lookForLeftRuns();
    await sweepSpool(db, this.home.spool, logger, {
      epoch: Number.MAX_SAFE_INTEGER,
      keep: new Set([...this.running.keys()].map((id) => Number(id.split(':')[0]))),
    }).catch((err: unknown) => logger.warn({ err, spool: this.home.spool }, 'could not sweep the spool'));
    const beatMs = Math.max(250, Math.floor(this.o.config.ha.leaseMs / 4));
    let failing = false;
    this.heartbeat = setInterval(() => {
      recordWorker(db, this.record(), clock.now()).then(
        () => {
          failing = false;
          void this.lookForLeftRuns();
        },
        (err: unknown) => {
          // Once per outage: the leader takes a worker silent for two leases as dead.
          if (!failing)
            logger.warn({ err }, 'could not record the heartbeat: the leader may take this worker for dead');
          failing = true;
        },
      );
    }, beatMs);
    this.stops = new KeepListening(db, ATTEMPT_STOP_CHANNEL, () => void this.checkStops(), {
      retryMs: 1_000,
      onDropped: (err) => logger.warn({ err }, 'stop notifications connection ended; listening again'),
    });
    this.stopPoll = setInterval(() => void this.checkStops(), STOP_POLL_MS);
    const { runTaskList } = await import('graphile-worker');
    this.queuePool = queuePool(
      db,
      this.o.url,
      workerConnections(this.o.concurrency),
      `${WORKER_APPLICATION} queue`,
    );
    const log = await queueLogger((level, message) => logger[level]({ queue: 'graphile-worker' }, message));
    this.queue = runTaskList(
      { concurrency: this.o.concurrency, noHandleSignals: true, pollInterval: 1_000, logger: log },
      { [poolTask(this.o.pool)]: (payload) => this.runTask(payload) },
      this.queuePool,
    );
    logger.info(
      { workerId: this.o.workerId, pool: this.o.pool, concurrency: this.o.concurrency },
      'worker ready: taking the runs of its pool',
    );
  }

  /**
   * Takes no more runs, lets those in progress finish within `graceMs`, then
   * stops them (SIGTERM, SIGKILL after their kill grace); records the worker
   * stopped.
   */
  async stop(graceMs: number): Promise<void> {
    const { db, logger, clock } = this.o;
    this.stopping = true;
    await this.lookingForLeft;
    // The queue's runs, and those taken over from a dead worker (no queue job's).
    const ended = Promise.resolve(this.queue?.gracefulShutdown('cronkeeper worker stopping')).then(() =>
      this.allRecorded(),
    );
    const over = await Promise.race([
      ended.then(() => true),
      new Promise<boolean>((r) => setTimeout(() => r(false), graceMs).unref()),
    ]);
    if (!over) {
      logger.warn({ running: this.running.size, graceMs }, 'grace over: stopping running jobs');
      for (const h of this.running.values()) h.stop('the worker stops');
      await ended;
    }
    await this.launcher.close();
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.stopPoll) clearInterval(this.stopPoll);
    await this.stops?.close();
    await this.queuePool?.end();
    await recordWorkerStopped(db, this.o.workerId, clock.now()).catch(() => {});
  }

  private record() {
    return {
      workerId: this.o.workerId,
      pool: this.o.pool,
      host: this.o.host,
      pid: process.pid,
      concurrency: this.o.concurrency,
    };
  }

  /** One queue job: the attempt it names, taken and run here, unless another worker took it first. */
  private async runTask(payload: unknown): Promise<void> {
    const key = attemptKey(payload);
    if (!key) {
      this.o.logger.warn({ payload }, 'a queue job that names no attempt: dropped');
      return;
    }
    const taken = await takeAttempt(this.o.db, key, this.trace, this.o.clock.now());
    if (!taken) return; // taken by another worker, or no longer open
    await this.runTaken(taken, key);
  }

  /** Runs an attempt this worker holds in the ledger, and records its end. */
  private async runTaken(taken: TakenAttempt, key: AttemptKey): Promise<void> {
    const job = this.jobOf(taken, key);
    if (!job) return;
    await this.follow(key, await this.launch(job, taken, key));
  }

  /** The attempt's job in this worker's config; without it, the attempt ends as an error. */
  private jobOf(taken: TakenAttempt, key: AttemptKey): JobConfig | undefined {
    const job = jobsByName(this.o.config.jobs).get(taken.slot.job);
    if (job) return job;
    this.o.logger.error(
      { job: taken.slot.job, runId: key.runId, attempt: key.attempt, workerId: this.o.workerId },
      "the job is not in this worker's config: recorded as an error",
    );
    this.track(
      this.finish(
        key,
        toRecord(errorResult(`job '${taken.slot.job}' is not in worker ${this.o.workerId}'s config`)),
      ),
    );
    return undefined;
  }

  /** Follows a run to its end, records it, then removes what it left in the spool. */
  private follow(key: AttemptKey, handle: RunHandle): Promise<void> {
    const id = `${key.runId}:${key.attempt}`;
    this.running.set(id, handle);
    return this.track(
      handle.result
        .then((result) => this.finish(key, toRecord(result)))
        .then(() => handle.release?.().catch(() => {}))
        .finally(() => this.running.delete(id)),
    );
  }

  /** Keeps `recording` until it settles: a stop waits for it. */
  private track(recording: Promise<void>): Promise<void> {
    const done = recording.finally(() => this.recording.delete(done));
    this.recording.add(done);
    return done;
  }

  private request(job: JobConfig, taken: TakenAttempt, key: AttemptKey): RunRequest {
    return {
      ...runRequest(job, taken.slot, { epoch: taken.epoch, nodeId: taken.nodeId }, key.attempt),
      extraEnv: { CRONKEEPER_WORKER: this.o.workerId },
      extraBody: { worker: this.o.workerId },
    };
  }

  /** Starts a run: a command under its supervisor in this worker's home (a plain child if the spool cannot be written). */
  private async launch(job: JobConfig, taken: TakenAttempt, key: AttemptKey): Promise<RunHandle> {
    const { db, logger } = this.o;
    let request = this.request(job, taken, key);
    const action = job.action;
    if (action.kind === 'command') {
      const root = this.home.spool;
      try {
        const prepared = await prepareSupervised(request, action, root);
        request = { ...request, spool: { root, launcher: this.launcher }, prepared };
      } catch (err) {
        logger.warn(
          { job: job.name, runId: key.runId, spool: root, err: (err as Error).message },
          'cannot write the run spool: running the job without a supervisor (it will not outlive the worker)',
        );
      }
    }
    const handle = startRun(request, logger);
    void handle.spawned?.then((pid) => {
      if (pid !== undefined) void recordSpawn(db, key.runId, key.attempt, pid).catch(() => {});
    });
    return handle;
  }

  /** Takes over what dead workers of this home left (one look at a time; none once stopping). */
  private lookForLeftRuns(): Promise<void> {
    if (this.stopping || this.lookingForLeft) return this.lookingForLeft ?? Promise.resolve();
    const { db, clock, logger, config } = this.o;
    this.lookingForLeft = takeOverLeftRuns(db, this.home, this.o.workerId, {
      nowMs: clock.now(),
      leaseMs: config.ha.leaseMs,
      logger,
    })
      .then((runs) => {
        for (const r of runs) void this.carryOn(r);
      })
      .catch((err: unknown) => logger.warn({ err }, 'could not look for the runs of dead workers'))
      .finally(() => (this.lookingForLeft = undefined));
    return this.lookingForLeft;
  }

  /** A run taken over from a dead worker, as its spool says: followed, recorded, run, or lost. */
  private async carryOn(r: LeftRun): Promise<void> {
    const taken = { slot: r.left.slot, attempt: r.left.attempt, epoch: r.left.epoch, nodeId: r.left.nodeId };
    const key = { runId: r.left.runId, attempt: r.left.attempt };
    const job = this.jobOf(taken, key);
    if (!job) return;
    // An HTTP request in flight died with its worker, and leaves no trace.
    if (job.action.kind !== 'command')
      return this.track(this.finish(key, interrupted('its worker died while the request was in flight')));
    const found = r.found;
    if (!found) return this.track(this.finish(key, interrupted(`its spool cannot be read: ${r.unreadable}`)));
    switch (found.kind) {
      case 'never-started':
        // The ledger's evidence (a pid) wins over a spool that is gone.
        if (r.left.jobPid !== null)
          return this.track(this.finish(key, interrupted('its worker died and its spool is gone')));
        await removeSpool(r.paths).catch(() => {});
        return this.runTaken(taken, key);
      case 'lost':
        return this.track(
          this.finish(key, interrupted('its worker died and its supervisor is gone without an exit status')),
        );
      case 'running':
      case 'finished': {
        const running = found.kind === 'running';
        const supervisor = running ? found.supervisor : undefined;
        const adopt = { startedAtMs: found.startedAtMs, supervisor, running };
        return this.follow(key, adoptRun(this.request(job, taken, key), r.paths, adopt, this.o.logger));
      }
    }
  }

  /** Resolves once every run followed here ended and was recorded. */
  private async allRecorded(): Promise<void> {
    while (this.recording.size > 0) await Promise.allSettled([...this.recording]);
  }

  /**
   * Records the end, trying again while the store is away: an attempt this
   * worker took and never ended would wait for it as long as it lives.
   */
  private async finish(key: AttemptKey, r: AttemptResult): Promise<void> {
    for (let delayMs = 500; ; delayMs = Math.min(delayMs * 2, 10_000)) {
      try {
        return await this.finishOnce(key, r);
      } catch (err) {
        this.o.logger.warn(
          { err, runId: key.runId, attempt: key.attempt, retryInMs: delayMs },
          'could not record the end of the run: trying again',
        );
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
  }

  private async finishOnce(key: AttemptKey, r: AttemptResult): Promise<void> {
    const { db, clock, logger } = this.o;
    if (!(await finishWorkerAttempt(db, key, this.o.workerId, clock.now(), r))) {
      logger.warn(
        { runId: key.runId, attempt: key.attempt },
        'the run had been ended by the leader (this worker was taken for dead): its end is not recorded',
      );
    }
  }

  /** Stops the runs in progress whose stop was asked (overlap: replace, a stop of the leader's runs). */
  private async checkStops(): Promise<void> {
    if (this.running.size === 0) return;
    try {
      for (const key of await readStopRequests(this.o.db, this.o.workerId)) {
        this.running.get(`${key.runId}:${key.attempt}`)?.stop('stop requested by the leader');
      }
    } catch (err) {
      this.o.logger.warn({ err }, 'could not read the stop requests');
    }
  }
}

function attemptKey(payload: unknown): AttemptKey | undefined {
  const p = payload as { runId?: unknown; attempt?: unknown } | null;
  if (typeof p?.runId !== 'number' || typeof p.attempt !== 'number') return undefined;
  return { runId: p.runId, attempt: p.attempt };
}

function errorResult(error: string): RunResult {
  return {
    outcome: 'error',
    exitCode: null,
    signal: null,
    httpStatus: null,
    durationMs: 0,
    error,
    outputTail: null,
  };
}

/** An attempt whose end nobody knows: the leader lets the job's onInterrupted decide. */
function interrupted(why: string): AttemptResult {
  return { ...toRecord(errorResult(why)), outcome: 'interrupted', durationMs: null };
}
