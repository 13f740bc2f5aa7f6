// Where a command's output goes and what it works on. Run from a shell: this
// process's stdout and stderr, the config file and a store it opens itself.
// Carried out by the running daemon for a CLI beside it (command-server.ts):
// the connection the command came on, and the daemon's own config, store and
// view of itself. The commands do not know which: they write through out()
// and err() and open the store through withStore (common.ts).
import { AsyncLocalStorage } from 'node:async_hooks';
import os from 'node:os';
import type { Config } from '../config/types.js';
import type { NodeView } from '../status/read-status.js';
import type { Actor } from '../store/controls.js';
import type { Db } from '../store/db.js';

export interface CommandContext {
  out(text: string): void;
  err(text: string): void;
  /** Ends when the reader is gone (the CLI disconnected, or its stdout closed): a follow stops. */
  signal: AbortSignal;
  /** In the daemon: its config, store and own view, instead of reading the file and opening the store. */
  daemon?: { config: Config; db: Db; node: () => NodeView; user: string };
}

const contexts = new AsyncLocalStorage<CommandContext>();

// stdout of a shell pipeline whose reader left (`status | head -1`): the rest of
// the output is dropped quietly and the command still ends with its own exit status.
const stdoutGone = new AbortController();
let watching = false;

function processContext(): CommandContext {
  if (!watching) {
    watching = true;
    process.stdout.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') throw e;
      stdoutGone.abort();
    });
  }
  return {
    out: (text) => {
      if (!stdoutGone.signal.aborted) process.stdout.write(text);
    },
    err: (text) => process.stderr.write(text),
    signal: stdoutGone.signal,
  };
}

function current(): CommandContext {
  return contexts.getStore() ?? processContext();
}

export function runWithContext<T>(context: CommandContext, fn: () => Promise<T>): Promise<T> {
  return contexts.run(context, fn);
}

export function out(text: string): void {
  current().out(text);
}

export function err(text: string): void {
  current().err(text);
}

export function outputSignal(): AbortSignal {
  return current().signal;
}

/** The daemon carrying out this command, if it is one. */
export function inDaemon(): CommandContext['daemon'] {
  return contexts.getStore()?.daemon;
}

/** The OS user running the command (and who they sudo'ed from) and this host. */
export function currentActor(env: NodeJS.ProcessEnv = process.env): Actor {
  const daemon = inDaemon();
  if (daemon) return { user: daemon.user, host: os.hostname() };
  let user: string;
  try {
    user = os.userInfo().username;
  } catch {
    // No passwd entry (a container with an arbitrary uid).
    user = env.USER ?? `uid ${process.getuid?.() ?? '?'}`;
  }
  if (env.SUDO_USER && env.SUDO_USER !== user) user = `${user} (sudo from ${env.SUDO_USER})`;
  return { user, host: os.hostname() };
}
