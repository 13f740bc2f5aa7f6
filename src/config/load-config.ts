// loadConfig: the main config file plus its includes → a validated Config, or
// a ConfigError listing every problem found, each at file:line:column.
//
// One pipeline: each file is read to plain data (read-plain.ts), the data is
// validated once (validate-config.ts), and only the files with a problem are
// read again with source ranges (yaml-source.ts, the `yaml` package) to place
// their problems. A file the plain reader cannot read at all is read by the
// located reading from the start: it says what is wrong with it, in its own
// words, or reads it. A valid config never loads the `yaml` package.
import path from 'node:path';
import { ConfigFiles } from './config-files.js';
import { printableProblem } from './printable-problem.js';
import { readPlain } from './read-plain.js';
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
    const plain = readPlain(got.text, f);
    if (plain) return { plain, problems: [] };
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

  const { problemAt } = await import('./locate-problem.js');
  const placed: ConfigProblem[] = [];
  for (const p of result.problems) {
    if (isPlaced(p)) {
      placed.push(p);
      continue;
    }
    const got = await files.read(p.file);
    const source = got.text === undefined ? undefined : (await readLocatedOnce(p.file, got.text)).source;
    placed.push(
      source
        ? problemAt(
            { source, root: source.doc.contents, rootKey: undefined, basePath: [] },
            p.path,
            p.message,
            p.at,
          )
        : { file: p.file, line: 1, column: 1, path: '', message: p.message },
    );
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
