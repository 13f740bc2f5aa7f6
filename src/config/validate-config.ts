// The config's plain data → a Config, or every problem found: one schema and
// one set of rules, applied once, whatever reader read the files. A problem
// is said at its path in the data; load-config.ts places it at
// file:line:column, reading only the files that have one again.
import path from 'node:path';
import { buildConfig, checkFormerNames, checkListenOverride, resolveDefaults } from './build-config.js';
import { buildJob, SharedActions } from './build-job.js';
import { expandIncludes } from './includes.js';
import { checkDefaultsRules, checkJobRules } from './job-rules.js';
import type { Anchor, PathIssue, PathSegment } from './locate-problem.js';
import type { PlainFile } from './read-plain.js';
import { describeValue } from './field-values.js';
import { BUILTIN_JOB_DEFAULTS, JOB_NAME, type JobDefaults, jobSchema, settingsSchema } from './schema.js';
import type { Config, ConfigProblem, JobConfig, SourceLocation } from './types.js';
import { issuesToProblems, PARSE_OPTIONS } from './zod-issues.js';
import { PatternCheck } from '../schedule/pattern-check.js';

/** A problem at a path of a file's data, not placed in the file yet. */
export interface PathProblem extends PathIssue {
  file: string;
}

/** A problem placed already (a file that cannot be read, a syntax error), or one to place. */
export type Problem = ConfigProblem | PathProblem;

/** A file read: its data, unless it could not be read; problems its reading found. */
export interface ReadFile {
  plain: PlainFile | undefined;
  problems: ConfigProblem[];
}

export interface Validation {
  /** Only when there is no problem. */
  config: Config | undefined;
  problems: Problem[];
  /** The files read, main file first. */
  files: string[];
}

/** Reads `mainFile` (absolute) and its includes through `read` and validates them. */
export async function validateConfig(
  mainFile: string,
  read: (file: string) => Promise<ReadFile>,
  nowMs: number,
  env: NodeJS.ProcessEnv,
): Promise<Validation> {
  const problems: Problem[] = [];
  const files = [mainFile];
  const done = (config?: Config): Validation => ({ config, problems, files });

  const main = await read(mainFile);
  for (const p of main.problems) problems.push(p);
  if (!main.plain) return done();
  const raw = main.plain.value;
  // Nothing at all is more likely a truncated or mis-generated file than a
  // wish to run nothing: loaded by a reload, it would drop every job.
  if (raw === null || raw === undefined) {
    problems.push({
      file: mainFile,
      line: 1,
      column: 1,
      path: '',
      message: `the config file is empty; write 'jobs: {}' for a daemon with no jobs`,
    });
    return done();
  }
  if (!isPlainMap(raw)) {
    problems.push(at(mainFile, [], `the config must be a map of settings, got ${describeValue(raw)}`));
    return done();
  }

  const settings = settingsSchema.safeParse(raw, PARSE_OPTIONS);
  if (!settings.success)
    problems.push(...inFile(mainFile, [], issuesToProblems(settings.error.issues, settingsSchema)));
  problems.push(
    ...inFile(mainFile, ['defaults'], checkDefaultsRules(raw.defaults, BUILTIN_JOB_DEFAULTS.retries)),
  );

  // Problems in `defaults` are reported with the settings; jobs then get the built-in policies.
  const jobs = new Jobs(resolveDefaults(raw.defaults, mainFile), nowMs, problems);
  jobs.collect(mainFile, main.plain);

  const includes = await expandIncludes(mainFile, raw.include);
  for (const issue of includes.issues) problems.push(at(mainFile, issue.at, issue.message));
  for (const file of includes.files) {
    files.push(file);
    const included = await read(file);
    for (const p of included.problems) problems.push(p);
    if (included.plain && checkIncludedFile(file, included.plain.value, problems)) {
      jobs.collect(file, included.plain);
    }
  }
  for (const p of checkFormerNames(jobs.list)) problems.push(p);
  problems.push(
    ...checkListenOverride(mainFile, env, settings.success ? settings.data.http?.token : undefined),
  );

  if (problems.length > 0 || !settings.success) return done();
  const config = buildConfig(mainFile, settings.data, jobs.list, env);
  // Workers share the leader's database: the embedded store is one process's.
  const pooled = config.store.url === undefined ? config.jobs.find((j) => j.runOn !== undefined) : undefined;
  if (pooled) {
    problems.push(
      at(
        pooled.source.file,
        ['jobs', pooled.name],
        `job '${pooled.name}' runs on the workers of pool '${pooled.runOn}', which need a Postgres store (store.url); the embedded store serves one process`,
        'key',
      ),
    );
    return done();
  }
  return done(config);
}

