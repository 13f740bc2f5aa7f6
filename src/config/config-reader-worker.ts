// The config reader thread's own code (config-reader-thread.ts starts it):
// reads the config and sends it over, the settings first, then the jobs a
// slice at a time as the main thread asks for them. Only this thread loads
// the config pipeline (the schema, the parsers): the main thread starts it
// before loading the rest of the daemon, which loads meanwhile.
import { parentPort, workerData } from 'node:worker_threads';
import { loadConfig, type LoadConfigOptions } from './load-config.js';
import { JobSliceWriter } from './job-slices.js';
import { AHEAD, type Answer, type Message, SLICE } from './config-reader-thread.js';
import { ConfigError } from './types.js';

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
