// A job's onFailure / onSuccess hook: run once (never retried) after a run's
// final outcome, through the same executors as a job, told what happened in
// CRONKEEPER_* variables (a command) or JSON body fields (an HTTP hook).
import { performance } from 'node:perf_hooks';
import type pino from 'pino';
import type { JobAction, JobConfig } from '../config/types.js';
import { cutTail } from './output-tail.js';
import { errorMessage, isoTime } from './run-fields.js';
import { executeAction, type StartRunOptions } from './start-run.js';
import type { RunRequest, RunResult } from './types.js';

export type HookKind = 'failure' | 'success';

/** The hook to run: the shape of JobConfig.onFailure / onSuccess. */
export interface HookSpec {
  action: JobAction;
  /** The hook is stopped (like a job at its timeout) once it has run this long. */
  timeoutMs: number;
}

/** The run the hook reports on. */
export interface HookInfo {
  job: JobConfig;
  runId: number;
  /** The slot (UTC ms). */
  scheduledAtMs: number;
  /** Attempts made at the slot (the last one's result is `result`). */
  attempts: number;
  /** The final result of the run. */
  result: RunResult;
  epoch: number;
  nodeId: string;
  /**
   * Whether the run was a catch-up run, for CRONKEEPER_CATCHUP / `catchup`;
   * when not given, the hook gets '' / null there (unknown).
   */
  catchup?: boolean;
  /** A manual run (cronkeeper trigger): its CRONKEEPER_SLOT / `slot` is `<job>@manual:<runId>`. */
  manual?: boolean;
}

export interface RunHookOptions extends StartRunOptions {
  /** Aborting it stops a hook still running (its reason is the stop reason). */
  signal?: AbortSignal;
}

/** CRONKEEPER_OUTPUT_TAIL (and the body's outputTail) hold at most this many bytes of the run's tail. */
export const HOOK_OUTPUT_TAIL_BYTES = 4 * 1024;

/** What an HTTP hook receives on top of an HTTP job's body fields. */
export interface HookBody {
  hook: HookKind;
  attempts: number;
  outcome: string;
  exitCode: number | null;
  signal: string | null;
  httpStatus: number | null;
  error: string | null;
  outputTail: string | null;
  job: string;
  scheduledAt: string;
  runId: number;
}

/**
 * Runs the hook once and resolves with its result. Never throws, never
 * rejects. Logs 'hook finished' (info on success, warn otherwise); the hook's
 * own output goes to the log like a job's, with `hook` attached.
 */
export async function runHook(
  kind: HookKind,
  hook: HookSpec,
  info: HookInfo,
  logger: pino.Logger,
  options: RunHookOptions = {},
): Promise<RunResult> {
  const startedAt = performance.now();
  const fields = {
    job: info.job?.name,
    scheduledAt: isoTime(info.scheduledAtMs),
    runId: info.runId,
    hook: kind,
  };
  let result: RunResult;
  try {
    const req = hookRequest(kind, hook, info);
    safeLog(() => logger.info({ ...fields, kind: hook.action.kind }, 'hook started'));
    // The hook's output lines (and its timeout or stop) are logged with `hook` attached.
    const hookLogger = logger.child({ hook: kind });
    const { signal, ...runOptions } = options;
    const handle = executeAction(req, hookLogger, runOptions);
    const onAbort = () => handle.stop(String(signal?.reason ?? 'aborted'));
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    try {
      result = await handle.result;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  } catch (err) {
    result = {
      outcome: 'error',
      exitCode: null,
      signal: null,
      httpStatus: null,
      durationMs: performance.now() - startedAt,
      error: errorMessage(err),
      outputTail: null,
    };
  }
  const line = {
    ...fields,
    outcome: result.outcome,
    exitCode: result.exitCode,
    signal: result.signal,
    httpStatus: result.httpStatus,
    durationMs: Math.round(result.durationMs),
    ...(result.error !== null ? { error: result.error } : {}),
  };
  safeLog(() => {
    if (result.outcome === 'success') logger.info(line, 'hook finished');
    else logger.warn(line, 'hook finished');
  });
  return result;
}

/**
 * The request the hook runs as: the job with the hook's action and timeout
 * (name unchanged, no retries, no hooks of its own), the run's slot, id, epoch
 * and node, its last attempt, and what happened in extraEnv / extraBody.
 */
export function hookRequest(kind: HookKind, hook: HookSpec, info: HookInfo): RunRequest {
  const { job, result } = info;
  const tail = result.outputTail === null ? null : cutTail(result.outputTail, HOOK_OUTPUT_TAIL_BYTES);
  const hookJob: JobConfig = {
    ...job,
    action: hook.action,
    timeoutMs: hook.timeoutMs,
    retries: { ...job.retries, max: 0 },
    onFailure: undefined,
    onSuccess: undefined,
  };
  const body: HookBody = {
    hook: kind,
    attempts: info.attempts,
    outcome: result.outcome,
    exitCode: result.exitCode,
    signal: result.signal,
    httpStatus: result.httpStatus,
    error: result.error,
    outputTail: tail,
    job: job.name,
    scheduledAt: isoTime(info.scheduledAtMs),
    runId: info.runId,
  };
  const env: Record<string, string> = {
    CRONKEEPER_HOOK: kind,
    CRONKEEPER_ATTEMPTS: String(info.attempts),
    CRONKEEPER_OUTCOME: result.outcome,
    CRONKEEPER_EXIT_CODE: text(result.exitCode),
    CRONKEEPER_SIGNAL: text(result.signal),
    CRONKEEPER_HTTP_STATUS: text(result.httpStatus),
    CRONKEEPER_ERROR: text(result.error),
    CRONKEEPER_OUTPUT_TAIL: text(tail),
  };
  const extraBody: Record<string, unknown> = { ...body };
  if (info.catchup === undefined) {
    env.CRONKEEPER_CATCHUP = '';
    extraBody.catchup = null;
  }
  return {
    runId: info.runId,
    job: hookJob,
    scheduledAtMs: info.scheduledAtMs,
    catchup: info.catchup ?? false,
    manual: info.manual === true,
    epoch: info.epoch,
    nodeId: info.nodeId,
    attempt: info.attempts,
    extraEnv: env,
    extraBody,
  };
}

/** An environment value: '' for null; NUL (which no environment can hold) as U+FFFD. */
function text(value: string | number | null): string {
  return value === null ? '' : String(value).replaceAll('\u0000', '\uFFFD');
}

function safeLog(write: () => void): void {
  try {
    write();
  } catch {
    // A failing log destination must not make a hook throw.
  }
}
