// The `jobs:` maps of the main file and of every included file → JobConfig[],
// with job names unique across all files.
import path from 'node:path';
import { isAlias, isMap, isNode, isScalar, type Pair } from 'yaml';
import { buildJob } from './build-job.js';
import { checkJobRules } from './job-rules.js';
import { keyText, type NodeContext, nodeStart, positionAt, problemAt } from './locate-problem.js';
import { describeValue, JOB_NAME, type JobDefaults, jobSchema } from './schema.js';
import type { ConfigProblem, JobConfig, SourceLocation } from './types.js';
import { nodeValue, type SourceFile } from './yaml-source.js';
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
    const jobsNode = isAlias(jobsPair.value) ? source.aliasTargets.get(jobsPair.value) : jobsPair.value;
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

/** A node's plain data (aliases resolved), as zod sees it. */
function plain(source: SourceFile, node: unknown): unknown {
  return isNode(node) ? nodeValue(source, node) : (node ?? null);
}
