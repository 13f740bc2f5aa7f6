// The leader's side of workers: it hands the attempts of `runOn: <pool>` jobs
// to the pool's queue (those that start while a hand-off is in flight go
// together in the next statement, as the claims do) and follows each in the
// ledger until a worker writes its end. One reading of every followed attempt
// per POLL_MS (on the readers' connections, off the claims'); an end a worker
// notifies is read at once, alone, so the cost of an end does not grow with
// the runs in flight. A worker silent for two leases, or stopped with
// attempts open, is dead; its runs are left to a worker of its home for
// ha.hostWait (worker-liveness.ts), then end as interrupted, and the job's
// onInterrupted decides.
import type { Logger } from 'pino';
import type { Metrics } from '../metrics/metrics.js';
import type { Clock } from '../runtime/clock.js';
import type { RunResult } from '../run/types.js';
import type { Db } from '../store/db.js';
import type { Fence } from '../store/fence.js';
import { takenRunVerdict } from './worker-liveness.js';
import { BatchQueue } from '../runtime/batch-queue.js';
import { KeepListening } from '../store/keep-listening.js';
import { installQueue, isQueueMissing } from '../store/queue-schema.js';
import {
  ATTEMPT_END_CHANNEL,
  type AttemptKey,
  type HandOff,
  type HandedAttemptState,
  endLostAttempt,
  handOffAttempts,
  readStaleQueueLockers,
  unlockQueueWorkers,
  readHandedAttempts,
} from '../store/worker-attempts.js';
import { requestStop } from '../store/worker-stops.js';
import { readWorkers, workerState } from '../store/worker-records.js';

/**
 * How often every followed attempt is read (ms): for the takes (pick-up),
 * dead workers, and ends whose notification was lost. An end a worker
 * notifies is read at once, alone.
 */
const POLL_MS = 1_000;
/** The workers counted: those seen this recently (as status lists them). */
const WORKERS_SEEN_MS = 10 * 60_000;

export interface HandedAttemptsOptions {
  db: Db;
  /** store.url: graphile-worker's schema is installed through it on the first hand-off that needs it. */
  url: string;
  clock: Clock;
  logger: Logger;
  /** ha.lease: a worker silent for two is dead. */
  leaseMs: number;
  /** ha.hostWait: how long a dead worker's home has to take its runs over before they are interrupted. */
  hostWaitMs: number;
  metrics?: Metrics;
}

/** How a followed attempt ended for the leader. */
export type HandedEnd =
  /** Its worker wrote its end. */
  | { kind: 'ended'; result: RunResult; finishedAtMs: number }
  /** Its worker died (or stopped) before writing it: interrupted. */
  | { kind: 'lost'; worker: string; why: string }
  /** No longer followed (this leader stops): the attempt goes on, for the next leader to follow. */
  | { kind: 'left' };

interface Followed {
  key: AttemptKey;
  /** The slot (UTC ms), for a first attempt's pick-up latency; undefined for a later attempt. */
  scheduledAtMs: number | undefined;
  /** Its worker's start was seen (and measured). */
  pickedUp: boolean;
  resolve: (end: HandedEnd) => void;
  /** The end, once read. */
  end: HandedEnd | undefined;
}

export class HandedAttempts {
  private readonly followed = new Map<string, Followed>();
  private timer: NodeJS.Timeout | undefined;
  private workersTimer: NodeJS.Timeout | undefined;
  private reading: Promise<void> | undefined;
  private again = false;
  /** The next reading reads every attempt followed (else only those notified). */
  private fullWanted = false;
  /** The attempts whose end a worker notified since the last reading. */
  private readonly notified = new Set<string>();
  private listening: KeepListening | undefined;
  private queueInstalled: Promise<void> | undefined;
  /** The pools seen: a pool's waiting gauge goes back to 0 when none of its runs waits. */
  private readonly pools = new Set<string>();
  private readonly handOffs = new BatchQueue<{ fence: Fence; handOff: HandOff }, boolean>((asks) =>
    this.handOffBatch(asks),
  );

  constructor(private readonly o: HandedAttemptsOptions) {}

  /**
   * Hands attempt `key` to `pool` (see handOffAttempts): the hand-offs asked
   * while one statement is in flight go together in the next. False: not
   * handed (no longer ours).
   */
  handOff(fence: Fence, key: AttemptKey, pool: string, catchup: boolean): Promise<boolean> {
    return this.handOffs.add({ fence, handOff: { ...key, pool, catchup } });
  }

