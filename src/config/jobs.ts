// The `jobs:` maps of the main file and of every included file → JobConfig[],
// with job names unique across all files.
import path from 'node:path';
import { isAlias, isMap, isNode, isScalar, type Pair } from 'yaml';
import { checkJobRules } from './job-rules.js';
import { keyText, type NodeContext, nodeStart, positionAt, problemAt } from './locate-problem.js';
import {
  describeValue,
  HOOK_TIMEOUT_MS,
  JOB_NAME,
  type JobDefaults,
  jobSchema,
  type ParsedHook,
  type ParsedJob,
} from './schema.js';
import type {
  ConfigProblem,
  HookConfig,
  JobAction,
  JobConfig,
  ScheduleSpec,
  SourceLocation,
} from './types.js';
import type { SourceFile } from './yaml-source.js';
import { issuesToProblems, PARSE_OPTIONS } from './zod-issues.js';

export class JobCollector {
  readonly jobs: JobConfig[] = [];
  readonly problems: ConfigProblem[] = [];
  private readonly seen = new Map<string, SourceLocation>();

  constructor(
    private readonly defaults: JobDefaults,
    private readonly nowMs: number,
  ) {}

  /** Collects the jobs under the top-level `jobs` key of `source` (absent or empty is fine). */
  collect(source: SourceFile): void {
    const root = source.doc.contents;
    if (!isMap(root)) return;
    const jobsPair = root.items.findLast((p) => keyText(p.key) === 'jobs');
    if (!jobsPair) return;
    const jobsNode = isAlias(jobsPair.value) ? jobsPair.value.resolve(source.doc) : jobsPair.value;
    if (jobsNode === null || jobsNode === undefined || (isScalar(jobsNode) && jobsNode.value === null))
      return;
    if (!isMap(jobsNode)) {
      const ctx: NodeContext = { source, root, rootKey: undefined, basePath: [] };
      const message = `expected a map of job name to job, got ${describeValue(plain(source, jobsNode))}`;
      this.problems.push(problemAt(ctx, ['jobs'], message));
      return;
    }
    for (const pair of jobsNode.items) this.collectJob(source, pair);
  }

  private collectJob(source: SourceFile, pair: Pair): void {
    const name = keyText(pair.key);
    const ctx: NodeContext = { source, root: pair.value, rootKey: pair.key, basePath: ['jobs', name] };
    const location = positionAt(source, nodeStart(pair.key) ?? 0);
    let ok = true;
    const report = (problem: ConfigProblem) => {
      this.problems.push(problem);
      ok = false;
    };

    if (!JOB_NAME.test(name)) {
      report(
        problemAt(
          ctx,
          [],
          `invalid job name '${name}': use 1 to 128 letters, digits, '.', '_' or '-', starting with a letter or digit`,
          'key',
        ),
      );
    }
    const first = this.seen.get(name);
    if (first) {
      const where = `${first.file}:${first.line}:${first.column}`;
      report(problemAt(ctx, [], `duplicate job '${name}'; first defined at ${where}`, 'key'));
    } else {
      this.seen.set(name, location);
    }

    const raw = plain(source, pair.value);
    const parsed = jobSchema.safeParse(raw, PARSE_OPTIONS);
    if (!parsed.success) {
      for (const p of issuesToProblems(ctx, parsed.error.issues, jobSchema)) report(p);
    }
    if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
      const rules = checkJobRules(raw as Record<string, unknown>, this.nowMs, this.defaults.retries);
      for (const issue of rules) {
        report(problemAt(ctx, issue.path, issue.message, issue.at));
      }
    }
    if (ok && parsed.success) {
      const job = buildJob(name, location, parsed.data, path.dirname(source.file), this.defaults);
      if (job) this.jobs.push(job);
    }
  }
}

/**
 * A validated job (its rules checked) → JobConfig, its policies filled in from
 * `d`; `dir` is that of the file defining it. Undefined without a schedule or
 * an action, which the rules report.
 */
export function buildJob(
  name: string,
  source: SourceLocation,
  job: ParsedJob,
  dir: string,
  d: JobDefaults,
): JobConfig | undefined {
  let schedule: ScheduleSpec;
  if (job.schedule !== undefined) {
    schedule = { kind: 'cron', pattern: job.schedule, timezone: job.timezone ?? 'UTC' };
  } else if (job.every !== undefined) {
    schedule = { kind: 'every', everyMs: job.every, offsetMs: job.offset ?? 0 };
  } else {
    return undefined;
  }
  const action = toAction(job, dir);
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
    formerNames: job.formerNames ?? [],
    backfillFromMs: job.backfillFrom,
    retries: {
      max: job.retries?.max ?? d.retries.max,
      backoffMs: job.retries?.backoff ?? d.retries.backoffMs,
      maxBackoffMs: job.retries?.maxBackoff ?? d.retries.maxBackoffMs,
    },
    jitterMs: job.jitter ?? d.jitterMs,
    onFailure: job.onFailure ? toHook(job.onFailure, dir) : d.onFailure,
    onSuccess: job.onSuccess ? toHook(job.onSuccess, dir) : d.onSuccess,
    outputKeepBytes: job.outputKeep ?? d.outputKeepBytes,
  };
  // Only when set, so a job without a freshness check has no maxAgeMs key at all.
  // (Not spread into the literal above: that costs more than the rest of it.)
  const maxAgeMs = job.maxAge ?? d.maxAgeMs;
  if (maxAgeMs !== undefined) config.maxAgeMs = maxAgeMs;
  return config;
}

/** The action of a job or hook; a relative cwd resolves against `dir` (that of the defining file). */
function toAction(
  spec: Pick<ParsedJob, 'command' | 'cwd' | 'env' | 'http'>,
  dir: string,
): JobAction | undefined {
  if (spec.command !== undefined) {
    const cwd = spec.cwd === undefined ? undefined : path.resolve(dir, spec.cwd);
    return { kind: 'command', argv: spec.command, env: spec.env ?? {}, cwd };
  }
  if (spec.http !== undefined) {
    const { url, method, headers } = spec.http;
    return { kind: 'http', url, method: method ?? 'POST', headers: headers ?? {} };
  }
  return undefined;
}

/** A validated hook (its rules checked) → HookConfig; `dir` is that of the file defining it. */
export function toHook(hook: ParsedHook, dir: string): HookConfig | undefined {
  const action = toAction(hook, dir);
  return action && { action, timeoutMs: hook.timeout ?? HOOK_TIMEOUT_MS };
}

/** A node's plain data (aliases resolved), as zod sees it. */
function plain(source: SourceFile, node: unknown): unknown {
  return isNode(node) ? (node.toJS(source.doc) as unknown) : (node ?? null);
}
