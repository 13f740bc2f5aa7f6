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
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { loadConfig, type LoadConfigOptions } from './load-config.js';
import { rememberJobsByName } from './jobs-by-name.js';
import { type JobSlice, JobSliceReader, JobSliceWriter } from './job-slices.js';
import { TurnBudget } from '../runtime/turn-budget.js';
import { type Config, ConfigError, type ConfigProblem, type JobConfig } from './types.js';

type Answer =
  | { ok: true; config: Config; jobCount: number }
  | { ok: false; problems: ConfigProblem[] | undefined; message: string };

type Message = Answer | JobSlice;

/** Jobs per message. */
const SLICE = 2_000;
/**
 * Slices in flight: the worker copies the next ones while the main thread
 * takes one in (each taken slice asks for one more), and no more wait.
 */
const AHEAD = 4;
const MARK = 'cronkeeper-config-reader';
const MORE = 'more';

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

if (!isMainThread && (workerData as { mark?: string } | null)?.mark === MARK) {
  const { file, options } = workerData as { file: string; options: LoadConfigOptions };
  loadConfig(file, options).then(
    (config) => {
      const { jobs } = config;
      const writer = new JobSliceWriter();
      let sent = 0;
      const sendSlice = () => {
        if (sent >= jobs.length) return;
        const slice = writer.write(jobs.slice(sent, sent + SLICE));
        parentPort!.postMessage(slice satisfies Message, [slice.numbers.buffer as ArrayBuffer]);
        sent += SLICE;
      };
      parentPort!.on('message', sendSlice);
      parentPort!.postMessage({
        ok: true,
        config: { ...config, jobs: [] },
        jobCount: jobs.length,
      } satisfies Answer);
      for (let i = 0; i < AHEAD; i++) sendSlice();
    },
    (err: unknown) =>
      parentPort!.postMessage({
        ok: false,
        problems: err instanceof ConfigError ? err.problems : undefined,
        message: err instanceof Error ? err.message : String(err),
      } satisfies Answer),
  );
}
