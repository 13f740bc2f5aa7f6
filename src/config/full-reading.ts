// The full reading of a config (see load-config.ts): the `yaml` package's
// document with source ranges, every problem found and located at
// file:line:column.
import { isMap, isScalar } from 'yaml';
import { buildConfig, checkFormerNames, checkListenOverride, resolveDefaults } from './build-config.js';
import type { ConfigFiles } from './config-files.js';
import { expandIncludes } from './includes.js';
import { checkDefaultsRules } from './job-rules.js';
import { JobCollector } from './jobs.js';
import { keyText, type NodeContext, nodeStart, positionAt, problemAt } from './locate-problem.js';
import { printableProblem } from './printable-problem.js';
import { BUILTIN_JOB_DEFAULTS, describeValue, settingsSchema } from './schema.js';
import { type Config, ConfigError, type ConfigProblem } from './types.js';
import { readSource, type SourceFile } from './yaml-source.js';
import { issuesToProblems, PARSE_OPTIONS } from './zod-issues.js';

/** The full reading: every problem found and located, or the Config. */
export async function loadCheckedConfig(
  mainFile: string,
  files: ConfigFiles,
  nowMs: number,
  env: NodeJS.ProcessEnv,
): Promise<Config> {
  const problems: ConfigProblem[] = [];
  const order = [mainFile];
  const fail = () => new ConfigError(sortProblems(problems, order).map(printableProblem));

  const main = await readSource(mainFile, files);
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
  const collector = new JobCollector(resolveDefaults(rawDefaults, mainFile), nowMs);
  collector.collect(source);

  const includes = await expandIncludes(mainFile, (raw as { include?: unknown }).include);
  for (const issue of includes.issues) problems.push(problemAt(ctx, issue.at, issue.message));
  order.push(...includes.files);
  for (const includedFile of includes.files) {
    const included = await readSource(includedFile, files);
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
  return buildConfig(mainFile, settings.data, collector.jobs, env);
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
