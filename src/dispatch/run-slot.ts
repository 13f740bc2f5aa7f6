// One claimed slot, from its (possibly delayed) start to its final outcome:
// each attempt is fenced and recorded; a failed attempt is retried within the
// slot with exponential backoff and full jitter while attempts remain; the
// final outcome goes to the ledger and to the job's onFailure/onSuccess hook.
//
// A pending retry lives in the ledger (next_attempt_at): if this leader stops
// before it is due, the next leader carries it out — not forgotten, not doubled
// (startAttempt lets only one leader start attempt n, and only once).
import type { Logger } from 'pino';
import type { Clock } from '../runtime/clock.js';
import type { JobConfig } from '../config/types.js';
import type { Metrics } from '../metrics/metrics.js';
import { runHook } from '../run/run-hook.js';
import type { ProcessRef, SpoolPaths } from '../run/run-spool.js';
import { type PreparedRun, prepareSupervised } from '../run/prepare-run.js';
import { errorMessage } from '../run/run-fields.js';
import { adoptRun, startRun } from '../run/start-run.js';
import type { RunHandle, RunRequest, RunResult } from '../run/types.js';
import { retryDelayMs } from '../schedule/jitter.js';
import {
  type AttemptResult,
  finishAttempt,
  finishRun,
  scheduleRetry,
  recordSpawn,
  type RunTrace,
  startAttempt,
} from '../store/attempts.js';
import type { Queryable } from '../store/db.js';
import type { Fence } from '../store/fence.js';
import type { ClaimedSlot } from '../schedule/slot.js';
import type { ConcurrencyLimit } from './concurrency-limit.js';
import type { SupervisorLauncher } from '../run/run-supervisor.js';
import { interruptRun } from '../store/worker-attempts.js';
import type { HandedAttempts } from './handed-attempts.js';
import { runHanded } from './run-handed.js';

export interface SlotRunContext {
  db: Queryable;
  logger: Logger;
  clock: Clock;
  fence: () => Fence;
  limit: ConcurrencyLimit;
  metrics?: Metrics;
  /** Ledger writes that must not be awaited inline but must settle before exit. */
  track: (write: Promise<void>) => void;
  /** This node's host and spool: commands run supervised, their traces recorded. Unset: plain children. */
  trace?: RunTrace;
  /** Starts the supervisors of the runs under `trace.spool`. */
  launcher: SupervisorLauncher;
  /** The leader's side of workers (a Postgres store): runs of `runOn: <pool>` jobs go through it. */
  handed?: HandedAttempts;
  /** The first attempt's start made ready ahead of its instant, if it was (RunDispatcher.prepare); taken once. */
  takePrepared?: (
    runId: number,
    job: JobConfig,
    epoch: number,
  ) => Promise<PreparedRun | undefined> | undefined;
}

export interface SlotRunOptions {
  /** The attempt to start with: 1, or the next one of a run an earlier leader left pending. */
  attempt: number;
  /** Not before this instant (UTC ms): a jittered start or a pending retry. */
  notBeforeMs: number | undefined;
  /**
   * Aborted to end the run: `shutdown` leaves what is not started claimed (or
   * pending) for the next leader; any other reason stops it for good.
   */
  signal: AbortSignal;
  /** Called with the attempt in progress when it starts, and with undefined when it is over. */
  onAttempt: (attempt: AttemptInProgress | undefined) => void;
  /** The attempt `attempt` was started by a daemon that is gone: follow it from its spool instead of starting it. */
  adopt?: AdoptedAttempt;
  /** This attempt was handed to its pool by a leader that is gone: follow it instead of handing it again. */
  handed?: number;
}

export interface AttemptInProgress {
  stop: (reason: string) => void;
  /**
   * True when the slot's run ended by `ms` (UTC): its job exited by then and
   * leaves nothing to follow (no retry), though the daemon may not have
   * noticed yet. Read from the job's exit status; false when unknown.
   */
  endedBy: (ms: number) => Promise<boolean>;
}

/** A run found in its spool by a successor (see recover-runs.ts). */
export interface AdoptedAttempt {
  paths: SpoolPaths;
  startedAtMs: number;
  supervisor: ProcessRef | undefined;
  running: boolean;
}

export const SHUTDOWN = 'shutdown';

/** The request for attempt `attempt` of a claimed slot, under `fence`. */
export function runRequest(job: JobConfig, slot: ClaimedSlot, fence: Fence, attempt: number): RunRequest {
  return {
    runId: slot.runId,
    job,
    scheduledAtMs: slot.scheduledAtMs,
    catchup: slot.catchup,
    manual: slot.manual === true,
    epoch: fence.epoch,
    nodeId: fence.nodeId,
    attempt,
  };
}

