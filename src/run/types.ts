// The executor contract between the scheduler (which claims a slot and starts
// a run) and the executors in this folder (which run the job's action once).
import type { JobConfig } from '../config/types.js';
import type { PreparedRun } from './prepare-run.js';
import type { SupervisorLauncher } from './run-supervisor.js';

/** One run of one slot. Times are UTC epoch milliseconds. */
export interface RunRequest {
  /** The run ledger id of the claimed slot. */
  runId: number;
  job: JobConfig;
  /** The slot this run stands for (UTC ms), not the wall-clock start. */
  scheduledAtMs: number;
  /** True when the slot was missed and is run late by catch-up. */
  catchup: boolean;
  /** A manual run (cronkeeper trigger): it stands for no slot; scheduledAtMs is the request time. */
  manual?: boolean;
  /** The leader epoch under which the slot was claimed. */
  epoch: number;
  nodeId: string;
  /** Which attempt at the slot this is: 1 = the first run, 2 = the first retry, ... */
  attempt: number;
  /**
   * More environment for a command, set after the CRONKEEPER_* variables (so
   * it may override them); e.g. a hook's CRONKEEPER_HOOK. Ignored by HTTP jobs.
   */
  extraEnv?: Record<string, string>;
  /** More fields merged into an HTTP job's JSON body (last, so they win). Ignored by commands. */
  extraBody?: Record<string, unknown>;
  /**
   * The spool: a command runs under a supervisor that outlives the daemon
   * (run-supervisor.ts), started by the daemon's launcher, its traces in a
   * directory of its own under the root. Unset: a plain child process with
   * pipes (hooks, or no usable spool).
   */
  spool?: { root: string; launcher: SupervisorLauncher };
  /** The supervised start made ready ahead of the instant (prepareSupervised); without it, made at the start. */
  prepared?: PreparedRun;
}

/**
 * success: exit 0 / HTTP 2xx. failure: non-zero exit, death by a signal we did
 * not send, or a non-2xx status. timeout: stopped because it ran longer than
 * job.timeoutMs. error: could not be started or reached (spawn ENOENT,
 * connection refused). stopped: ended by RunHandle.stop().
 */
export type RunOutcome = 'success' | 'failure' | 'timeout' | 'error' | 'stopped';

export interface RunResult {
  outcome: RunOutcome;
  /** Exit code of a command job; null if it died by a signal, or for HTTP jobs. */
  exitCode: number | null;
  /** Signal that ended a command job, e.g. 'SIGTERM'; null otherwise. */
  signal: string | null;
  /** Response status of an HTTP job; null if there was none, or for command jobs. */
  httpStatus: number | null;
  /** Wall time of the run in milliseconds (monotonic clock). */
  durationMs: number;
  /**
   * Why the run did not succeed, when there is more to say than the outcome:
   * e.g. "spawn /nope ENOENT", "timed out after 5000 ms", "stopped: shutdown".
   */
  error: string | null;
  /**
   * The end of the run's output: for a command the last job.outputKeepBytes
   * bytes of stdout and stderr together in arrival order, for an HTTP job the
   * (bounded) response body cut the same way; see OutputTail.text() for the
   * format. '' when there was none; null when job.outputKeepBytes is 0 (or the
   * run never reached an executor).
   */
  outputTail: string | null;
}

export interface RunHandle {
  /** Resolves once the run is over; never rejects. */
  readonly result: Promise<RunResult>;
  /**
   * Ends the run: a command's process group gets SIGTERM, then SIGKILL after
   * job.killGraceMs; an HTTP request is aborted. The outcome is 'stopped'
   * unless the run already finished (or was already being timed out).
   * Idempotent.
   */
  stop(reason: string): void;
  /**
   * The job's pid once it runs (its process group), undefined when it never
   * did; absent for runs that are not supervised.
   */
  readonly spawned?: Promise<number | undefined>;
  /**
   * The job's exit as its supervisor recorded it (status, UTC ms), once the
   * job has ended, whether or not `result` is in: the result also waits for
   * the end to be noticed and the output read, which a busy event loop
   * delays. Undefined while the job runs; absent for runs not supervised.
   */
  exited?(): Promise<{ status: number; finishedAtMs: number } | undefined>;
  /** Removes what the run left for a successor; call once its outcome is recorded. */
  release?(): Promise<void>;
}
