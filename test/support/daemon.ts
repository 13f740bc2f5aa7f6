// Spawns the built daemon (dist/cli.js) as a real process and watches its
// JSON log lines, so tests can kill, signal and restart it.
import { type ChildProcess, type SpawnSyncReturns, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = path.join(ROOT, 'dist/cli.js');
const OFFSET_CLOCK = path.join(ROOT, 'test/support/offset-clock.mjs');

export interface LogLine {
  msg?: string;
  level?: number;
  [key: string]: unknown;
}

export interface DaemonProcess {
  proc: ChildProcess;
  logs: LogLine[];
  stderr: () => string;
  waitForLog(predicate: (l: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Resolves with the exit code (or the signal name). */
  exited: Promise<number | string>;
}

/** The environment for a CLI or daemon process: the test's own DATABASE_URL (and run id) must not leak into it. */
export function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const { DATABASE_URL: _a, CRONKEEPER_DATABASE_URL: _b, TEST_RUN_ID: _c, ...inherited } = process.env;
  return { ...inherited, ...extra };
}

export function startDaemon(
  configFile: string,
  env: NodeJS.ProcessEnv = {},
  /** Another build's cli.js (an installed package), the command (`run`, or `worker`), and options after the config. */
  o: { cli?: string; args?: string[]; command?: 'run' | 'worker' } = {},
): DaemonProcess {
  // A config without store.url must use its embedded store, not the test's
  // DATABASE_URL; each daemon gets a free port for its HTTP side, unless the test chooses one.
  // A test that steps the daemon's clock has it preloaded (see offset-clock.mjs).
  const preload = env.CRONKEEPER_TEST_CLOCK_OFFSET_FILE ? ['--import', OFFSET_CLOCK] : [];
  const cli = o.cli ?? CLI;
  const command = o.command ?? 'run';
  const proc = spawn(
    process.execPath,
    [...preload, cli, command, '--config', configFile, ...(o.args ?? [])],
    {
      env: childEnv({ CRONKEEPER_HTTP_LISTEN: '127.0.0.1:0', ...env }),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const logs: LogLine[] = [];
  const waiters = new Set<() => void>();
  let buf = '';
  let err = '';
  proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    buf += chunk;
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try {
        logs.push(JSON.parse(line) as LogLine);
      } catch {
        logs.push({ msg: line });
      }
    }
    for (const w of waiters) w();
  });
  proc.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<number | string>((resolve) =>
    proc.on('exit', (code, signal) => resolve(code ?? signal ?? -1)),
  );
  return {
    proc,
    logs,
    stderr: () => err,
    exited,
    waitForLog(predicate, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = logs.find(predicate);
          if (hit) {
            cleanup();
            resolve(hit);
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(
            new Error(
              `no matching log line within ${timeoutMs} ms; stderr: ${err}\nlast logs:\n${logs
                .slice(-10)
                .map((l) => JSON.stringify(l))
                .join('\n')}`,
            ),
          );
        }, timeoutMs);
        const onExit = () => {
          cleanup();
          reject(
            new Error(
              `daemon exited before the log line; stderr: ${err}\nlast logs:\n${logs
                .slice(-10)
                .map((l) => JSON.stringify(l))
                .join('\n')}`,
            ),
          );
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
  };
}

/** The built CLI, run to its end with `args` (the test's database URL kept out of its environment). */
export function runCli(args: string[], o: { cwd?: string; input?: string } = {}): SpawnSyncReturns<string> {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: o.cwd,
    env: childEnv(),
    encoding: 'utf8',
    input: o.input,
    timeout: 120_000,
  });
  if (r.error) throw r.error;
  return r;
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `cronkeeper-${prefix}-`));
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns true, or fails after `timeoutMs`. */
export async function waitFor(
  fn: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

export interface OutputLine {
  scheduledAt: string;
  catchup: boolean;
  runId: number;
  /** CRONKEEPER_EPOCH: the leader epoch the run was started under. */
  epoch: number;
}

/** A job command that appends "<scheduledAt> <catchup> <runId> <epoch>" to `file`, one line per run. */
export function recordingCommand(file: string): string[] {
  return [
    '/bin/sh',
    '-c',
    `echo "$CRONKEEPER_SCHEDULED_AT $CRONKEEPER_CATCHUP $CRONKEEPER_RUN_ID $CRONKEEPER_EPOCH" >> '${file}'`,
  ];
}

export function readOutput(file: string): OutputLine[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const [scheduledAt, catchup, runId, epoch] = l.split(' ');
      return {
        scheduledAt: scheduledAt!,
        catchup: catchup === '1',
        runId: Number(runId),
        epoch: Number(epoch),
      };
    });
}
