// Reads a config on a worker thread, at start and for reloads. Reading a
// large config takes seconds, more when a problem must be located by the full
// YAML reading (BENCHMARKS.md): on the main thread that would hold up the leader's heartbeat past
// its lease (ha.lease), and a typo in a reloaded config would cost the
// leadership. The parser's garbage stays in the worker's heap, which goes
// with the worker.
//
// The jobs come over a slice at a time, a few ahead, each one taken asking
// for the next: copying 100,000 jobs in one message held the main thread for
// most of a second. A slice is written as columns, not copied as objects
// (job-slices.ts): what jobs repeat comes over once, and is one object or
// string on the main thread too. Node takes in every message waiting on a port in one go, and
// the worker keeps up: once a turn's budget is spent, the next slice is asked
// for only after the event loop has had its turn, or a whole config would
// arrive in one.
import { Worker } from 'node:worker_threads';
import type { LoadConfigOptions } from './load-config.js';
import { rememberJobsByName } from './jobs-by-name.js';
import { type JobSlice, JobSliceReader } from './job-slices.js';
import { TurnBudget } from '../runtime/turn-budget.js';
import { type Config, ConfigError, type ConfigProblem, type JobConfig } from './types.js';

export type Answer =
  | { ok: true; config: Config; jobCount: number }
  | { ok: false; problems: ConfigProblem[] | undefined; message: string };

export type Message = Answer | JobSlice;

/** Jobs per message. */
export const SLICE = 2_000;
/**
 * Slices in flight: the worker copies the next ones while the main thread
 * takes one in (each taken slice asks for one more), and no more wait.
 */
export const AHEAD = 4;
const MORE = 'more';

/** loadConfig(file, options) on a worker thread; the same result, the same ConfigError. */
export function loadConfigOffThread(
  file: string,
  options: Pick<LoadConfigOptions, 'insecure'> = {},
): Promise<Config> {
  return new Promise((resolve, reject) => {
    // The worker's code is config-reader-worker, beside this module. The tests run the TypeScript
    // sources through tsx, whose hooks a worker does not inherit (Node 20): there it is imported
    // through tsx.
    const url = JSON.stringify(
      import.meta.url.replace(/config-reader-thread(\.[jt]s)$/, 'config-reader-worker$1'),
    );
    const code = import.meta.url.endsWith('.ts')
      ? `import('tsx/esm/api').then(({ tsImport }) => tsImport(${url}, ${url}))`
      : `import(${url})`;
    const worker = new Worker(code, {
      eval: true,
      workerData: { file, options },
    });
    let config: Config | undefined;
    let expected = 0;
    const slices = new JobSliceReader();
    // Indexed as they come, in the turns they come in, not in one pass after.
    const byName = new Map<string, JobConfig>();
    const turns = new TurnBudget();
    let finished = false;
    const askMore = () => {
      if (!finished) worker.postMessage(MORE);
    };
    const done = (finish: () => void) => {
      finished = true;
      worker.removeAllListeners();
      worker.on('error', () => {}); // nothing is listening for it any more
      void worker.terminate();
      finish();
    };
    worker.on('message', (message: Message) => {
      const isSlice = 'numbers' in message;
      if (isSlice) {
        if (!config) return;
        for (const job of slices.read(message)) {
          config.jobs.push(job);
          byName.set(job.name, job);
        }
      } else if (message.ok) {
        config = message.config;
        expected = message.jobCount;
      } else {
        const { problems, message: text } = message;
        done(() => reject(problems ? new ConfigError(problems) : new Error(text)));
        return;
      }
      const received = config;
      if (received && received.jobs.length >= expected) {
        rememberJobsByName(received.jobs, byName);
        done(() => resolve(received));
      } else if (isSlice) {
        if (!turns.spent()) askMore();
        else void turns.yield().then(askMore);
      }
    });
    worker.once('error', (err) => done(() => reject(err)));
    worker.once('exit', (code) =>
      done(() => reject(new Error(`the config reader thread exited (code ${code})`))),
    );
  });
}
