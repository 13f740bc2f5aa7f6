// A run's spool: the directory where a command run leaves what a successor
// needs when the daemon that started it is gone — who started it, whether its
// job ever ran, its output, and its exit status. Written by the run's
// supervisor (run-supervisor.ts), a small shell process that outlives the
// daemon; read by the daemon while it lives, and by the next daemon on the
// same host (with the same spool) after a crash.
//
//   started  "<supervisor pid> <its start time in clock ticks>", created
//            exclusively (O_EXCL) by the supervisor before the job runs — or
//            by a successor that found the run never started ("abandoned"),
//            which keeps the supervisor from running it late
//   pid      "<job pid> <its start time in clock ticks>": the job runs in its
//            own session; its pid is its process group
//   output   the job's stdout and stderr, appended as written
//   exit     the exit status as the shell reports it (128+N: signal N)
import { constants, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';

export interface SpoolPaths {
  dir: string;
  started: string;
  pid: string;
  output: string;
  exit: string;
}

/** What a run left in its spool (see inspectSpool). */
export type SpoolState =
  /** No trace: the daemon died before it spawned anything. The job cannot have run. */
  | { kind: 'never-started' }
  /** The supervisor is alive and its job is (or is about to be) running. */
  | { kind: 'running'; supervisor: ProcessRef; job: ProcessRef | undefined; startedAtMs: number }
  /** The job ended; its status and end time (UTC ms, the exit file's mtime). */
  | { kind: 'finished'; status: number; startedAtMs: number; finishedAtMs: number }
  /** The job started but its supervisor is gone without an exit status (killed, host rebooted). */
  | { kind: 'lost'; startedAtMs: number };

export interface ProcessRef {
  pid: number;
  /** Start time in clock ticks since boot (/proc/PID/stat field 22): tells a reused pid apart. */
  ticks: string;
}

export const ABANDONED = 'abandoned';

/** One attempt's spool, under the epoch that started it (a retaken attempt starts under a newer one). */
export interface SpoolKey {
  runId: number;
  attempt: number;
  epoch: number;
}

export function spoolPaths(root: string, key: SpoolKey): SpoolPaths {
  // The epoch is part of the name: when a successor takes back an attempt that never started, its new
  // start gets a directory of its own, which a late supervisor of the old one can never find.
  const dir = path.join(root, `${key.runId}-${key.attempt}-${key.epoch}`);
  return {
    dir,
    started: path.join(dir, 'started'),
    pid: path.join(dir, 'pid'),
    output: path.join(dir, 'output'),
    exit: path.join(dir, 'exit'),
  };
}

/** Creates the run's spool directory (and the root), private to the daemon's user. */
export async function createSpool(root: string, key: SpoolKey): Promise<SpoolPaths> {
  const paths = spoolPaths(root, key);
  await fs.mkdir(root, { recursive: true, mode: 0o700 });
  await fs.mkdir(paths.dir, { mode: 0o700 }).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw err;
  });
  return paths;
}

export async function removeSpool(paths: SpoolPaths): Promise<void> {
  await fs.rm(paths.dir, { recursive: true, force: true });
}

/** The attempts that have a spool under `root`. */
export async function listSpools(root: string): Promise<SpoolKey[]> {
  let names: string[];
  try {
    names = await fs.readdir(root);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: SpoolKey[] = [];
  for (const name of names) {
    const m = /^(\d+)-(\d+)-(\d+)$/.exec(name);
    if (m) out.push({ runId: Number(m[1]), attempt: Number(m[2]), epoch: Number(m[3]) });
  }
  return out;
}

/**
 * What became of a run, from its spool. A run with no `started` marker is
 * taken as never started, and the marker is taken for it ("abandoned"), so a
 * supervisor that was spawned but had not yet begun exits without running the
 * job: never-started is then a fact, not a guess.
 */
export async function inspectSpool(paths: SpoolPaths): Promise<SpoolState> {
  const started = await readStarted(paths);
  if (started === undefined) return { kind: 'never-started' };
  const exit = await readExit(paths);
  if (exit) return { kind: 'finished', ...exit, startedAtMs: started.atMs };
  if (started.supervisor && isSameProcess(started.supervisor)) {
    return {
      kind: 'running',
      supervisor: started.supervisor,
      job: await readPidFile(paths.pid),
      startedAtMs: started.atMs,
    };
  }
  // The supervisor may have written the status just before it went.
  const late = await readExit(paths);
  if (late) return { kind: 'finished', ...late, startedAtMs: started.atMs };
  return { kind: 'lost', startedAtMs: started.atMs };
}

/** The exit status and when it was written, if the job has ended. */
export async function readExit(
  paths: SpoolPaths,
): Promise<{ status: number; finishedAtMs: number } | undefined> {
  try {
    const [text, stat] = await Promise.all([fs.readFile(paths.exit, 'utf8'), fs.stat(paths.exit)]);
    const status = Number(text.trim());
    if (!Number.isInteger(status) || status < 0) return undefined;
    return { status, finishedAtMs: stat.mtimeMs };
  } catch {
    return undefined;
  }
}

export async function readPidFile(file: string): Promise<ProcessRef | undefined> {
  try {
    return parseProcessRef(await fs.readFile(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/** True while the process `ref` names runs (its pid not reused since: same start time). */
export function isSameProcess(ref: ProcessRef): boolean {
  const ticks = processStartTicks(ref.pid);
  return ticks !== undefined && ticks === ref.ticks;
}

/** /proc/PID/stat field 22, or undefined when there is no such process. */
export function processStartTicks(pid: number): string | undefined {
  try {
    // Synchronous but tiny (procfs, no disk): once per run inspected, and per check of an adopted run.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which may hold spaces and parentheses: from the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // A zombie (or a dying process) has ended: nobody reaped it yet (an orphan under a PID 1 that does not reap).
    if (rest[0] === 'Z' || rest[0] === 'X') return undefined;
    return rest[19];
  } catch {
    return undefined;
  }
}

async function readStarted(
  paths: SpoolPaths,
): Promise<{ supervisor: ProcessRef | undefined; atMs: number } | undefined> {
  for (let i = 0; ; i++) {
    let handle: fs.FileHandle | undefined;
    try {
      // Take the marker if nobody has: the run did not start and now never will.
      handle = await fs.open(paths.started, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
      await handle.writeFile(ABANDONED);
      return undefined;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return undefined; // no spool directory: never started
      if (code !== 'EEXIST') throw err;
    } finally {
      await handle?.close();
    }
    const [text, stat] = await Promise.all([fs.readFile(paths.started, 'utf8'), fs.stat(paths.started)]);
    if (text.trim() === ABANDONED) return undefined;
    const supervisor = parseProcessRef(text);
    // Created but not yet written (the supervisor is between open and write): look again.
    if (supervisor === undefined && i < 20) {
      await new Promise((r) => setTimeout(r, 10));
      continue;
    }
    return { supervisor, atMs: stat.mtimeMs };
  }
}

/** "<pid> <start ticks>", as the supervisor writes it; undefined for anything else. */
export function parseProcessRef(text: string): ProcessRef | undefined {
  const [pid, ticks] = text.trim().split(/\s+/);
  const n = Number(pid);
  if (!Number.isSafeInteger(n) || n <= 0 || !ticks || !/^\d+$/.test(ticks)) return undefined;
  return { pid: n, ticks };
}
