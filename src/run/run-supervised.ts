// A command run through its supervisor (run-supervisor.ts): started by this
// daemon (startSupervised) or found still running, or finished, in its spool
// by a successor (adoptSupervised). Either way the same object follows it:
// the output is read from the spool file (logged within the budget, its tail
// kept), the timeout is enforced from the run's start, stop() signals the
// job's process group, and the result comes from the exit status the
// supervisor wrote.
import { type FSWatcher, watch } from 'node:fs';
import os from 'node:os';
import type pino from 'pino';
import type { CommandAction } from '../config/types.js';
import { OutputLog } from './output-log.js';
import { OutputTail } from './output-tail.js';
import { SpoolOutput } from './spool-output.js';
import { trackJobGroup } from './command-run.js';
import { errorMessage, runLogFields, startTimer, type Timer } from './run-fields.js';
import {
  type ProcessRef,
  type SpoolPaths,
  isSameProcess,
  readExit,
  readPidFile,
  removeSpool,
  spoolPaths,
} from './run-spool.js';
import { PREPARED_FRESH_MS, type PreparedRun, prepareSupervised, spoolKey } from './prepare-run.js';
import type { SupervisorLauncher } from './run-supervisor.js';
import { LAUNCH_GIVE_UP_MS, awaitSupervisor } from './await-supervisor.js';
import type { RunHandle, RunRequest, RunResult } from './types.js';

/** How far a file's time may lag the wall clock it is compared with (ms). */
const FILE_CLOCK_MARGIN_MS = 50;
/** How often a run is checked for its end besides inotify (ms). */
const END_POLL_MS = 250;

type Ending = { outcome: 'timeout' | 'stopped'; error: string };
/**
 * The run's supervisor, found running: `launched` by this daemon moments ago, or found in the spool
 * of one that is gone.
 */
type FollowedVia = { supervisor?: ProcessRef; launched?: boolean };

export type SupervisedHandle = Required<RunHandle>;

/**
 * Starts a command run under a supervisor, its spool under `spool.root`. With a
 * fresh preparation for this very attempt, the supervisor is spawned before
 * this returns; otherwise once prepared. Never throws.
 */
export function startSupervised(
  req: RunRequest,
  action: CommandAction,
  logger: pino.Logger,
  spool: { root: string; launcher: SupervisorLauncher },
  prepared?: PreparedRun,
): SupervisedHandle {
  const spoolRoot = spool.root;
  const run = new SupervisedRun(req, logger, { startedAtMs: Date.now(), logFrom: 'start' });
  const key = spoolKey(req);
  const spawnPrepared = (p: PreparedRun): void => {
    if (p.problem) return run.fail(p.problem);
    const launch = () => spool.launcher.launch(p.paths.dir);
    try {
      launch();
    } catch (err) {
      return run.fail(errorMessage(err));
    }
    void run.followLaunched(p.paths, launch);
  };
  if (
    prepared &&
    prepared.paths.dir === spoolPaths(spoolRoot, key).dir &&
    performance.now() - prepared.checkedAt <= PREPARED_FRESH_MS
  )
    spawnPrepared(prepared);
  else
    prepareSupervised(req, action, spoolRoot).then(spawnPrepared, (err: unknown) =>
      run.fail(errorMessage(err)),
    );
  return {
    result: run.result,
    stop: (reason) => run.stop(reason),
    spawned: run.spawned,
    exited: () => run.exited(),
    release: () => removeSpool(spoolPaths(spoolRoot, key)),
  };
}

/**
 * Follows a run found in its spool: still running (its supervisor alive) or
 * already ended. The timeout counts from `startedAtMs` (UTC ms); output
 * already in the file goes to the tail, not the log.
 */
export function adoptSupervised(
  req: RunRequest,
  paths: SpoolPaths,
  logger: pino.Logger,
  o: { startedAtMs: number; supervisor: ProcessRef | undefined },
): SupervisedHandle {
  const run = new SupervisedRun(req, logger, { startedAtMs: o.startedAtMs, logFrom: 'end' });
  run.follow(paths, { supervisor: o.supervisor });
  return {
    result: run.result,
    stop: (reason) => run.stop(reason),
    spawned: run.spawned,
    exited: () => run.exited(),
    release: () => removeSpool(paths),
  };
}

class SupervisedRun {
  readonly result: Promise<RunResult>;
  readonly spawned: Promise<number | undefined>;
  private resolveResult!: (r: RunResult) => void;
  private resolveSpawned!: (pid: number | undefined) => void;
  private readonly fields;
  private readonly tail: OutputTail;
  private readonly output: OutputLog;
  private readonly spool: SpoolOutput;
  private finished = false;
  private ending: Ending | undefined;
  /** When the stop was asked (UTC ms), against the exit status file's time. */
  private endingAtMs = Infinity;
  /** The stop's SIGTERM found no process of the job's group (it had ended by itself). */
  private stopFoundNothing = false;
  private jobPid: number | undefined;
  private pendingSignal = false;
  private timeoutTimer: Timer | undefined;
  private killTimer: NodeJS.Timeout | undefined;
  private untrack: (() => void) | undefined;
  private followed: FollowedVia | undefined;
  private paths: SpoolPaths | undefined;
  private endTimer: NodeJS.Timeout | undefined;
  private watcher: FSWatcher | undefined;