/** Resolves with the final result, or undefined when nothing was run to the end (not ours, or left for the next leader). */
export async function runSlot(
  ctx: SlotRunContext,
  job: JobConfig,
  slot: ClaimedSlot,
  o: SlotRunOptions,
): Promise<RunResult | undefined> {
  const { db, logger, clock, metrics } = ctx;
  const fields = {
    job: job.name,
    scheduledAt: new Date(slot.scheduledAtMs).toISOString(),
    runId: slot.runId,
  };
  const catchup = String(slot.catchup);
  let notBefore = o.notBeforeMs;
  let adopt = o.adopt;
  for (let attempt = o.attempt; ; attempt++) {
    if (notBefore !== undefined && !(await sleepUntil(clock, notBefore, o.signal))) return left();
    const release = await ctx.limit.acquire(job.name, o.signal);
    if (!release) return left();
    let result: RunResult;
    let handle: RunHandle | undefined;
    // A worker's run: its worker records the attempt; the leader records the run (runOn: <pool>). One
    // a dead daemon started here (before its job moved to a pool) is adopted here, as it was started.
    const handedRun = o.handed === attempt || (job.runOn !== undefined && !adopt);
    if (handedRun) {
      let end;
      try {
        end = await runHanded(ctx, job, slot, attempt, o);
      } finally {
        release();
      }
      if (end === undefined || end.kind === 'left') return undefined;
      if (end.kind === 'lost') {
        const rerun = job.onInterrupted === 'rerun';
        const decided = await interruptRun(db, ctx.fence(), slot.runId, clock.now(), rerun, end.why).catch(
          () => false,
        );
        if (!decided) return undefined;
        metrics?.runs.inc({ job: job.name, outcome: 'interrupted', catchup });
        logger.warn(
          { ...fields, attempt, worker: end.worker, why: end.why },
          rerun
            ? 'run interrupted: its worker died before it finished; running it again (onInterrupted: rerun)'
            : 'run interrupted: its worker died before it finished; not run again (onInterrupted: skip)',
        );
        if (!rerun) return undefined;
        notBefore = undefined;
        continue;
      }
      result = end.result;
    } else
      try {
        const fence = ctx.fence();
        let request = runRequest(job, slot, fence, attempt);
        // The spool is made before the attempt's traces are recorded, so a trace has its directory (a
        // successor reads a missing one as "never started"; only a command that cannot be spawned gets
        // none). Without a spool, the job runs as a plain child.
        // Only commands run supervised: an HTTP request in flight dies with its daemon, and records no trace.
        // A first attempt usually finds it made already, ahead of its instant.
        const action = job.action;
        let trace = adopt || action.kind !== 'command' ? undefined : ctx.trace;
        if (trace && action.kind === 'command') {
          try {
            const prepared =
              (attempt === 1 ? await ctx.takePrepared?.(slot.runId, job, fence.epoch) : undefined) ??
              (await prepareSupervised(request, action, trace.spool));
            request = { ...request, spool: { root: trace.spool, launcher: ctx.launcher }, prepared };
          } catch (err) {
            logger.warn(
              { ...fields, attempt, spool: trace.spool, err: errorMessage(err) },
              'cannot write the run spool: running the job without a supervisor (it will not outlive the daemon)',
            );
            trace = undefined;
          }
        }
        if (adopt) {
          // Started by a daemon that is gone; its attempt already counts and is ours now (carried over).
          handle = adoptRun(request, adopt.paths, adopt, logger);
          adopt = undefined;
        } else {
          let started: boolean;
          try {
            started = await startAttempt(db, fence, slot.runId, attempt, clock.now(), trace, slot.catchup);
          } catch (err) {
            logger.error(
              { err, ...fields, attempt },
              'could not record the start of the run; it stays claimed for the next leader',
            );
            return undefined;
          }
          if (!started) {
            logger.warn(
              { ...fields, attempt },
              'not starting: this node no longer leads, or another leader took the slot over',
            );
            return undefined;
          }
          // Recorded as started: a stop for shutdown (or a lost term) lets it run, like the runs already
          // running, within the grace; left unstarted it would stand in the ledger as run, and be lost.
          if (!o.signal.aborted || o.signal.reason === SHUTDOWN) {
            if (attempt === 1) {
              metrics?.startLatenessSeconds.observe(
                { catchup },
                Math.max(0, clock.now() - slot.scheduledAtMs) / 1000,
              );
              if (slot.catchup) metrics?.catchupRuns.inc({ job: job.name });
            }
            handle = startRun(request, logger);
            // Evidence that the job was spawned, for whoever reads the ledger after a crash.
            const n = attempt;
            void handle.spawned?.then((pid) => {
              if (pid !== undefined) ctx.track(recordSpawn(db, slot.runId, n, pid));
            });
          }
        }
        if (!handle) {
          // Stopped between the claim of the attempt and its start: it counts as stopped.
          result = stoppedResult(String(o.signal.reason));
        } else {
          const h = handle;
          const stop = (reason: string) => h.stop(reason);
          const n = attempt;
          o.onAttempt({
            stop,
            endedBy: async (ms) => {
              const exit = await h.exited?.();
              // A failure with a retry left goes on: the slot's run is not over.
              return (
                exit !== undefined && exit.finishedAtMs <= ms && (exit.status === 0 || n > job.retries.max)
              );
            },
          });
          const onAbort = () => stop(String(o.signal.reason));
          o.signal.addEventListener('abort', onAbort, { once: true });
          result = await h.result;
          o.signal.removeEventListener('abort', onAbort);
          o.onAttempt(undefined);
        }
      } finally {
        release();
      }
    const record = toRecord(result);
    if (!handedRun) ctx.track(finishAttempt(db, slot.runId, attempt, clock.now(), record));
    metrics?.recordRunDuration(job.name, result.durationMs);
    const retriable =
      result.outcome === 'failure' || result.outcome === 'timeout' || result.outcome === 'error';
    if (retriable && attempt <= job.retries.max && !o.signal.aborted) {
      const delay = retryDelayMs(job.retries, job.name, slot.scheduledAtMs, attempt + 1);
      notBefore = clock.now() + delay;
      const pending = await scheduleRetry(db, ctx.fence(), slot.runId, notBefore).catch(() => false);
      metrics?.runs.inc({ job: job.name, outcome: 'retried', catchup });
      if (!pending) return undefined;
      // The failed attempt is recorded and its retry pending: its traces are no longer needed.
      void handle?.release?.().catch(() => {});
      logger.warn(
        { ...fields, attempt, outcome: result.outcome, retryInMs: delay },
        'attempt failed: retrying',
      );
      continue;
    }
    const traces = handle;
    const recorded = finishRun(db, slot.runId, clock.now(), record);
    // Recorded: what the run left for a successor can go (before the daemon exits; a failure is harmless).
    ctx.track(recorded.then(() => traces?.release?.().catch(() => {})));
    metrics?.runs.inc({ job: job.name, outcome: result.outcome, catchup });
    if (result.outcome === 'success') metrics?.setLastSuccess(job.name, slot.scheduledAtMs);
    const hook = result.outcome === 'success' ? job.onSuccess : retriable ? job.onFailure : undefined;
    if (hook) {
      const kind = result.outcome === 'success' ? 'success' : 'failure';
      const h = await runHook(
        kind,
        hook,
        {
          job,
          runId: slot.runId,
          scheduledAtMs: slot.scheduledAtMs,
          catchup: slot.catchup,
          manual: slot.manual === true,
          attempts: attempt,
          result,
          ...ctx.fence(),
        },
        logger,
      );
      if (h.outcome !== 'success') metrics?.hookFailures.inc({ job: job.name, hook: kind });
    }
    return result;
  }

  /** The signal ended the wait: a shutdown leaves the slot (or its pending retry) to the next leader. */
  function left(): undefined {
    if (o.signal.reason !== SHUTDOWN) {
      ctx.track(finishRun(db, slot.runId, clock.now(), toRecord(stoppedResult(String(o.signal.reason)))));
    }
    return undefined;
  }
}

/** A run's result as the ledger records an attempt's end. */
export function toRecord(r: RunResult): AttemptResult {
  return {
    outcome: r.outcome,
    exitCode: r.exitCode,
    signal: r.signal,
    httpStatus: r.httpStatus,
    durationMs: r.durationMs,
    error: r.error,
    outputTail: r.outputTail,
  };
}

function stoppedResult(reason: string): RunResult {
  return {
    outcome: 'stopped',
    exitCode: null,
    signal: null,
    httpStatus: null,
    durationMs: 0,
    error: `stopped: ${reason}`,
    outputTail: null,
  };
}

/** Waits until `atMs` (UTC ms) on `clock`; false when aborted first. */
function sleepUntil(clock: Clock, atMs: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const t = setTimeout(() => done(true), Math.max(0, atMs - clock.now()));
    const onAbort = () => done(false);
    signal.addEventListener('abort', onAbort, { once: true });
    function done(ok: boolean) {
      clearTimeout(t);
      signal.removeEventListener('abort', onAbort);
      resolve(ok);
    }
  });
}
