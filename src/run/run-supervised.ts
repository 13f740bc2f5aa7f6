// A command run through its supervisor (run-supervisor.ts): started by this
// daemon (startSupervised) or found still running, or finished, in its spool
// by a successor (adoptSupervised). Either way the same object follows it:
// the output is read from the spool file (logged within the budget, its tail
// kept), the timeout is enforced from the run's start, stop() signals the
// job's process group, and the result comes from the exit status the
// supervisor wrote.
import type { ChildProcess } from 'node:child_process';
import { type FSWatcher, watch } from 'node:fs';
import { access, constants, open, stat, type FileHandle } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type pino from 'pino';
import type { CommandAction } from '../config/types.js';
import { OutputLog } from './output-log.js';
import { OutputTail } from './output-tail.js';
import { commandEnv, trackJobGroup } from './run-command.js';
import { errorMessage, runLogFields, startTimer } from './run-fields.js';
import {
  type ProcessRef,
  type SpoolKey,
  type SpoolPaths,
  createSpool,
  isSameProcess,
  readExit,
  readPidFile,
  removeSpool,
  spoolPaths,
} from './run-spool.js';
import { spawnSupervisor } from './run-supervisor.js';
import type { RunHandle, RunRequest, RunResult } from './types.js';

/** Bytes read from the output file per turn of the event loop. */
const READ_BYTES = 64 * 1024;
/** How often the output file is read while the job is quiet (ms); sooner while it prints. */
const OUTPUT_POLL_MS = 200;
/** How often an adopted run (not this daemon's child) is checked for its end (ms). */
const ADOPTED_POLL_MS = 250;

type Ending = { outcome: 'timeout' | 'stopped'; error: string };
/** How a run's end is learned: its supervisor is this daemon's `child`, or a `supervisor` found running. */
type FollowedVia = { child?: ChildProcess; supervisor?: ProcessRef };

export type SupervisedHandle = Required<RunHandle>;

/**
 * What a supervised start needs before it can spawn: the run's spool
 * directory, made, and the check that the command can be spawned at all. Made
 * ahead of the slot's instant (the run's traces are recorded only at the
 * instant, so a directory made early proves nothing and is swept if unused):
 * at the instant there is nothing left to wait for on the file system.
 */
export interface PreparedRun {
  paths: SpoolPaths;
  /** Why the command cannot be spawned (ENOENT, EACCES, ...); undefined: it can. */
  problem: string | undefined;
  /** When `problem` was judged (performance.now()). */
  checkedAt: number;
}

/** A preparation judged longer ago than this is judged again at the start (a binary may have come or gone). */
const PREPARED_FRESH_MS = 2_000;

/**
 * Prepares the start of `req` (see PreparedRun): the directory is made unless the command cannot
 * be spawned. Rejects only when the directory cannot be made.
 */
export async function prepareSupervised(
  req: RunRequest,
  action: CommandAction,
  spoolRoot: string,
): Promise<PreparedRun> {
  const problem = await preflight(action, commandEnv(req, action));
  // Nothing will be spawned for a command that cannot be: no directory either.
  const paths = problem ? spoolPaths(spoolRoot, spoolKey(req)) : await createSpool(spoolRoot, spoolKey(req));
  return { paths, problem, checkedAt: performance.now() };
}

/**
 * Starts a command run under a supervisor, its spool under `spoolRoot`. With a
 * fresh preparation for this very attempt, the supervisor is spawned before
 * this returns; otherwise once prepared. Never throws.
 */
export function startSupervised(
  req: RunRequest,
  action: CommandAction,
  logger: pino.Logger,
  spoolRoot: string,
  prepared?: PreparedRun,
): SupervisedHandle {
  const run = new SupervisedRun(req, logger, { startedAtMs: Date.now(), logFrom: 'start' });
  const key = spoolKey(req);
  const spawnPrepared = (p: PreparedRun): void => {
    if (p.problem) return run.fail(p.problem);
    try {
      const child = spawnSupervisor(p.paths, action.argv, { cwd: action.cwd, env: commandEnv(req, action) });
      child.on('error', (err) => run.fail(errorMessage(err)));
      run.follow(p.paths, { child });
    } catch (err) {
      run.fail(errorMessage(err));
    }
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
    release: () => removeSpool(spoolPaths(spoolRoot, key)),
  };
}

