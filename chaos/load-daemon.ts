// One daemon (dist/cli.js) under load, watched from outside: the bytes it logs,
// its resident memory, its log lines (those that are not job output), and a
// graceful stop that cannot hang the run.
//
// Not test/support/daemon.ts's startDaemon: that keeps every log line parsed,
// and a chatty job makes millions of them. Here stdout is read as fast as it
// comes (as journald would), counted, and only the lines that are not job
// output are parsed and kept.
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { CLI, childEnv, type LogLine } from '../test/support/daemon.js';

export interface LoadDaemon {
  proc: ChildProcess;
  /** Log lines other than job output, in order (at most MAX_KEPT_LINES). */
  logs: LogLine[];
  /** Bytes the daemon wrote to stdout (its log) so far. */
  stdoutBytes(): number;
  /** 'job output' lines seen so far (counted, not kept). */
  outputLines(): number;
  stderr(): string;
  /** The first line from index `from` on (of `logs`) that matches. */
  waitForLog(
    predicate: (l: LogLine) => boolean,
    timeoutMs: number,
    what: string,
    from?: number,
  ): Promise<LogLine>;
  /** The largest VmRSS sampled (every RSS_SAMPLE_MS) or VmHWM read, in bytes. */
  peakRssBytes(): number;
  /**
   * SIGTERM, then SIGKILL if the daemon has not exited within `killAfterMs`.
   * Resolves with the exit code or signal, and whether it had to be killed.
   */
  stop(killAfterMs: number): Promise<{ exit: number | string; killed: boolean }>;
  exited: Promise<number | string>;
}

const MAX_KEPT_LINES = 100_000;
const RSS_SAMPLE_MS = 200;
/** The message of a job's output line in the log, today; a line with it is counted, not kept. */
const OUTPUT_MARK = '"msg":"job output"';

export function startLoadDaemon(configFile: string, env: NodeJS.ProcessEnv = {}): LoadDaemon {
  const proc = spawn(process.execPath, [CLI, 'run', '--config', configFile], {
    env: childEnv({ CRONKEEPER_HTTP_LISTEN: '127.0.0.1:0', ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: LogLine[] = [];
  const waiters = new Set<() => void>();
  let bytes = 0;
  let outputLines = 0;
  let partial = '';
  let err = '';
  let peakRss = 0;
  const decoder = new StringDecoder('utf8');
  proc.stdout!.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    const text = partial + decoder.write(chunk);
    let start = 0;
    let i: number;
    while ((i = text.indexOf('\n', start)) >= 0) {
      const line = text.slice(start, i);
      start = i + 1;
      if (line.includes(OUTPUT_MARK)) {
        outputLines++;
        continue;
      }
      if (logs.length >= MAX_KEPT_LINES) continue;
      try {
        logs.push(JSON.parse(line) as LogLine);
      } catch {
        logs.push({ msg: line });
      }
    }
    partial = text.slice(start);
    for (const w of waiters) w();
  });
  proc.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    if (err.length < 100_000) err += chunk;
  });
  const exited = new Promise<number | string>((resolve) =>
    proc.on('exit', (code, signal) => resolve(code ?? signal ?? -1)),
  );
  const readRss = (field: 'VmRSS' | 'VmHWM') => {
    try {
      const status = fs.readFileSync(`/proc/${proc.pid}/status`, 'utf8');
      const kb = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1];
      if (kb) peakRss = Math.max(peakRss, Number(kb) * 1024);
    } catch {
      // gone already
    }
  };
  const sampler = setInterval(() => readRss('VmRSS'), RSS_SAMPLE_MS);
  void exited.then(() => clearInterval(sampler));
  const tail = () =>
    `stderr: ${err.slice(-2_000)}\nlast logs:\n${logs
      .slice(-10)
      .map((l) => JSON.stringify(l))
      .join('\n')}`;

  return {
    proc,
    logs,
    exited,
    stdoutBytes: () => bytes,
    outputLines: () => outputLines,
    stderr: () => err,
    peakRssBytes: () => peakRss,
    waitForLog(predicate, timeoutMs, what, from = 0) {
      return new Promise((resolve, reject) => {
        let seen = from;
        const check = () => {
          for (; seen < logs.length; seen++) {
            if (predicate(logs[seen]!)) {
              cleanup();
              resolve(logs[seen]!);
              return;
            }
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no log line "${what}" within ${timeoutMs} ms; ${tail()}`));
        }, timeoutMs);
        const onExit = () => {
          cleanup();
          reject(new Error(`the daemon exited before the log line "${what}"; ${tail()}`));
        };
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
          proc.off('exit', onExit);
        };
        waiters.add(check);
        proc.once('exit', onExit);
        check();
      });
    },
    async stop(killAfterMs) {
      if (proc.exitCode !== null || proc.signalCode !== null) return { exit: await exited, killed: false };
      // VmHWM: the peak the kernel saw, between two samples too.
      readRss('VmHWM');
      proc.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), killAfterMs)));
      const first = await Promise.race([exited, late]);
      clearTimeout(timer);
      if (first !== 'late') return { exit: first, killed: false };
      proc.kill('SIGKILL');
      return { exit: await exited, killed: true };
    },
  };
}
