// An exclusive lock on the embedded store's directory. PGlite does not stop two
// processes from opening one data directory, and two that do silently lose
// committed rows; this lock turns that into a clear error for the second one.
//
// The lock file holds the owner's pid and process start time. A lock whose
// owner is gone (SIGKILL, crash, reboot) is stale and is taken over; the
// start time guards against a recycled pid being mistaken for the owner.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PRIVATE_FILE_MODE, makePrivateDir } from './private-files.js';

export class StoreLockedError extends Error {
  constructor(
    readonly lockFile: string,
    readonly holder: LockHolder,
  ) {
    super(
      `the embedded store ${path.dirname(lockFile)} is in use by another cronkeeper process ` +
        `(pid ${holder.pid} on ${holder.host}, since ${holder.since}); ` +
        `only one process may open it — stop that one, or point this one at another store.path`,
    );
    this.name = 'StoreLockedError';
  }
}

interface LockHolder {
  pid: number;
  host: string;
  /** The owner's start time as the kernel counts it (/proc/PID/stat field 22); '' where unknown. */
  startTicks: string;
  since: string;
}

export interface StoreLock {
  readonly file: string;
  release(): void;
}

export function acquireStoreLock(dir: string): StoreLock {
  makePrivateDir(dir);
  const file = path.join(dir, 'cronkeeper.lock');
  const me: LockHolder = {
    pid: process.pid,
    host: os.hostname(),
    startTicks: processStartTicks(process.pid),
    since: new Date().toISOString(),
  };
  const content = JSON.stringify(me) + '\n';
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      fs.writeFileSync(file, content, { flag: 'wx', mode: PRIVATE_FILE_MODE });
      return lockHandle(file, content);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = readHolder(file);
    if (holder && isAlive(holder)) throw new StoreLockedError(file, holder);
    // Stale: move it aside atomically. Of two processes racing for the same
    // stale lock, only one rename succeeds; the other retries and then sees a
    // live owner.
    const aside = `${file}.stale-${process.pid}`;
    try {
      fs.renameSync(file, aside);
      const moved = readHolder(aside);
      fs.rmSync(aside, { force: true });
      if (moved && holder && moved.pid !== holder.pid && isAlive(moved)) {
        // We moved a fresh lock taken between our read and our rename: put it back.
        fs.writeFileSync(file, JSON.stringify(moved) + '\n', { flag: 'wx', mode: PRIVATE_FILE_MODE });
        throw new StoreLockedError(file, moved);
      }
    } catch (err) {
      if (err instanceof StoreLockedError) throw err;
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  throw new Error(`could not take the lock ${file}: it keeps changing hands`);
}

function lockHandle(file: string, content: string): StoreLock {
  let released = false;
  return {
    file,
    release() {
      if (released) return;
      released = true;
      try {
        // Only remove the lock if it is still ours.
        if (fs.readFileSync(file, 'utf8') === content) fs.rmSync(file, { force: true });
      } catch {
        // Already gone.
      }
    },
  };
}

/** Whether a live process holds the store in `dir` (the CLI then asks it, rather than opening the store). */
export function storeHeld(dir: string): boolean {
  const holder = readHolder(path.join(dir, 'cronkeeper.lock'));
  return holder !== undefined && isAlive(holder);
}

function readHolder(file: string): LockHolder | undefined {
  try {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<LockHolder>;
    if (typeof parsed.pid !== 'number') return undefined;
    return {
      pid: parsed.pid,
      host: String(parsed.host ?? ''),
      startTicks: String(parsed.startTicks ?? ''),
      since: String(parsed.since ?? ''),
    };
  } catch {
    // Unreadable or half-written (a crash between create and write): stale.
    return undefined;
  }
}

function isAlive(holder: LockHolder): boolean {
  // A lock written on another host (a shared directory) cannot be checked: respect it.
  if (holder.host !== os.hostname()) return true;
  try {
    process.kill(holder.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  const ticks = processStartTicks(holder.pid);
  return holder.startTicks === '' || ticks === '' || ticks === holder.startTicks;
}

/** Start time of a process in clock ticks since boot, from /proc; '' when unavailable (non-Linux). */
function processStartTicks(pid: number): string {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (comm) may contain spaces and parentheses; fields after the last ')' are plain.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return rest[19] ?? '';
  } catch {
    return '';
  }
}
