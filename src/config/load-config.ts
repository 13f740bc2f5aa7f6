// loadConfig: the main config file plus its includes → a validated Config, or
// a ConfigError listing every problem found, each at file:line:column.
//
// One pipeline: each file is read to plain data (read-plain.ts), the data is
// validated once (validate-config.ts), and only the files with a problem are
// parsed again, to place their problems at file:line:column from js-yaml's
// events (locate-in-events.ts). A file js-yaml cannot read at all is read by
// the located reading (yaml-source.ts, the `yaml` package): it says what is
// wrong with it, in its own words, or reads it, and places its problems.
// A config js-yaml reads never loads the `yaml` package.
import path from 'node:path';
import { ConfigFiles } from './config-files.js';
import { EventLocator } from './locate-in-events.js';
import { printableProblem } from './printable-problem.js';
import { readPlainOrWhy } from './read-plain.js';
import { prefixProblems } from './syntax-prefix.js';
import { type ReadWindow, windowedProblems } from './syntax-window.js';
import { type Config, ConfigError, type ConfigProblem } from './types.js';
import { type Problem, type ReadFile, validateConfig } from './validate-config.js';
import type { LocatedReading } from './yaml-source.js';

export interface LoadConfigOptions {
  /** Skip the file ownership and mode checks (development only: --insecure-config). */
  insecure?: boolean;
  /** "Now" for checking that a cron pattern still has a future occurrence; default Date.now(). */
  nowMs?: number;
  /** Where CRONKEEPER_DATABASE_URL and DATABASE_URL are read; default process.env. */
  env?: NodeJS.ProcessEnv;
}

/** Loads and validates `file` and the files it includes. Throws ConfigError with every problem found. */
export async function loadConfig(file: string, options: LoadConfigOptions = {}): Promise<Config> {
  const mainFile = path.resolve(file);
  const files = new ConfigFiles(options.insecure ?? false);
  const located = new Map<string, LocatedReading>();
  const readLocatedOnce = async (f: string, text: string): Promise<LocatedReading> => {
    let reading = located.get(f);
    if (!reading) {
      const { readLocated } = await import('./yaml-source.js');
      reading = readLocated(f, text);
      located.set(f, reading);
    }
    return reading;
  };

  const read = async (f: string): Promise<ReadFile> => {
    const got = await files.read(f);
    if (got.problem) return { plain: undefined, problems: [got.problem] };
    const { plain, syntaxErrorAt } = readPlainOrWhy(got.text, f);
    if (plain) return { plain, problems: [] };
    if (syntaxErrorAt !== undefined) {
      // A syntax error: read in windows around it where the file allows (syntax-window.ts).
      // One no window holds (it runs on through the jobs after it): up to a bound past it (syntax-prefix.ts).
      const { jobPositions, readLocated } = await import('./yaml-source.js');
      const readWindow: ReadWindow = (text) => {
        const { problems, source } = readLocated(f, text);
        return { problems, jobs: jobPositions(source).keys() };
      };
      const problems =
        windowedProblems(got.text, f, syntaxErrorAt, readWindow) ??
        prefixProblems(got.text, f, syntaxErrorAt, readWindow);
      if (problems) return { plain: undefined, problems };
    }
    const reading = await readLocatedOnce(f, got.text);
    return { plain: reading.plain, problems: reading.problems };
  };

  const result = await validateConfig(
    mainFile,
    read,
    options.nowMs ?? Date.now(),
    options.env ?? process.env,
  );
  if (result.config) return result.config;

  // A problem in a file js-yaml read is placed from its events; one in a file only the yaml
  // package could read, from that reading.
  const { formatPath, problemAt } = await import('./locate-problem.js');
  const locators = new Map<string, EventLocator | undefined>();
  const placed: ConfigProblem[] = [];
  for (const p of result.problems) {
    if (isPlaced(p)) {
      placed.push(p);
      continue;
    }
    const got = await files.read(p.file);
    if (got.text === undefined) {
      placed.push({ file: p.file, line: 1, column: 1, path: formatPath(p.path), message: p.message });
      continue;
    }
    const reading = located.get(p.file);
    if (!reading) {
      if (!locators.has(p.file)) locators.set(p.file, EventLocator.read(got.text, p.file));
      const locator = locators.get(p.file);
      if (locator) {
        placed.push({ ...locator.at(p.path, p.at), path: formatPath(p.path), message: p.message });
        continue;
      }
    }
    const { source } = reading ?? (await readLocatedOnce(p.file, got.text));
    const ctx = { source, root: source.doc.contents, rootKey: undefined, basePath: [] };
    placed.push(problemAt(ctx, p.path, p.message, p.at));
  }
  throw new ConfigError(sortProblems(placed, result.files).map(printableProblem));
}

function isPlaced(problem: Problem): problem is ConfigProblem {
  return 'line' in problem;
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
