// loadConfig: the main config file plus its includes → a validated Config, or
// a ConfigError listing every problem found, each at file:line:column.
//
// A config is read twice only when it has a problem: first quickly, as plain
// data (load-valid-config.ts), which gives up at the first doubt; then, only
// if it gave up, by the full YAML parser with source ranges (full-reading.ts),
// which finds and locates every problem (or accepts a config written outside
// the quick reader's subset of YAML). The full reading and the `yaml` package
// are loaded only then: a start with a valid config does without them.
import path from 'node:path';
import { ConfigFiles } from './config-files.js';
import { loadValidConfig } from './load-valid-config.js';
import type { Config } from './types.js';

export interface LoadConfigOptions {
  /** Skip the file ownership and mode checks (development only: --insecure-config). */
  insecure?: boolean;
  /** "Now" for checking that a cron pattern still has a future occurrence; default Date.now(). */
  nowMs?: number;
  /** Where CRONKEEPER_DATABASE_URL and DATABASE_URL are read; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** false: skip the quick reading and always use the full one (tests compare the two). Default true. */
  quick?: boolean;
}

/** Loads and validates `file` and the files it includes. Throws ConfigError with every problem found. */
export async function loadConfig(file: string, options: LoadConfigOptions = {}): Promise<Config> {
  const mainFile = path.resolve(file);
  const nowMs = options.nowMs ?? Date.now();
  const env = options.env ?? process.env;
  const files = new ConfigFiles(options.insecure ?? false);
  if (options.quick !== false) {
    const config = await loadValidConfig(mainFile, files, nowMs, env);
    if (config) return config;
  }
  const { loadCheckedConfig } = await import('./full-reading.js');
  return loadCheckedConfig(mainFile, files, nowMs, env);
}
