// Runs a command job: one process (no shell) leading its own process group,
// so that a timeout or stop() reaches its grandchildren too (kill(-pid)).
import { spawn, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import type pino from 'pino';
import type { CommandAction } from '../config/types.js';
import { jobBaseEnv } from './job-env.js';
import { OutputLog } from './output-log.js';
import { OutputTail } from './output-tail.js';
import { errorMessage, runLogFields, runSlotKey, startTimer } from './run-fields.js';
import type { RunHandle, RunRequest, RunResult } from './types.js';

/**
 * How long to keep reading stdout/stderr after the job's process exited, in ms.
 * A grandchild that inherited the pipes can hold them open for ever; we do not
 * wait for it beyond this.
 */
export const PIPE_DRAIN_MS = 500;

export interface RunCommandOptions {
  /** Overrides PIPE_DRAIN_MS (tests). */
  pipeDrainMs?: number;
}

type Ending = { outcome: 'timeout' | 'stopped'; error: string };
type Exit = { code: number | null; signal: NodeJS.Signals | null };

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
export function runCommand(
  req: RunRequest,
  action: CommandAction,
  logger: pino.Logger,
  options: RunCommandOptions = {},
): RunHandle {
  const { job } = req;
  const fields = runLogFields(req);
  const pipeDrainMs = options.pipeDrainMs ?? PIPE_DRAIN_MS;
  const startedAt = performance.now();

  let resolveResult!: (r: RunResult) => void;
  const result = new Promise<RunResult>((resolve) => (resolveResult = resolve));

  let finished = false;
  let ending: Ending | undefined;
  let exit: Exit | undefined;
  let openStreams = 0;
  let timeoutTimer: NodeJS.Timeout | undefined;
  let killTimer: NodeJS.Timeout | undefined;
  let drainTimer: NodeJS.Timeout | undefined;
  let child: ChildProcess | undefined;

  // stdout and stderr together, in the order their chunks arrive.
  const tail = new OutputTail(job.outputKeepBytes);
  const output = new OutputLog(logger, fields, { mode: job.logOutput, linesPerSecond: job.logLineRate });

  const finish = (r: Omit<RunResult, 'durationMs' | 'httpStatus' | 'outputTail'>): void => {
    if (finished) return;
    finished = true;
    clearTimeout(timeoutTimer);
    clearTimeout(drainTimer);
    output.end();
    // A kill still pending is kept only while members of the group are left to kill.
    if (killTimer !== undefined && !groupAlive()) {
      clearTimeout(killTimer);
      killTimer = undefined;
    }
    resolveResult({
      ...r,
      httpStatus: null,
      durationMs: performance.now() - startedAt,
      outputTail: tail.text(),
    });
  };

  const complete = (): void => {
    if (finished || exit === undefined) return;
    const { code, signal } = exit;
    if (ending !== undefined) {
      finish({ outcome: ending.outcome, exitCode: code, signal, error: ending.error });
    } else {
      finish({ outcome: code === 0 ? 'success' : 'failure', exitCode: code, signal, error: null });
    }
  };

  const signalGroup = (signal: NodeJS.Signals): boolean => {
    const pid = child?.pid;
    if (pid === undefined) return false;
    try {
      process.kill(-pid, signal);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') {
        logger.warn({ ...fields, pid, signal, err: errorMessage(err) }, 'could not signal the job');
      }
      return false;
    }
  };

  function groupAlive(): boolean {
    const pid = child?.pid;
    if (pid === undefined) return false;
    try {
      process.kill(-pid, 0);
      return true;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'EPERM';
    }
  }

  // Once the leader has exited, read what is left in the pipes for a moment, then let go.
  const startDrain = (): void => {
    if (finished || drainTimer !== undefined) return;
    drainTimer = setTimeout(() => {
      child?.stdout?.destroy();
      child?.stderr?.destroy();
      complete();
    }, pipeDrainMs);
  };

  const terminate = (next: Ending): void => {
    if (finished || ending !== undefined) return;
    ending = next;
    clearTimeout(timeoutTimer);
    endGroup();
  };

  /** SIGTERM to the whole group now, SIGKILL to what is left of it after killGrace. */
  const endGroup = (): void => {
    if (killTimer !== undefined) return;
    signalGroup('SIGTERM');
    killTimer = setTimeout(
      () => {
        killTimer = undefined;
        if (signalGroup('SIGKILL')) {
          logger.warn(
            { ...fields, killGraceMs: job.killGraceMs },
            'job still running after SIGTERM; sent SIGKILL',
          );
        }
        if (exit !== undefined) startDrain();
      },
      Math.max(0, Math.min(job.killGraceMs, 2 ** 31 - 1)),
    );
  };

  const handle: RunHandle = {
    result,
    stop(reason: string): void {
      if (finished || ending !== undefined) return;
      logger.info({ ...fields, reason }, 'stopping run');
      if (child?.pid === undefined) return; // not started (spawn failed): the result says so
      terminate({ outcome: 'stopped', error: `stopped: ${reason}` });
    },
  };

  const [file, ...args] = action.argv;
  if (file === undefined || file === '') {
    finish({ outcome: 'error', exitCode: null, signal: null, error: 'empty argv' });
    return handle;
  }

  try {
    child = spawn(file, args, {
      cwd: action.cwd,
      env: commandEnv(req, action),
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (err) {
    // e.g. an argument or variable containing a NUL byte
    finish({ outcome: 'error', exitCode: null, signal: null, error: errorMessage(err) });
    return handle;
  }

  child.on('error', (err) => {
    if (child?.pid === undefined) {
      // The process never started (ENOENT, EACCES, a missing cwd, ...).
      finish({ outcome: 'error', exitCode: null, signal: null, error: errorMessage(err) });
    } else {
      logger.warn({ ...fields, err: errorMessage(err) }, 'job process error');
    }
  });

  child.on('exit', (code, signal) => {
    exit = { code, signal };
    clearTimeout(timeoutTimer);
    // What the job started in the background ends with it (unless it asks otherwise): a run must not
    // leave daemons behind, nor hold its output pipes open past its end.
    if (ending === undefined && !job.keepChildren && groupAlive()) {
      logger.info({ ...fields, pid: child?.pid }, 'the job left processes behind: ending its process group');
      endGroup();
    }
    if (openStreams === 0) complete();
    else if (killTimer === undefined) startDrain();
    // else: a SIGKILL of the group is due; its timer starts the drain.
  });

  const watch = (stream: Readable | null, name: 'stdout' | 'stderr'): void => {
    if (stream === null) return;
    openStreams++;
    stream.on('data', (chunk: Buffer) => {
      tail.push(chunk);
      output.push(name, chunk);
    });
    stream.on('end', () => output.endStream(name));
    stream.on('error', (err) =>
      logger.debug({ ...fields, err: errorMessage(err) }, 'job output stream error'),
    );
    stream.on('close', () => {
      openStreams--;
      if (openStreams === 0) complete();
    });
  };
  watch(child.stdout, 'stdout');
  watch(child.stderr, 'stderr');

  if (child.pid !== undefined) {
    const pid = child.pid;
    const untrack = trackJobGroup(pid);
    child.once('exit', untrack);
    logger.debug({ ...fields, pid, argv: action.argv }, 'job process started');
    timeoutTimer = startTimer(job.timeoutMs, () => {
      logger.warn({ ...fields, timeoutMs: job.timeoutMs }, 'run timed out; sending SIGTERM');
      terminate({ outcome: 'timeout', error: `timed out after ${job.timeoutMs} ms` });
    });
  }

  return handle;
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
