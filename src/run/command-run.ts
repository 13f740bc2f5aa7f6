// Runs a command job in the daemon's process (no spool: see run-supervised.ts
// for the supervised way): one process (no shell) leading its own process
// group, so that a timeout or stop() reaches its grandchildren too (kill(-pid)).
//
// A run goes through explicit phases:
//   running   the job's process runs
//   ending    a timeout or stop sent SIGTERM to its group (SIGKILL after killGrace)
//   draining  its process exited; what is left in the pipes is read for a moment
//   done      the result is resolved (a spawn that fails goes here at once)
// `ending` records why the run was ended (a stop may come while draining too);
// the exit status decides success or failure only for a run that was not.
import { spawn, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import type pino from 'pino';
import type { CommandAction, JobConfig } from '../config/types.js';
import { jobBaseEnv } from './job-env.js';
import { OutputLog } from './output-log.js';
import { OutputTail } from './output-tail.js';
import {
  errorMessage,
  type RunLogFields,
  runLogFields,
  runSlotKey,
  startTimer,
  type Timer,
} from './run-fields.js';
import type { RunHandle, RunRequest, RunResult } from './types.js';

/**
 * How long to keep reading stdout/stderr after the job's process exited, in ms.
 * A grandchild that inherited the pipes can hold them open for ever; we do not
 * wait for it beyond this.
 */
export const PIPE_DRAIN_MS = 500;

export interface CommandRunOptions {
  /** Overrides PIPE_DRAIN_MS (tests). */
  pipeDrainMs?: number;
}

type Phase = 'running' | 'ending' | 'draining' | 'done';
type Ending = { outcome: 'timeout' | 'stopped'; error: string };
type Exit = { code: number | null; signal: NodeJS.Signals | null };
type Ended = Omit<RunResult, 'durationMs' | 'httpStatus' | 'outputTail'>;

/**
 * The environment of a command job: the daemon's, the job's, the run's
 * CRONKEEPER_* variables, then the request's extraEnv.
 */
export function commandEnv(req: RunRequest, action: CommandAction): NodeJS.ProcessEnv {
  return {
    ...jobBaseEnv(process.env, req.job.inheritEnv),
    ...action.env,
    CRONKEEPER_JOB: req.job.name,
    CRONKEEPER_SCHEDULED_AT: new Date(req.scheduledAtMs).toISOString(),
    CRONKEEPER_CATCHUP: req.catchup ? '1' : '0',
    CRONKEEPER_SLOT: runSlotKey(req),
    CRONKEEPER_MANUAL: req.manual ? '1' : '0',
    CRONKEEPER_RUN_ID: String(req.runId),
    CRONKEEPER_EPOCH: String(req.epoch),
    CRONKEEPER_NODE_ID: req.nodeId,
    CRONKEEPER_ATTEMPT: String(req.attempt),
    ...req.extraEnv,
  };
}

/** Starts a command job. Never throws: a spawn failure resolves the result with outcome 'error'. */
export function startCommand(
  req: RunRequest,
  action: CommandAction,
  logger: pino.Logger,
  options: CommandRunOptions = {},
): RunHandle {
  const run = new CommandRun(req, logger, options.pipeDrainMs ?? PIPE_DRAIN_MS);
  run.start(action);
  return { result: run.result, stop: (reason) => run.stop(reason) };
}

class CommandRun {
  readonly result: Promise<RunResult>;
  private resolveResult!: (r: RunResult) => void;
  private phase: Phase = 'running';
  private ending: Ending | undefined;
  private exit: Exit | undefined;
  private child: ChildProcess | undefined;
  private openStreams = 0;
  private timeoutTimer: Timer | undefined;
  private killTimer: NodeJS.Timeout | undefined;
  private drainTimer: NodeJS.Timeout | undefined;
  private readonly job: JobConfig;
  private readonly fields: RunLogFields;
  private readonly startedAt = performance.now();
  /** stdout and stderr together, in the order their chunks arrive. */
  private readonly tail: OutputTail;
  private readonly output: OutputLog;

  constructor(
    private readonly req: RunRequest,
    private readonly logger: pino.Logger,
    private readonly pipeDrainMs: number,
  ) {
    this.job = req.job;
    this.fields = runLogFields(req);
    this.tail = new OutputTail(this.job.outputKeepBytes);
    this.output = new OutputLog(logger, this.fields, {
      mode: this.job.logOutput,
      linesPerSecond: this.job.logLineRate,
    });
    this.result = new Promise<RunResult>((resolve) => (this.resolveResult = resolve));
  }

  start(action: CommandAction): void {
    const [file, ...args] = action.argv;
    if (file === undefined || file === '') return this.finish(spawnError('empty argv'));
    let child: ChildProcess;
    try {
      child = spawn(file, args, {
        cwd: action.cwd,
        env: commandEnv(this.req, action),
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (err) {
      // e.g. an argument or variable containing a NUL byte
      return this.finish(spawnError(errorMessage(err)));
    }
    this.child = child;
    child.on('error', (err) => {
      // The process never started (ENOENT, EACCES, a missing cwd, ...).
      if (child.pid === undefined) this.finish(spawnError(errorMessage(err)));
      else this.logger.warn({ ...this.fields, err: errorMessage(err) }, 'job process error');
    });
    child.on('exit', (code, signal) => this.exited({ code, signal }));
    this.watch(child.stdout, 'stdout');
    this.watch(child.stderr, 'stderr');
    if (child.pid === undefined) return;
    const untrack = trackJobGroup(child.pid);
    child.once('exit', untrack);
    this.logger.debug({ ...this.fields, pid: child.pid, argv: action.argv }, 'job process started');
    this.timeoutTimer = startTimer(this.job.timeoutMs, () => {
      this.logger.warn({ ...this.fields, timeoutMs: this.job.timeoutMs }, 'run timed out; sending SIGTERM');
      this.end({ outcome: 'timeout', error: `timed out after ${this.job.timeoutMs} ms` });
    });
  }

  stop(reason: string): void {
    if (this.phase === 'done' || this.ending !== undefined) return;
    this.logger.info({ ...this.fields, reason }, 'stopping run');
    if (this.child?.pid === undefined) return; // not started (spawn failed): the result says so
    this.end({ outcome: 'stopped', error: `stopped: ${reason}` });
  }

  /**
   * running → ending: SIGTERM to the whole group now, SIGKILL to what is left of it after killGrace.
   * A run already draining (its leader gone, a member of its group holding the pipes) stays so.
   */
  private end(why: Ending): void {
    if (this.phase === 'done' || this.ending !== undefined) return;
    if (this.phase === 'running') this.phase = 'ending';
    this.ending = why;
    this.timeoutTimer?.clear();
    this.endGroup();
  }

  /** running | ending → draining, or done at once when the pipes are closed already. */
  private exited(exit: Exit): void {
    this.exit = exit;
    this.timeoutTimer?.clear();
    if (this.phase === 'done') return;
    // What the job started in the background ends with it (unless it asks otherwise): a run must not
    // leave daemons behind, nor hold its output pipes open past its end.
    if (this.phase === 'running' && !this.job.keepChildren && this.groupAlive()) {
      this.logger.info(
        { ...this.fields, pid: this.child?.pid },
        'the job left processes behind: ending its process group',
      );
      this.endGroup();
    }
    this.phase = 'draining';
    if (this.openStreams === 0) this.complete();
    else if (this.killTimer === undefined) this.startDrain();
    // else: a SIGKILL of the group is due; its timer starts the drain.
  }

  /** Once the leader has exited, read what is left in the pipes for a moment, then let go. */
  private startDrain(): void {
    if (this.phase !== 'draining' || this.drainTimer !== undefined) return;
    this.drainTimer = setTimeout(() => {
      this.child?.stdout?.destroy();
      this.child?.stderr?.destroy();
      this.complete();
    }, this.pipeDrainMs);
  }

  /** draining → done, with the outcome the ending or the exit status gives. */
  private complete(): void {
    if (this.phase !== 'draining' || this.exit === undefined) return;
    const { code, signal } = this.exit;
    if (this.ending !== undefined)
      this.finish({ outcome: this.ending.outcome, exitCode: code, signal, error: this.ending.error });
    else this.finish({ outcome: code === 0 ? 'success' : 'failure', exitCode: code, signal, error: null });
  }

  /** Any phase → done. */
  private finish(r: Ended): void {
    if (this.phase === 'done') return;
    this.phase = 'done';
    this.timeoutTimer?.clear();
    clearTimeout(this.drainTimer);
    this.output.end();
    // A kill still pending is kept only while members of the group are left to kill.
    if (this.killTimer !== undefined && !this.groupAlive()) {
      clearTimeout(this.killTimer);
      this.killTimer = undefined;
    }
    this.resolveResult({
      ...r,
      httpStatus: null,
      durationMs: performance.now() - this.startedAt,
      outputTail: this.tail.text(),
    });
  }

  private endGroup(): void {
    if (this.killTimer !== undefined) return;
    this.signalGroup('SIGTERM');
    this.killTimer = setTimeout(
      () => {
        this.killTimer = undefined;
        if (this.signalGroup('SIGKILL')) {
          this.logger.warn(
            { ...this.fields, killGraceMs: this.job.killGraceMs },
            'job still running after SIGTERM; sent SIGKILL',
          );
        }
        if (this.exit !== undefined) this.startDrain();
      },
      Math.max(0, Math.min(this.job.killGraceMs, 2 ** 31 - 1)),
    );
  }

  private watch(stream: Readable | null, name: 'stdout' | 'stderr'): void {
    if (stream === null) return;
    this.openStreams++;
    stream.on('data', (chunk: Buffer) => {
      this.tail.push(chunk);
      this.output.push(name, chunk);
    });
    stream.on('end', () => this.output.endStream(name));
    stream.on('error', (err) =>
      this.logger.debug({ ...this.fields, err: errorMessage(err) }, 'job output stream error'),
    );
    stream.on('close', () => {
      this.openStreams--;
      if (this.openStreams === 0) this.complete();
    });
  }

  private signalGroup(signal: NodeJS.Signals): boolean {
    const pid = this.child?.pid;
    if (pid === undefined) return false;
    try {
      process.kill(-pid, signal);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') {
        this.logger.warn({ ...this.fields, pid, signal, err: errorMessage(err) }, 'could not signal the job');
      }
      return false;
    }
  }

  private groupAlive(): boolean {
    const pid = this.child?.pid;
    if (pid === undefined) return false;
    try {
      process.kill(-pid, 0);
      return true;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'EPERM';
    }
  }
}

function spawnError(error: string): Ended {
  return { outcome: 'error', exitCode: null, signal: null, error };
}

/** Process groups of the job processes still running (their leaders' pids). */
const liveGroups = new Set<number>();

/** Counts a job's process group as running (for killAllJobProcessGroups); returns the function that stops counting it. */
export function trackJobGroup(pid: number): () => void {
  liveGroups.add(pid);
  return () => liveGroups.delete(pid);
}

/**
 * SIGKILLs the process group of every job still running. For an immediate exit
 * (a second stop signal): the jobs must not outlive the daemon as orphans.
 */
export function killAllJobProcessGroups(): number {
  let n = 0;
  for (const pid of liveGroups) {
    try {
      process.kill(-pid, 'SIGKILL');
      n++;
    } catch {
      // already gone
    }
  }
  return n;
}
