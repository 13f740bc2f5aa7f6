// The parts of validating a config that are not one field's schema
// (validate-config.ts): the job defaults, the checks across jobs and the
// environment, and the final Config.
import path from 'node:path';
import { toHook } from './build-job.js';
import {
  BUILTIN_JOB_DEFAULTS,
  defaultsSchema,
  isListenAddress,
  isLoopbackListen,
  type JobDefaults,
  type ParsedSettings,
} from './schema.js';
import type { Config, ConfigProblem, JobConfig } from './types.js';

const DEFAULT_STORE_PATH = './var/cronkeeper';
const DEFAULT_SPOOL_PATH = './var/runs';
const DEFAULT_LISTEN = '127.0.0.1:9464';

/**
 * The policies of jobs that set none: `defaults:` (its plain value) over the
 * built-ins. Invalid `defaults` (reported with the settings) give the built-ins.
 */
export function resolveDefaults(rawDefaults: unknown, mainFile: string): JobDefaults {
  const parsedDefaults = defaultsSchema.safeParse(rawDefaults);
  const d = (parsedDefaults.success ? parsedDefaults.data : undefined) ?? {};
  const b = BUILTIN_JOB_DEFAULTS;
  return {
    catchup: d.catchup ?? b.catchup,
    catchupWindowMs: d.catchupWindow ?? b.catchupWindowMs,
    maxCatchup: d.maxCatchup ?? b.maxCatchup,
    overlap: d.overlap ?? b.overlap,
    timeoutMs: d.timeout ?? b.timeoutMs,
    killGraceMs: d.killGrace ?? b.killGraceMs,
    onInterrupted: d.onInterrupted ?? b.onInterrupted,
    onResume: d.onResume ?? b.onResume,
    onScheduleChange: d.onScheduleChange ?? b.onScheduleChange,
    retries: {
      max: d.retries?.max ?? b.retries.max,
      backoffMs: d.retries?.backoff ?? b.retries.backoffMs,
      maxBackoffMs: d.retries?.maxBackoff ?? b.retries.maxBackoffMs,
    },
    jitterMs: d.jitter ?? b.jitterMs,
    // A relative cwd of a default hook resolves against the main file, which defines it.
    onFailure: d.onFailure ? toHook(d.onFailure, path.dirname(mainFile)) : b.onFailure,
    onSuccess: d.onSuccess ? toHook(d.onSuccess, path.dirname(mainFile)) : b.onSuccess,
    outputKeepBytes: d.outputKeep ?? b.outputKeepBytes,
    logOutput: d.logOutput ?? b.logOutput,
    logLineRate: d.logLineRate ?? b.logLineRate,
    keepChildren: d.keepChildren ?? b.keepChildren,
    maxAgeMs: d.maxAge ?? b.maxAgeMs,
    inheritEnv: d.inheritEnv ?? b.inheritEnv,
    runOn: d.runOn === 'local' ? undefined : (d.runOn ?? b.runOn),
  };
}

export function buildConfig(
  file: string,
  s: ParsedSettings,
  jobs: readonly JobConfig[],
  env: NodeJS.ProcessEnv,
): Config {
  const nonEmpty = (v: string | undefined) => (v === undefined || v === '' ? undefined : v);
  return {
    file,
    store: {
      url: s.store?.url ?? nonEmpty(env.CRONKEEPER_DATABASE_URL) ?? nonEmpty(env.DATABASE_URL),
      path: path.resolve(path.dirname(file), s.store?.path ?? DEFAULT_STORE_PATH),
      requireSynchronousReplication: s.store?.requireSynchronousReplication ?? false,
    },
    spool: {
      path:
        s.spool?.path !== undefined
          ? path.resolve(path.dirname(file), s.spool.path)
          : nonEmpty(env.STATE_DIRECTORY?.split(':')[0])
            ? path.join(env.STATE_DIRECTORY!.split(':')[0]!, 'runs')
            : path.resolve(path.dirname(file), DEFAULT_SPOOL_PATH),
    },
    snapshot: {
      intervalMs: s.snapshot?.interval ?? 30_000,
      maxUpdates: s.snapshot?.maxUpdates ?? 100,
      keep: s.snapshot?.keep ?? 10,
    },
    ledger: { retentionMs: s.ledger?.retention ?? 30 * 86_400_000 },
    http: {
      listen: nonEmpty(env.CRONKEEPER_HTTP_LISTEN) ?? s.http?.listen ?? DEFAULT_LISTEN,
      token: s.http?.token,
      allowedHosts: s.http?.allowedHosts ?? [],
    },
    ha: {
      nodeId: s.ha?.nodeId,
      leaseMs: s.ha?.lease ?? 3_000,
      pollMs: s.ha?.poll ?? 100,
      hostWaitMs: s.ha?.hostWait ?? 5 * 60_000,
    },
    catchupConcurrency: s.catchupConcurrency ?? 4,
    concurrency: { max: s.concurrency?.max, perJob: s.concurrency?.perJob },
    shutdownGraceMs: s.shutdownGrace ?? 30_000,
    jobs: [...jobs].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
  };
}

/**
 * CRONKEEPER_HTTP_LISTEN overrides http.listen (one config, several nodes on
 * one machine, each with its own port); it is held to the same rules.
 */
export function checkListenOverride(
  file: string,
  env: NodeJS.ProcessEnv,
  token: string | undefined,
): ConfigProblem[] {
  const listen = env.CRONKEEPER_HTTP_LISTEN;
  if (listen === undefined || listen === '') return [];
  const at = { file, line: 1, column: 1, path: 'CRONKEEPER_HTTP_LISTEN' };
  if (!isListenAddress(listen)) {
    return [
      {
        ...at,
        message: `'${listen}' (from the environment) is not a listen address; use host:port, e.g. 127.0.0.1:9464`,
      },
    ];
  }
  if (!isLoopbackListen(listen) && token === undefined) {
    return [
      { ...at, message: `'${listen}' (from the environment) is not a loopback address: set http.token` },
    ];
  }
  return [];
}

/** A former name must not be a configured job's name, nor claimed by two jobs. */
export function checkFormerNames(jobs: readonly JobConfig[]): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const names = new Set(jobs.map((j) => j.name));
  const claimedBy = new Map<string, string>();
  for (const job of jobs) {
    for (const old of job.formerNames) {
      const at = { file: job.source.file, line: job.source.line, column: job.source.column };
      const path = `jobs.${job.name}.formerNames`;
      if (names.has(old)) {
        problems.push({
          ...at,
          path,
          message: `'${old}' is a configured job: a former name must be one no job has now`,
        });
      } else if (claimedBy.has(old) && claimedBy.get(old) !== job.name) {
        problems.push({ ...at, path, message: `'${old}' is also a former name of '${claimedBy.get(old)}'` });
      }
      claimedBy.set(old, job.name);
    }
  }
  return problems;
}
