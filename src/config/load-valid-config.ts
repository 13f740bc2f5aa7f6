// The quick reading of a config: the files as plain data (yaml-subset.ts), the
// jobs validated field by field with a memo (job-fields.ts). It returns a
// Config only when the full reading (load-config.ts) would return the same
// one, and undefined at the first doubt: a file outside the YAML subset, any
// problem at all. Problems are never reported from here: the full reading
// finds and locates them. The checks are the full reading's own functions,
// applied to the same plain data.
import path from 'node:path';
import { buildConfig, checkFormerNames, checkListenOverride, resolveDefaults } from './build-config.js';
import type { ConfigFiles } from './config-files.js';
import { expandIncludes } from './includes.js';
import { JobFieldParser } from './job-fields.js';
import { checkDefaultsRules, checkJobRules } from './job-rules.js';
import { buildJob } from './build-job.js';
import { BUILTIN_JOB_DEFAULTS, JOB_NAME, type JobDefaults, settingsSchema } from './schema.js';
import type { Config, JobConfig } from './types.js';
import { parseYamlSubset, type SubsetDocument } from './yaml-subset.js';

/** The Config of `mainFile` (absolute) when it and its includes have no problem; else undefined. */
export async function loadValidConfig(
  mainFile: string,
  files: ConfigFiles,
  nowMs: number,
  env: NodeJS.ProcessEnv,
): Promise<Config | undefined> {
  const main = await readPlain(mainFile, files);
  // No content is an error (see load-config.ts); anything but a map is not in the subset.
  if (!main || !isPlainMap(main.value)) return undefined;
  const raw = main.value;

  const settings = settingsSchema.safeParse(raw);
  if (!settings.success) return undefined;
  if (checkDefaultsRules(raw.defaults, BUILTIN_JOB_DEFAULTS.retries).length > 0) return undefined;

  const jobs = new ValidJobs(resolveDefaults(raw.defaults, mainFile), nowMs);
  if (!jobs.collect(main, mainFile)) return undefined;

  const includes = await expandIncludes(mainFile, raw.include);
  if (includes.issues.length > 0) return undefined;
  for (const file of includes.files) {
    const included = await readPlain(file, files);
    if (!included) return undefined;
    // An empty included file adds nothing; one with more than `jobs:` is a problem.
    if (included.value === null) continue;
    if (!isPlainMap(included.value) || Object.keys(included.value).some((key) => key !== 'jobs')) {
      return undefined;
    }
    if (!jobs.collect(included, file)) return undefined;
  }

  if (checkFormerNames(jobs.list).length > 0) return undefined;
  if (checkListenOverride(mainFile, env, settings.data.http?.token).length > 0) return undefined;
  return buildConfig(mainFile, settings.data, jobs.list, env);
}

/** `file` as plain data; undefined when it cannot be read or is outside the YAML subset. */
async function readPlain(file: string, files: ConfigFiles): Promise<SubsetDocument | undefined> {
  const read = await files.read(file);
  return read.problem ? undefined : parseYamlSubset(read.text);
}

/** The jobs of every file, as JobCollector (jobs.ts) builds them when it finds no problem. */
class ValidJobs {
  readonly list: JobConfig[] = [];
  private readonly names = new Set<string>();
  private readonly fields = new JobFieldParser();

  constructor(
    private readonly defaults: JobDefaults,
    private readonly nowMs: number,
  ) {}

  /** Adds the jobs of `doc` (read from `file`); false at the first problem. */
  collect(doc: SubsetDocument, file: string): boolean {
    const jobs = (doc.value as Record<string, unknown>).jobs;
    if (jobs === null || jobs === undefined) return true;
    // The subset reader lists the entries of a map, and gives up on any other `jobs:`.
    if (!isPlainMap(jobs)) return false;
    const dir = path.dirname(file);
    for (const { name, line, column, value: raw } of doc.jobs) {
      if (!JOB_NAME.test(name) || this.names.has(name)) return false;
      this.names.add(name);
      if (!isPlainMap(raw)) return false;
      const parsed = this.fields.parse(raw);
      if (!parsed) return false;
      if (checkJobRules(raw, this.nowMs, this.defaults.retries).length > 0) return false;
      const job = buildJob(name, { file, line, column }, parsed, dir, this.defaults);
      if (job) this.list.push(job);
    }
    return true;
  }
}

function isPlainMap(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
