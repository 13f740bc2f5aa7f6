// A validated job → JobConfig, its policies filled in from the defaults.
import path from 'node:path';
import { HOOK_TIMEOUT_MS, type JobDefaults, type ParsedHook, type ParsedJob } from './schema.js';
import type { HookConfig, HttpAction, JobAction, JobConfig, ScheduleSpec, SourceLocation } from './types.js';

/**
 * A validated job (its rules checked) → JobConfig, its policies filled in from
 * `d`; `dir` is that of the file defining it. Undefined without a schedule or
 * an action, which the rules report. Jobs built with the same `shared`
 * share their HTTP actions.
 */
export function buildJob(
  name: string,
  source: SourceLocation,
  job: ParsedJob,
  dir: string,
  d: JobDefaults,
  shared: SharedActions = new SharedActions(),
): JobConfig | undefined {
  let schedule: ScheduleSpec;
  if (job.schedule !== undefined) {
    schedule = { kind: 'cron', pattern: job.schedule, timezone: job.timezone ?? 'UTC' };
  } else if (job.every !== undefined) {
    schedule = { kind: 'every', everyMs: job.every, offsetMs: job.offset ?? 0 };
  } else {
    return undefined;
  }
  const action = toAction(job, dir, shared);
  if (!action) return undefined;
  const config: JobConfig = {
    name,
    source,
    schedule,
    action,
    catchup: job.catchup ?? d.catchup,
    catchupWindowMs: job.catchupWindow ?? d.catchupWindowMs,
    maxCatchup: job.maxCatchup ?? d.maxCatchup,
    overlap: job.overlap ?? d.overlap,
    timeoutMs: job.timeout ?? d.timeoutMs,
    killGraceMs: job.killGrace ?? d.killGraceMs,
    onInterrupted: job.onInterrupted ?? d.onInterrupted,
    onResume: job.onResume ?? d.onResume,
    onScheduleChange: job.onScheduleChange ?? d.onScheduleChange,
    formerNames: job.formerNames ?? NO_NAMES,
    backfillFromMs: job.backfillFrom,
    retries:
      job.retries === undefined
        ? d.retries
        : {
            max: job.retries.max ?? d.retries.max,
            backoffMs: job.retries.backoff ?? d.retries.backoffMs,
            maxBackoffMs: job.retries.maxBackoff ?? d.retries.maxBackoffMs,
          },
    jitterMs: job.jitter ?? d.jitterMs,
    onFailure: job.onFailure ? toHook(job.onFailure, dir, shared) : d.onFailure,
    onSuccess: job.onSuccess ? toHook(job.onSuccess, dir, shared) : d.onSuccess,
    outputKeepBytes: job.outputKeep ?? d.outputKeepBytes,
    logOutput: job.logOutput ?? d.logOutput,
    logLineRate: job.logLineRate ?? d.logLineRate,
    keepChildren: job.keepChildren ?? d.keepChildren,
  };
  // Only when set, so a job without a freshness check has no maxAgeMs key at all.
  // (Not spread into the literal above: that costs more than the rest of it.)
  const maxAgeMs = job.maxAge ?? d.maxAgeMs;
  if (maxAgeMs !== undefined) config.maxAgeMs = maxAgeMs;
  const inheritEnv = job.inheritEnv ?? d.inheritEnv;
  if (inheritEnv.length > 0) config.inheritEnv = inheritEnv;
  const runOn = job.runOn === 'local' ? undefined : (job.runOn ?? d.runOn);
  if (runOn !== undefined) config.runOn = runOn;
  return config;
}

/** The action of a job or hook; a relative cwd resolves against `dir` (that of the defining file). */
function toAction(
  spec: Pick<ParsedJob, 'command' | 'cwd' | 'env' | 'http'>,
  dir: string,
  shared: SharedActions,
): JobAction | undefined {
  if (spec.command !== undefined) {
    const cwd = spec.cwd === undefined ? undefined : path.resolve(dir, spec.cwd);
    return { kind: 'command', argv: spec.command, env: spec.env ?? NO_STRINGS, cwd };
  }
  if (spec.http !== undefined) {
    const { url, method = 'POST', headers } = spec.http;
    return headers !== undefined ? { kind: 'http', url, method, headers } : shared.http(method, url);
  }
  return undefined;
}

/**
 * The HTTP actions of one config's jobs, one (frozen) per endpoint: 100,000
 * jobs call a few endpoints. Made per reading, so a config no longer in use
 * keeps none of them alive.
 */
export class SharedActions {
  private readonly byEndpoint = new Map<string, HttpAction>();

  http(method: string, url: string): HttpAction {
    const key = `${method} ${url}`;
    let action = this.byEndpoint.get(key);
    if (!action)
      this.byEndpoint.set(key, (action = Object.freeze({ kind: 'http', url, method, headers: NO_STRINGS })));
    return action;
  }
}

// Shared by the jobs that set nothing (frozen: a JobConfig is never changed in place).
const NO_NAMES = Object.freeze([]) as unknown as string[];
const NO_STRINGS = Object.freeze({}) as Record<string, string>;

/** A validated hook (its rules checked) → HookConfig; `dir` is that of the file defining it. */
export function toHook(
  hook: ParsedHook,
  dir: string,
  shared: SharedActions = new SharedActions(),
): HookConfig | undefined {
  const action = toAction(hook, dir, shared);
  return action && { action, timeoutMs: hook.timeout ?? HOOK_TIMEOUT_MS };
}