/** An included file may hold only `jobs:`. Returns whether its jobs can be collected. */
function checkIncludedFile(file: string, value: unknown, problems: Problem[]): boolean {
  if (value === null || value === undefined) return false;
  if (!isPlainMap(value)) {
    problems.push(
      at(file, [], `an included file must be a map with only 'jobs:', got ${describeValue(value)}`),
    );
    return false;
  }
  for (const key of Object.keys(value)) {
    if (key === 'jobs') continue;
    const message =
      key === 'include'
        ? `'include' is not allowed in an included file (includes do not nest)`
        : `'${key}' is not allowed in an included file; it may contain only 'jobs'`;
    problems.push(at(file, [key], message, 'key'));
  }
  return true;
}

/** The `jobs:` maps of the main file and of every included file, job names unique across all files. */
class Jobs {
  readonly list: JobConfig[] = [];
  private readonly seen = new Map<string, SourceLocation>();
  private readonly patterns: PatternCheck;
  private readonly actions = new SharedActions();

  constructor(
    private readonly defaults: JobDefaults,
    nowMs: number,
    private readonly problems: Problem[],
  ) {
    this.patterns = new PatternCheck(nowMs);
  }

  collect(file: string, plain: PlainFile): void {
    const jobs = (plain.value as Record<string, unknown>).jobs;
    if (jobs === null || jobs === undefined) return;
    if (!isPlainMap(jobs)) {
      this.problems.push(at(file, ['jobs'], `expected a map of job name to job, got ${describeValue(jobs)}`));
      return;
    }
    const dir = path.dirname(file);
    for (const name of Object.keys(jobs)) {
      const location = plain.jobAt.get(name) ?? { file, line: 1, column: 1 };
      const before = this.problems.length;
      const base = ['jobs', name];
      if (!JOB_NAME.test(name)) {
        this.problems.push(
          at(
            file,
            base,
            `invalid job name '${name}': use 1 to 128 letters, digits, '.', '_' or '-', starting with a letter or digit`,
            'key',
          ),
        );
      }
      const first = this.seen.get(name);
      if (first) {
        const where = `${first.file}:${first.line}:${first.column}`;
        this.problems.push(at(file, base, `duplicate job '${name}'; first defined at ${where}`, 'key'));
      } else {
        this.seen.set(name, location);
      }
      const raw = jobs[name];
      const parsed = jobSchema.safeParse(raw, PARSE_OPTIONS);
      if (!parsed.success)
        this.problems.push(...inFile(file, base, issuesToProblems(parsed.error.issues, jobSchema)));
      if (isPlainMap(raw)) {
        this.problems.push(...inFile(file, base, checkJobRules(raw, this.patterns, this.defaults.retries)));
      }
      if (this.problems.length === before && parsed.success) {
        const job = buildJob(name, location, parsed.data, dir, this.defaults, this.actions);
        if (job) this.list.push(job);
      }
    }
  }
}

function at(file: string, path: PathSegment[], message: string, anchor: Anchor = 'value'): PathProblem {
  return { file, path, message, at: anchor };
}

/** Issues relative to `base` in `file`. */
function inFile(file: string, base: PathSegment[], issues: readonly PathIssue[]): PathProblem[] {
  return issues.map((issue) => ({
    file,
    path: [...base, ...issue.path],
    message: issue.message,
    at: issue.at,
  }));
}

function isPlainMap(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
