// Reads a config on a worker thread, for reloads. Reading 100,000 jobs takes
// 1-2 s, and 5-10 s when a problem must be located by the full YAML reading:
// on the main thread that would hold up the leader's heartbeat past its lease
// (ha.lease), and a typo in a reloaded config would cost the leadership.
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { loadConfig, type LoadConfigOptions } from './load-config.js';
import { type Config, ConfigError, type ConfigProblem } from './types.js';

type Answer =
  { ok: true; config: Config } | { ok: false; problems: ConfigProblem[] | undefined; message: string };

const MARK = 'cronkeeper-config-reader';

/** loadConfig(file, options) on a worker thread; the same result, the same ConfigError. */
export function loadConfigOffThread(
  file: string,
  options: Pick<LoadConfigOptions, 'insecure'> = {},
): Promise<Config> {
  return new Promise((resolve, reject) => {
    // This module is the worker's code. The tests run the TypeScript sources through tsx,
    // whose hooks a worker does not inherit (Node 20): there it imports itself through tsx.
    const url = JSON.stringify(import.meta.url);
    const code = import.meta.url.endsWith('.ts')
      ? `import('tsx/esm/api').then(({ tsImport }) => tsImport(${url}, ${url}))`
      : `import(${url})`;
    const worker = new Worker(code, {
      eval: true,
      workerData: { mark: MARK, file, options },
    });
    worker.once('message', (answer: Answer) => {
      if (answer.ok) resolve(answer.config);
      else reject(answer.problems ? new ConfigError(answer.problems) : new Error(answer.message));
    });
    worker.once('error', reject);
    // After a message this settles nothing more; without one it is the failure to report.
    worker.once('exit', (code) => reject(new Error(`the config reader thread exited (code ${code})`)));
  });
}

if (!isMainThread && (workerData as { mark?: string } | null)?.mark === MARK) {
  const { file, options } = workerData as { file: string; options: LoadConfigOptions };
  loadConfig(file, options).then(
    (config) => parentPort!.postMessage({ ok: true, config } satisfies Answer),
    (err: unknown) =>
      parentPort!.postMessage({
        ok: false,
        problems: err instanceof ConfigError ? err.problems : undefined,
        message: err instanceof Error ? err.message : String(err),
      } satisfies Answer),
  );
}