  /** One statement per fence (a batch is of one leadership, but a term may end between two asks). */
  private async handOffBatch(asks: { fence: Fence; handOff: HandOff }[]): Promise<boolean[]> {
    const answers = new Array<boolean>(asks.length).fill(false);
    const terms = new Map(asks.map((a) => [`${a.fence.epoch}:${a.fence.nodeId}`, a.fence]));
    for (const fence of terms.values()) {
      const mine = asks.flatMap((a, i) =>
        a.fence.epoch === fence.epoch && a.fence.nodeId === fence.nodeId ? [i] : [],
      );
      const handed = await this.handOffWithQueue(
        fence,
        mine.map((i) => asks[i]!.handOff),
      );
      mine.forEach((i, j) => (answers[i] = handed[j]!));
    }
    return answers;
  }

  /** Installs the queue's schema first if it is missing. */
  private async handOffWithQueue(fence: Fence, handOffs: HandOff[]): Promise<boolean[]> {
    try {
      return await handOffAttempts(this.o.db, fence, handOffs, this.o.clock.now());
    } catch (err) {
      if (!isQueueMissing(err)) throw err;
      this.queueInstalled ??= installQueue(this.o.db, this.o.url).catch((e: unknown) => {
        this.queueInstalled = undefined;
        throw e;
      });
      await this.queueInstalled;
      this.o.logger.info("graphile-worker's schema installed: runs are handed to workers through it");
      return handOffAttempts(this.o.db, fence, handOffs, this.o.clock.now());
    }
  }

  /** Follows attempt `key` until it ends, its worker is found dead, or `leave` is called. */
  follow(
    key: AttemptKey,
    scheduledAtMs?: number,
  ): { end: Promise<HandedEnd>; leave: () => void; stop: () => void } {
    const id = `${key.runId}:${key.attempt}`;
    let resolve!: (end: HandedEnd) => void;
    const end = new Promise<HandedEnd>((r) => (resolve = r));
    const f: Followed = {
      key,
      scheduledAtMs,
      pickedUp: false,
      end: undefined,
      resolve: (e) => {
        if (this.followed.get(id) !== f) return;
        this.followed.delete(id);
        f.end = e;
        resolve(e);
      },
    };
    this.followed.set(id, f);
    this.start();
    return {
      end,
      leave: () => f.resolve({ kind: 'left' }),
      stop: () => {
        void requestStop(this.o.db, key, this.o.clock.now()).catch((err: unknown) =>
          this.o.logger.warn({ err, runId: key.runId }, 'could not ask the worker to stop the run'),
        );
      },
    };
  }

  /** How attempt `key` ended, as its row says now (undefined while it runs or waits). */
  async endOf(key: AttemptKey): Promise<{ outcome: string; finishedAtMs: number } | undefined> {
    const [st] = await readHandedAttempts(this.o.db.readers, [key]);
    return st?.end;
  }

  /**
   * Counts the workers by pool and state into the metrics once a lease (on
   * the readers' connections), until close().
   */
  watchWorkers(): void {
    const metrics = this.o.metrics;
    if (!metrics || this.workersTimer) return;
    let reading = false;
    this.workersTimer = setInterval(() => {
      if (reading) return;
      reading = true;
      const nowMs = this.o.clock.now();
      readWorkers(this.o.db.readers, nowMs - WORKERS_SEEN_MS)
        .then((workers) => {
          metrics.workers.reset();
          for (const w of workers)
            metrics.workers.inc({ pool: w.pool, state: workerState(w, nowMs, this.o.leaseMs) });
        })
        .catch((err: unknown) => this.o.logger.debug({ err }, 'could not count the workers'))
        .finally(() => (reading = false));
    }, this.o.leaseMs);
    this.workersTimer.unref();
  }

  /** Stops following everything (each followed attempt ends as left) and listening. */
  async close(): Promise<void> {
    if (this.workersTimer) clearInterval(this.workersTimer);
    this.workersTimer = undefined;
    for (const f of [...this.followed.values()]) f.resolve({ kind: 'left' });
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.listening?.close();
    this.listening = undefined;
    await this.reading;
  }

  private start(): void {
    this.listening ??= new KeepListening(this.o.db, ATTEMPT_END_CHANNEL, (id) => this.onEnd(id), {
      retryMs: 1_000,
      onDropped: (err) =>
        this.o.logger.warn({ err }, 'worker notifications connection ended; listening again'),
    });
    this.timer ??= setInterval(() => this.kick(true), POLL_MS);
  }