  constructor(
    private readonly req: RunRequest,
    private readonly logger: pino.Logger,
    private readonly o: { startedAtMs: number; logFrom: 'start' | 'end' },
  ) {
    this.result = new Promise((r) => (this.resolveResult = r));
    this.spawned = new Promise((r) => (this.resolveSpawned = r));
    this.fields = runLogFields(req);
    this.tail = new OutputTail(req.job.outputKeepBytes);
    this.output = new OutputLog(logger, this.fields, {
      mode: req.job.logOutput,
      linesPerSecond: req.job.logLineRate,
    });
    this.spool = new SpoolOutput({
      tail: this.tail,
      log: this.output,
      keepBytes: req.job.outputKeepBytes,
      passedOver: (bytes) =>
        logger.warn(
          { ...this.fields, bytes },
          'job output outran its reading: the unread backlog is passed over (its end is kept)',
        ),
    });
    const remaining = req.job.timeoutMs - (Date.now() - o.startedAtMs);
    this.timeoutTimer = startTimer(Math.max(0, remaining), () => {
      this.logger.warn({ ...this.fields, timeoutMs: req.job.timeoutMs }, 'run timed out; sending SIGTERM');
      this.terminate({ outcome: 'timeout', error: `timed out after ${req.job.timeoutMs} ms` });
    });
  }

  /** The job's exit status, once its supervisor wrote it (see RunHandle.exited). */
  async exited(): Promise<{ status: number; finishedAtMs: number } | undefined> {
    return this.paths ? readExit(this.paths) : undefined;
  }

  /** The run could not start: outcome 'error'. */
  fail(error: string): void {
    this.resolveSpawned(undefined);
    this.finish({ outcome: 'error', exitCode: null, signal: null, error });
  }

  stop(reason: string): void {
    if (this.finished || this.ending !== undefined) return;
    this.logger.info({ ...this.fields, reason }, 'stopping run');
    this.terminate({ outcome: 'stopped', error: `stopped: ${reason}` });
  }

  /** Follows a run whose supervisor was asked of the launcher, once it shows (await-supervisor.ts). */
  async followLaunched(paths: SpoolPaths, relaunch: () => void): Promise<void> {
    const seen = await awaitSupervisor(paths, relaunch, () => this.finished);
    if (seen === undefined) return;
    if ('supervisor' in seen) return this.follow(paths, { supervisor: seen.supervisor, launched: true });
    this.resolveSpawned(undefined);
    this.finish({
      outcome: this.ending?.outcome ?? 'error',
      exitCode: null,
      signal: null,
      error:
        this.ending?.error ??
        (seen.neverStarted === 'abandoned'
          ? 'taken as never started before it ran (by a successor): not run'
          : `its supervisor did not start within ${LAUNCH_GIVE_UP_MS} ms`),
    });
  }

  /**
   * Follows the run in `paths` through its `supervisor` (never this daemon's child): its end is seen
   * in the spool, at once through inotify, and by polling, which also notices a supervisor that
   * died without writing its status.
   */
  follow(paths: SpoolPaths, via: FollowedVia): void {
    this.followed = via;
    this.paths = paths;
    void this.spool.open(paths.output, this.o.logFrom).then(() => this.spool.poll());
    void this.watchPid(paths, via);
    const check = async (): Promise<void> => {
      if (this.finished) return;
      if ((await readExit(paths)) || !via.supervisor || !isSameProcess(via.supervisor)) {
        return this.ended(paths);
      }
      clearTimeout(this.endTimer);
      this.endTimer = setTimeout(() => void check(), END_POLL_MS);
    };
    try {
      this.watcher = watch(paths.dir, () => void check());
      this.watcher.on('error', () => {});
    } catch {
      // polling alone
    }
    void check();
  }

  private async watchPid(paths: SpoolPaths, via: FollowedVia): Promise<void> {
    for (let waitMs = 5; !this.finished; waitMs = Math.min(waitMs * 2, 200)) {
      const ref = await readPidFile(paths.pid);
      if (ref) return this.found(ref, via);
      const supervisorGone = !via.supervisor || !isSameProcess(via.supervisor);
      if (supervisorGone) {
        // It may have written the pid file just before it went.
        const late = await readPidFile(paths.pid);
        if (late) this.found(late, via);
        break;
      }
      await new Promise((r) => setTimeout(r, waitMs));
    }
    this.resolveSpawned(this.jobPid);
  }

