// The one entry point of the executors: starts a run of a slot by its job's
// action kind and logs one 'run finished' line for it.
import type pino from 'pino';
import { startCommand, type CommandRunOptions } from './command-run.js';
import { errorMessage, runLogFields } from './run-fields.js';
import { runHttp } from './run-http.js';
import { cutTail } from './output-tail.js';
import type { ProcessRef, SpoolPaths } from './run-spool.js';
import { adoptSupervised, startSupervised } from './run-supervised.js';
import type { RunHandle, RunRequest, RunResult } from './types.js';

/** Bytes of the output tail a 'run finished' line carries with logOutput: tail. */
const TAIL_LOG_BYTES = 4096;

export type StartRunOptions = CommandRunOptions;

/**
 * Starts the run and returns at once. Never throws; `result` never rejects.
 * Logs 'run started' and, when the run is over, 'run finished' (info on
 * success, warn otherwise) with the outcome and durationMs.
 */
export function startRun(req: RunRequest, logger: pino.Logger, options: StartRunOptions = {}): RunHandle {
  try {
    logger.info(
      { ...runLogFields(req), catchup: req.catchup, attempt: req.attempt, kind: req.job.action.kind },
      'run started',
    );
  } catch {
    // A failing log destination must not keep the run from starting.
  }
  return withFinishedLine(req, executeAction(req, logger, options), logger);
}

/**
 * Follows a run a predecessor started and left in its spool (still running, or
 * ended unwatched), as startRun follows one it starts: 'run adopted', then
 * 'run finished'.
 */
export function adoptRun(
  req: RunRequest,
  paths: SpoolPaths,
  found: { startedAtMs: number; supervisor: ProcessRef | undefined; running: boolean },
  logger: pino.Logger,
): RunHandle {
  try {
    logger.info(
      {
        ...runLogFields(req),
        catchup: req.catchup,
        attempt: req.attempt,
        startedAt: new Date(found.startedAtMs).toISOString(),
      },
      found.running
        ? 'run adopted: started by a daemon that is gone, still running'
        : 'run adopted: started by a daemon that is gone, ended while nobody watched',
    );
  } catch {
    // as in startRun
  }
  return withFinishedLine(req, adoptSupervised(req, paths, logger, found), logger);
}

function withFinishedLine(req: RunRequest, handle: RunHandle, logger: pino.Logger): RunHandle {
  const result = handle.result.then((r) => {
    logFinished(req, r, logger);
    return r;
  });
  return {
    result,
    stop: (reason) => handle.stop(reason),
    ...(handle.spawned ? { spawned: handle.spawned } : {}),
    ...(handle.exited ? { exited: () => handle.exited!() } : {}),
    ...(handle.release ? { release: () => handle.release!() } : {}),
  };
}

/**
 * Runs the request's action by its kind with no 'run started'/'run finished'
 * lines (hooks log their own). Never throws; `result` never rejects.
 */
export function executeAction(
  req: RunRequest,
  logger: pino.Logger,
  options: StartRunOptions = {},
): RunHandle {
  const startedAt = performance.now();
  let handle: RunHandle;
  try {
    handle = startAction(req, logger, options);
  } catch (err) {
    // Not expected (the executors do not throw), but a bug here must not take the daemon down.
    handle = settledHandle(errorResult(err, performance.now() - startedAt));
  }
  const result = handle.result.catch((err: unknown) => errorResult(err, performance.now() - startedAt));
  return {
    result,
    stop: (reason) => {
      try {
        handle.stop(reason);
      } catch {
        // as above
      }
    },
    ...(handle.spawned ? { spawned: handle.spawned } : {}),
    ...(handle.exited ? { exited: () => handle.exited!() } : {}),
    ...(handle.release ? { release: () => handle.release!() } : {}),
  };
}

function startAction(req: RunRequest, logger: pino.Logger, options: StartRunOptions): RunHandle {
  const action = req.job.action;
  switch (action.kind) {
    case 'command':
      return req.spool === undefined
        ? startCommand(req, action, logger, options)
        : startSupervised(req, action, logger, req.spool, req.prepared);
    case 'http':
      return runHttp(req, action, logger);
    default: {
      const kind = (action as { kind: unknown }).kind;
      return settledHandle(errorResult(new Error(`unknown action kind ${String(kind)}`), 0));
    }
  }
}

function logFinished(req: RunRequest, r: RunResult, logger: pino.Logger): void {
  const line = {
    ...runLogFields(req),
    catchup: req.catchup,
    attempt: req.attempt,
    outcome: r.outcome,
    exitCode: r.exitCode,
    signal: r.signal,
    httpStatus: r.httpStatus,
    durationMs: Math.round(r.durationMs),
    ...(r.error !== null ? { error: r.error } : {}),
    // logOutput: tail — the output goes to the log once, here, instead of line by line.
    ...(req.job.logOutput === 'tail' && r.outputTail
      ? { output: cutTail(r.outputTail, TAIL_LOG_BYTES) }
      : {}),
  };
  try {
    if (r.outcome === 'success') logger.info(line, 'run finished');
    else logger.warn(line, 'run finished');
  } catch {
    // A failing log destination must not turn a finished run into a rejected promise.
  }
}

function errorResult(err: unknown, durationMs: number): RunResult {
  return {
    outcome: 'error',
    exitCode: null,
    signal: null,
    httpStatus: null,
    durationMs,
    error: errorMessage(err),
    outputTail: null,
  };
}

function settledHandle(r: RunResult): RunHandle {
  return { result: Promise.resolve(r), stop: () => undefined };
}