function spoolKey(req: RunRequest): SpoolKey {
  return { runId: req.runId, attempt: req.attempt, epoch: req.epoch };
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
  private finished = false;
  private ending: Ending | undefined;
  private jobPid: number | undefined;
  private pendingSignal = false;
  private timeoutTimer: NodeJS.Timeout | undefined;
  private killTimer: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private file: FileHandle | undefined;
  private offset = 0;
  private reading: Promise<void> = Promise.resolve();
  private untrack: (() => void) | undefined;
  private followed: FollowedVia | undefined;
  private adoptedTimer: NodeJS.Timeout | undefined;
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
    const remaining = req.job.timeoutMs - (Date.now() - o.startedAtMs);
    this.timeoutTimer = startTimer(Math.max(0, remaining), () => {
      this.logger.warn({ ...this.fields, timeoutMs: req.job.timeoutMs }, 'run timed out; sending SIGTERM');
      this.terminate({ outcome: 'timeout', error: `timed out after ${req.job.timeoutMs} ms` });
    });
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

  /** Follows the run in `paths`: its supervisor is our `child`, or the `supervisor` found running. */
  follow(paths: SpoolPaths, via: FollowedVia): void {
    this.followed = via;
    void this.openOutput(paths).then(() => this.poll(paths));
    void this.watchPid(paths, via);
    if (via.child) {
      via.child.on('exit', () => void this.ended(paths));
    } else {
      // Not our child: its end is seen in the spool (at once through inotify, and by polling, which
      // also notices a supervisor that died without writing its status).
      const check = async (): Promise<void> => {
        if (this.finished) return;
        if ((await readExit(paths)) || !via.supervisor || !isSameProcess(via.supervisor)) {
          return this.ended(paths);
        }
        clearTimeout(this.adoptedTimer);
        this.adoptedTimer = setTimeout(() => void check(), ADOPTED_POLL_MS);
      };
      try {
        this.watcher = watch(paths.dir, () => void check());
        this.watcher.on('error', () => {});
      } catch {
        // polling alone
      }
      void check();
    }
  }

  private async watchPid(paths: SpoolPaths, via: FollowedVia): Promise<void> {
    for (let waitMs = 5; !this.finished; waitMs = Math.min(waitMs * 2, 200)) {
      const ref = await readPidFile(paths.pid);
      if (ref) return this.found(ref, via);
      const supervisorGone = via.child
        ? via.child.exitCode !== null || via.child.signalCode !== null
        : !via.supervisor || !isSameProcess(via.supervisor);
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
    // Adopted: signal the group only while its leader is the job that was started (its pid not reused).
    if (!via.child && !isSameProcess(ref)) return;
    this.jobPid = ref.pid;
    this.untrack = trackJobGroup(ref.pid);
    this.resolveSpawned(ref.pid);
    if (this.pendingSignal) this.signalGroup('SIGTERM');
  }

  private async openOutput(paths: SpoolPaths): Promise<void> {
    for (let i = 0; i < 50 && !this.file; i++) {
      try {
        this.file = await open(paths.output, 'r');
      } catch {
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    if (this.file && this.o.logFrom === 'end') {
      // Adopted: what was printed before is not logged again; its end goes to the tail.
      const size = (await this.file.stat()).size;
      const keep = Math.min(size, this.req.job.outputKeepBytes);
      if (keep < size) this.tail.skip(size - keep);
      this.offset = size - keep;
      await this.readAvailable(false);
    }
  }

  /** Reads the output file up to its end, a chunk per turn; `log`: also through the log budget. */
  private readAvailable(log = true): Promise<void> {
    this.reading = this.reading.then(async () => {
      const file = this.file;
      if (!file) return;
      const buf = Buffer.allocUnsafe(READ_BYTES);
      for (;;) {
        const { bytesRead } = await file
          .read(buf, 0, READ_BYTES, this.offset)
          .catch(() => ({ bytesRead: 0 }));
        if (bytesRead === 0) return;
        this.offset += bytesRead;
        const chunk = Buffer.from(buf.subarray(0, bytesRead));
        this.tail.push(chunk);
        if (log) this.output.push('stdout', chunk);
        await new Promise((r) => setImmediate(r));
      }
    });
    return this.reading;
  }

  private poll(paths: SpoolPaths): void {
    if (this.finished) return;
    void this.readAvailable().then(() => {
      if (!this.finished) this.pollTimer = setTimeout(() => this.poll(paths), OUTPUT_POLL_MS);
    });
  }

  private async ended(paths: SpoolPaths): Promise<void> {
    if (this.finished) return;
    const exit = await readExit(paths);
    if (this.jobPid === undefined && this.followed) {
      const ref = await readPidFile(paths.pid);
      if (ref) this.found(ref, this.followed);
    }
    if (!this.file) await this.openOutput(paths);
    await this.readAvailable();
    this.output.end();
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
    if (this.ending) {
      this.finish({ outcome: this.ending.outcome, exitCode, signal, error: this.ending.error });
    } else {
      this.finish({ outcome: exit.status === 0 ? 'success' : 'failure', exitCode, signal, error: null });
    }
  }

  private terminate(next: Ending): void {
    if (this.finished || this.ending !== undefined) return;
    this.ending = next;
    clearTimeout(this.timeoutTimer);
    this.endGroup();
  }

  /** SIGTERM to the job's group now, SIGKILL to what is left of it after killGrace. */
  private endGroup(): void {
    if (this.killTimer !== undefined) return;
    if (this.jobPid === undefined) {
      this.pendingSignal = true;
    } else {
      this.signalGroup('SIGTERM');
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
    clearTimeout(this.timeoutTimer);
    clearTimeout(this.pollTimer);
    clearTimeout(this.adoptedTimer);
    this.watcher?.close();
    // A kill still pending is kept only while members of the group are left to kill.
    if (this.killTimer !== undefined && !this.groupAlive()) clearTimeout(this.killTimer);
    void this.file?.close().catch(() => {});
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

/**
 * What spawn() itself would have refused, checked before the supervisor starts
 * (it can only report such a failure as an exit status): a missing working
 * directory, a program that is not there or not executable.
 */
async function preflight(action: CommandAction, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const [file] = action.argv;
  if (file === undefined || file === '') return 'empty argv';
  if (action.argv.some((a) => a.includes('\u0000')))
    return "The argument 'args[...]' must be a string without null bytes";
  if (action.cwd !== undefined) {
    const s = await stat(action.cwd).catch(() => undefined);
    if (!s?.isDirectory()) return `spawn ${file} ENOENT`;
  }
  const candidates = file.includes('/')
    ? [path.resolve(action.cwd ?? process.cwd(), file)]
    : (env.PATH ?? '').split(':').map((dir) => path.resolve(action.cwd ?? process.cwd(), dir || '.', file));
  let denied = false;
  for (const candidate of candidates) {
    const s = await stat(candidate).catch(() => undefined);
    if (!s?.isFile()) continue;
    if (
      await access(candidate, constants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return undefined;
    denied = true;
  }
  return `spawn ${file} ${denied ? 'EACCES' : 'ENOENT'}`;
}
