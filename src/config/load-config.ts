// loadConfig: the main config file plus its includes → a validated Config, or
// a ConfigError listing every problem found, each at file:line:column.
import path from 'node:path';
import { isMap, isScalar } from 'yaml';
import { expandIncludes } from './includes.js';
import { checkDefaultsRules } from './job-rules.js';
import { JobCollector, toHook } from './jobs.js';
import { keyText, type NodeContext, nodeStart, positionAt, problemAt } from './locate-problem.js';
import { printableProblem } from './printable-problem.js';
import {
  BUILTIN_JOB_DEFAULTS,
  defaultsSchema,
  isListenAddress,
  isLoopbackListen,
  describeValue,
  type JobDefaults,
  type ParsedSettings,
  settingsSchema,
} from './schema.js';
import { type Config, ConfigError, type ConfigProblem, type JobConfig } from './types.js';
import { readSource, type SourceFile } from './yaml-source.js';
import { issuesToProblems, PARSE_OPTIONS } from './zod-issues.js';

export interface LoadConfigOptions {
  /** Skip the file ownership and mode checks (development only: --insecure-config). */
  insecure?: boolean;
  /** "Now" for checking that a cron pattern still has a future occurrence; default Date.now(). */
  nowMs?: number;
  /** Where CRONKEEPER_DATABASE_URL and DATABASE_URL are read; default process.env. */
  env?: NodeJS.ProcessEnv;
}

const DEFAULT_STORE_PATH = './var/cronkeeper';
const DEFAULT_LISTEN = '127.0.0.1:9464';

/** Loads and validates `file` and the files it includes. Throws ConfigError with every problem found. */
export async function loadConfig(file: string, options: LoadConfigOptions = {}): Promise<Config> {
  const mainFile = path.resolve(file);
  const nowMs = options.nowMs ?? Date.now();
  const env = options.env ?? process.env;
  const problems: ConfigProblem[] = [];
  const files = [mainFile];
  const fail = () => new ConfigError(sortProblems(problems, files).map(printableProblem));

  const main = await readSource(mainFile, { insecure: options.insecure });
  problems.push(...main.problems);
  if (!main.source || !main.usable) throw fail();
  const source = main.source;
  // Nothing at all is more likely a truncated or mis-generated file than a
  // wish to run nothing: loaded by a reload, it would drop every job.
  if (source.doc.contents === null) {
    problems.push({
      file: mainFile,
      line: 1,
      column: 1,
      path: '',
      message: `the config file is empty; write 'jobs: {}' for a daemon with no jobs`,
    });
    throw fail();
  }
  const ctx: NodeContext = { source, root: source.doc.contents, rootKey: undefined, basePath: [] };
  const raw = main.value ?? {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    problems.push(problemAt(ctx, [], `the config must be a map of settings, got ${describeValue(raw)}`));
    throw fail();
  }

  const settings = settingsSchema.safeParse(raw, PARSE_OPTIONS);
  if (!settings.success) problems.push(...issuesToProblems(ctx, settings.error.issues, settingsSchema));
  const rawDefaults = (raw as { defaults?: unknown }).defaults;
  for (const issue of checkDefaultsRules(rawDefaults, BUILTIN_JOB_DEFAULTS.retries)) {
    problems.push(problemAt(ctx, ['defaults', ...issue.path], issue.message, issue.at));
  }

  // Problems in `defaults` are reported with the settings; jobs then get the built-in policies.
  const parsedDefaults = defaultsSchema.safeParse(rawDefaults);
  const d = (parsedDefaults.success ? parsedDefaults.data : undefined) ?? {};
  const b = BUILTIN_JOB_DEFAULTS;
  const defaults: JobDefaults = {
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
    maxAgeMs: d.maxAge ?? b.maxAgeMs,
  };

  const collector = new JobCollector(defaults, nowMs);
  collector.collect(source);

  const includes = await expandIncludes(ctx, (raw as { include?: unknown }).include);
  problems.push(...includes.problems);
  files.push(...includes.files);
  for (const includedFile of includes.files) {
    const included = await readSource(includedFile, { insecure: options.insecure });
    problems.push(...included.problems);
    if (included.source && included.usable && checkIncludedFile(included.source, included.value, problems)) {
      collector.collect(included.source);
    }
  }
  problems.push(...collector.problems);
  problems.push(...checkFormerNames(collector.jobs));
  problems.push(
    ...checkListenOverride(mainFile, env, settings.success ? settings.data.http?.token : undefined),
  );

  if (problems.length > 0 || !settings.success) throw fail();
  return buildConfig(mainFile, settings.data, collector, env);
}

function buildConfig(
  file: string,
  s: ParsedSettings,
  collector: JobCollector,
  env: NodeJS.ProcessEnv,
): Config {
  const nonEmpty = (v: string | undefined) => (v === undefined || v === '' ? undefined : v);
  return {
    file,
    store: {
      url: s.store?.url ?? nonEmpty(env.CRONKEEPER_DATABASE_URL) ?? nonEmpty(env.DATABASE_URL),
      path: path.resolve(path.dirname(file), s.store?.path ?? DEFAULT_STORE_PATH),
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
    },
    ha: { nodeId: s.ha?.nodeId, leaseMs: s.ha?.lease ?? 3_000, pollMs: s.ha?.poll ?? 100 },
    catchupConcurrency: s.catchupConcurrency ?? 4,
    concurrency: { max: s.concurrency?.max, perJob: s.concurrency?.perJob },
    shutdownGraceMs: s.shutdownGrace ?? 30_000,
    jobs: [...collector.jobs].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
  };
}

/** An included file may hold only `jobs:`. Returns whether its jobs can be collected. */
function checkIncludedFile(source: SourceFile, value: unknown, problems: ConfigProblem[]): boolean {
  const root = source.doc.contents;
  if (value === null || value === undefined) return false;
  const ctx: NodeContext = { source, root, rootKey: undefined, basePath: [] };
  if (!isMap(root)) {
    problems.push(
      problemAt(ctx, [], `an included file must be a map with only 'jobs:', got ${describeValue(value)}`),
    );
    return false;
  }
  for (const pair of root.items) {
    const key = keyText(pair.key);
    if (key === 'jobs') continue;
    const message =
      key === 'include'
        ? `'include' is not allowed in an included file (includes do not nest)`
        : `'${key}' is not allowed in an included file; it may contain only 'jobs'`;
    const offset = nodeStart(pair.key);
    const at = offset === undefined ? { file: source.file, line: 1, column: 1 } : positionAt(source, offset);
    problems.push({ ...at, path: isScalar(pair.key) ? key : '', message });
  }
  return true;
}

/** Problems of a file together, files in reading order (main file first), each by position. */
function sortProblems(problems: ConfigProblem[], files: string[]): ConfigProblem[] {
  const fileOrder = new Map<string, number>();
  for (const f of [...files, ...problems.map((p) => p.file)])
    if (!fileOrder.has(f)) fileOrder.set(f, fileOrder.size);
  return [...problems].sort(
    (a, b) =>
      (fileOrder.get(a.file) ?? 0) - (fileOrder.get(b.file) ?? 0) || a.line - b.line || a.column - b.column,
  );
}

/**
 * CRONKEEPER_HTTP_LISTEN overrides http.listen (one config, several nodes on
 * one machine, each with its own port); it is held to the same rules.
 */
function checkListenOverride(
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
function checkFormerNames(jobs: readonly JobConfig[]): ConfigProblem[] {
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