  private found(ref: ProcessRef, via: FollowedVia): void {
    if (this.jobPid !== undefined) return;
    // Evidence that the job was spawned, whether or not it still runs.
    this.resolveSpawned(ref.pid);
    // Found in a spool: signal the group only while its leader is the job that was started (its pid
    // not reused). Started by this daemon: its group, even once the leader is gone (what it left).
    if (!via.launched && !isSameProcess(ref)) return;
    this.jobPid = ref.pid;
    this.untrack = trackJobGroup(ref.pid);
    // A stop asked before the job was known: delivered now, or found to come after the job's end.
    if (this.pendingSignal && !this.signalGroup('SIGTERM')) this.stopFoundNothing = true;
  }

  private async ended(paths: SpoolPaths): Promise<void> {
    if (this.finished) return;
    const exit = await readExit(paths);
    if (this.jobPid === undefined && this.followed) {
      const ref = await readPidFile(paths.pid);
      if (ref) this.found(ref, this.followed);
    }
    await this.spool.drain(paths.output);
    if (!exit) {
      this.finish({
        outcome: this.ending?.outcome ?? 'error',
        exitCode: null,
        signal: null,
        error: this.ending?.error ?? 'its supervisor ended without an exit status (killed)',
      });
      return;
    }
    const { exitCode, signal } = decodeStatus(exit.status);
    // What the job started in the background ends with it, unless it asks otherwise.
    if (this.ending === undefined && !this.req.job.keepChildren && this.groupAlive()) {
      this.logger.info(
        { ...this.fields, pid: this.jobPid },
        'the job left processes behind: ending its process group',
      );
      this.endGroup();
    }
    // Stopped (timeout, replace, shutdown) — unless the job had already ended by itself when it was
    // asked to: its exit status, written well before the stop, is what happened. (File times come
    // from the kernel's coarse clock, a tick behind: a margin keeps a stop that killed the job a
    // stop.)
    const endedFirst = this.stopFoundNothing || exit.finishedAtMs < this.endingAtMs - FILE_CLOCK_MARGIN_MS;
    if (this.ending && !endedFirst) {
      this.finish({ outcome: this.ending.outcome, exitCode, signal, error: this.ending.error });
    } else {
      this.finish({ outcome: exit.status === 0 ? 'success' : 'failure', exitCode, signal, error: null });
    }
  }

  private terminate(next: Ending): void {
    if (this.finished || this.ending !== undefined) return;
    this.ending = next;
    this.endingAtMs = Date.now();
    this.timeoutTimer?.clear();
    this.endGroup();
  }

  /** SIGTERM to the job's group now, SIGKILL to what is left of it after killGrace. */
  private endGroup(): void {
    if (this.killTimer !== undefined) return;
    if (this.jobPid === undefined) {
      this.pendingSignal = true;
    } else if (!this.signalGroup('SIGTERM')) {
      // No process of the job was left to signal: it had ended by itself.
      this.stopFoundNothing = true;
    }
    this.killTimer = setTimeout(
      () => {
        if (this.signalGroup('SIGKILL')) {
          this.logger.warn(
            { ...this.fields, killGraceMs: this.req.job.killGraceMs },
            'job still running after SIGTERM; sent SIGKILL',
          );
        }
      },
      Math.max(0, Math.min(this.req.job.killGraceMs, 2 ** 31 - 1)),
    );
  }

  private signalGroup(signal: NodeJS.Signals): boolean {
    if (this.jobPid === undefined) return false;
    try {
      process.kill(-this.jobPid, signal);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') {
        this.logger.warn(
          { ...this.fields, pid: this.jobPid, signal, err: errorMessage(err) },
          'could not signal the job',
        );
      }
      return false;
    }
  }

  private groupAlive(): boolean {
    if (this.jobPid === undefined) return false;
    try {
      process.kill(-this.jobPid, 0);
      return true;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'EPERM';
    }
  }

  private finish(r: Omit<RunResult, 'durationMs' | 'httpStatus' | 'outputTail'>): void {
    if (this.finished) return;
    this.finished = true;
    this.untrack?.();
    this.timeoutTimer?.clear();
    clearTimeout(this.endTimer);
    this.watcher?.close();
    // A kill still pending is kept only while members of the group are left to kill.
    // (It does not hold up the daemon's exit.)
    if (this.killTimer !== undefined) {
      if (this.groupAlive()) this.killTimer.unref();
      else clearTimeout(this.killTimer);
    }
    this.spool.close();
    this.resolveResult({
      ...r,
      httpStatus: null,
      durationMs: Math.max(0, Date.now() - this.o.startedAtMs),
      outputTail: this.tail.text(),
    });
  }
}

/** The shell's exit status: 128+N is death by signal N. */
export function decodeStatus(status: number): { exitCode: number | null; signal: string | null } {
  if (status > 128 && status < 128 + 65) {
    const name = Object.entries(os.constants.signals).find(([, n]) => n === status - 128)?.[0];
    if (name) return { exitCode: null, signal: name };
  }
  return { exitCode: status, signal: null };
}