  /** A worker wrote the end of attempt `id` (runId:attempt); undefined: ends may have been missed. */
  private onEnd(id: string | undefined): void {
    if (id === undefined) return this.kick(true);
    if (!this.followed.has(id)) return;
    this.notified.add(id);
    this.kick(false);
  }

  /** Reads now (every attempt followed, or those notified), or once more after the reading in progress. */
  private kick(full: boolean): void {
    if (full) this.fullWanted = true;
    if (this.followed.size === 0) {
      for (const pool of this.pools) this.o.metrics?.handedWaiting.set({ pool }, 0);
      if (this.timer) clearInterval(this.timer);
      this.timer = undefined;
      return;
    }
    if (this.reading) {
      this.again = true;
      return;
    }
    this.reading = this.read()
      .catch((err: unknown) => this.o.logger.warn({ err }, 'reading the runs handed to workers failed'))
      .finally(() => {
        this.reading = undefined;
        if (this.again) {
          this.again = false;
          this.kick(false);
        }
      });
  }

  private async read(): Promise<void> {
    const { db, clock } = this.o;
    const full = this.fullWanted;
    this.fullWanted = false;
    const ids = full ? [...this.followed.keys()] : [...this.notified].filter((id) => this.followed.has(id));
    this.notified.clear();
    if (ids.length === 0) return;
    const states = await readHandedAttempts(
      db.readers,
      ids.map((id) => this.followed.get(id)!.key),
    );
    const nowMs = clock.now();
    const metrics = this.o.metrics;
    const waiting = new Map<string, number>([...this.pools].map((p) => [p, 0]));
    for (const st of states) {
      const f = this.followed.get(`${st.runId}:${st.attempt}`);
      if (!f || st.pool === null) continue;
      this.pools.add(st.pool);
      if (st.worker === null && !st.end) waiting.set(st.pool, (waiting.get(st.pool) ?? 0) + 1);
      if (st.worker !== null && !f.pickedUp) {
        f.pickedUp = true;
        if (f.scheduledAtMs !== undefined)
          metrics?.handedPickupSeconds.observe(
            { pool: st.pool },
            Math.max(0, st.startedAtMs - f.scheduledAtMs) / 1000,
          );
      }
      if (st.end) {
        // Ended as lost by an earlier leader that died before deciding the run: decided here.
        if (st.end.outcome === 'interrupted')
          f.resolve({ kind: 'lost', worker: st.worker ?? 'unknown', why: st.end.error ?? 'its worker died' });
        else {
          if (st.worker !== null) metrics?.handedRuns.inc({ pool: st.pool, host: st.host ?? 'unknown' });
          f.resolve({ kind: 'ended', result: toResult(st.end), finishedAtMs: st.end.finishedAtMs });
        }
        continue;
      }
      if (st.worker === null) continue;
      const seen = { worker: st.worker, seenAtMs: st.workerSeenAtMs, stopped: st.workerStopped };
      const verdict = takenRunVerdict(seen, nowMs, this.o.leaseMs, this.o.hostWaitMs);
      if (verdict.kind === 'wait') continue;
      const why = verdict.why;
      // Ended here only if its worker did not write it meanwhile; the next reading sees which.
      if (await endLostAttempt(db, st, st.worker, nowMs, why)) {
        metrics?.handedLost.inc({ pool: st.pool });
        f.resolve({ kind: 'lost', worker: st.worker, why });
      }
    }
    if (full) for (const [pool, n] of waiting) metrics?.handedWaiting.set({ pool }, n);
    // Untaken long after the hand-off: maybe locked by a queue worker that died before its take.
    const untaken = states.filter(
      (st) => st.worker === null && !st.end && nowMs - st.startedAtMs > 2 * this.o.leaseMs,
    );
    if (full && untaken.length > 0) {
      const lockers = await readStaleQueueLockers(db.readers, untaken, 2 * this.o.leaseMs);
      if (lockers.length > 0) {
        await unlockQueueWorkers(db, lockers);
        this.o.logger.warn(
          { lockers, untaken: untaken.length },
          'runs were locked in the queue by a worker that never took them (it died first): freed for the live workers',
        );
      }
    }
  }
}

function toResult(end: NonNullable<HandedAttemptState['end']>): RunResult {
  return {
    outcome: end.outcome as RunResult['outcome'],
    exitCode: end.exitCode,
    signal: end.signal,
    httpStatus: end.httpStatus,
    durationMs: end.durationMs ?? 0,
    error: end.error,
    outputTail: end.outputTail,
  };
}
