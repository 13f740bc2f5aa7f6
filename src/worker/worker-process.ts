// `cronkeeper worker`: a process on any host that runs the attempts of one
// pool's jobs. graphile-worker hands it the queue's jobs (LISTEN/NOTIFY pick-
// up, SKIP LOCKED); each names an attempt the leader handed, which this worker
// takes in the ledger (only one worker can: worker-attempts.ts), runs with the
// same executors as the leader (command or HTTP, timeout, kill grace, output
// tail) and records. It says it is alive every lease/4: a worker silent for
// two leases is dead to the leader, which ends its attempts as interrupted.
import type { Logger } from 'pino';
import type pg from 'pg';
import type { WorkerPool } from 'graphile-worker';
import type { Clock } from '../runtime/clock.js';
import { jobsByName } from '../config/jobs-by-name.js';
import type { Config, JobConfig } from '../config/types.js';
import { runRequest, toRecord } from '../dispatch/run-slot.js';
import { startRun } from '../run/start-run.js';
import type { RunHandle, RunResult } from '../run/types.js';
import { recordSpawn } from '../store/attempts.js';
import type { Db } from '../store/db.js';
import { KeepListening } from '../store/keep-listening.js';
import { queueLogger, queuePool } from '../store/queue-schema.js';
import {
  ATTEMPT_STOP_CHANNEL,
  type AttemptKey,
  type TakenAttempt,
  type WorkerTrace,
  finishWorkerAttempt,
  poolTask,
  readStopRequests,
  takeAttempt,
} from '../store/worker-attempts.js';
import { recordWorker, recordWorkerStopped } from '../store/worker-records.js';

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

/** How often the stop requests of the runs in progress are read besides their notifications (ms). */
const STOP_POLL_MS = 2_000;

export class WorkerProcess {
  private queue: WorkerPool | undefined;
  private queuePool: pg.Pool | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private stopPoll: NodeJS.Timeout | undefined;
  private stops: KeepListening | undefined;
  private readonly running = new Map<string, RunHandle>();
  private readonly trace: WorkerTrace;

  constructor(private readonly o: WorkerOptions) {
    // Not a directory: a daemon on this host never takes a worker's run for one of its own spool.
    this.trace = { workerId: o.workerId, pool: o.pool, host: o.host, spool: `worker:${o.workerId}` };
  }

  /** Records the worker and starts taking the pool's runs. */
  async start(): Promise<void> {
    const { db, logger, clock } = this.o;
    await recordWorker(db, this.record(), clock.now());
    const beatMs = Math.max(250, Math.floor(this.o.config.ha.leaseMs / 4));
    let failing = false;
    this.heartbeat = setInterval(() => {
      recordWorker(db, this.record(), clock.now()).then(
        () => (failing = false),
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
    this.queuePool = queuePool(db, this.o.url, this.o.concurrency + 2);
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
    const ended = this.queue?.gracefulShutdown('cronkeeper worker stopping');
    const over = await Promise.race([
      Promise.resolve(ended).then(() => true),
      new Promise<boolean>((r) => setTimeout(() => r(false), graceMs).unref()),
    ]);
    if (!over) {
      logger.warn({ running: this.running.size, graceMs }, 'grace over: stopping running jobs');
      for (const h of this.running.values()) h.stop('the worker stops');
      await ended;
    }
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
    const { db, logger, clock, config } = this.o;
    const taken = await takeAttempt(db, key, this.trace, clock.now());
    if (!taken) return; // taken by another worker, or no longer open
    const job = jobsByName(config.jobs).get(taken.slot.job);
    const fields = { job: taken.slot.job, runId: key.runId, attempt: key.attempt, workerId: this.o.workerId };
    if (!job) {
      logger.error(fields, "the job is not in this worker's config: recorded as an error");
      await this.finish(
        key,
        errorResult(`job '${taken.slot.job}' is not in worker ${this.o.workerId}'s config`),
      );
      return;
    }
    const handle = this.launch(job, taken, key);
    const id = `${key.runId}:${key.attempt}`;
    this.running.set(id, handle);
    try {
      const result = await handle.result;
      await this.finish(key, result);
    } finally {
      this.running.delete(id);
    }
  }

  private launch(job: JobConfig, taken: TakenAttempt, key: AttemptKey): RunHandle {
    const { db, logger } = this.o;
    const request = {
      ...runRequest(job, taken.slot, { epoch: taken.epoch, nodeId: taken.nodeId }, key.attempt),
      extraEnv: { CRONKEEPER_WORKER: this.o.workerId },
      extraBody: { worker: this.o.workerId },
    };
    const handle = startRun(request, logger);
    void handle.spawned?.then((pid) => {
      if (pid !== undefined) void recordSpawn(db, key.runId, key.attempt, pid).catch(() => {});
    });
    return handle;
  }

  /**
   * Records the end, trying again while the store is away: an attempt this
   * worker took and never ended would wait for it as long as it lives.
   */
  private async finish(key: AttemptKey, r: RunResult): Promise<void> {
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

  private async finishOnce(key: AttemptKey, r: RunResult): Promise<void> {
    const { db, clock, logger } = this.o;
    if (!(await finishWorkerAttempt(db, key, this.o.workerId, clock.now(), toRecord(r)))) {
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
