// The daemon's side of the command channel (command-client.ts): a CLI beside
// a daemon on the embedded store cannot open the store, so the daemon carries
// the command out with its own store and config, and streams back the output
// and the exit status the CLI would have printed itself.
//
// Bounded, like every reader of this daemon: a few commands at once, a short
// queue, a request of at most 64 KiB that must arrive within seconds, and a
// reader that falls behind (output buffered past a limit) is cut off.
import fs from 'node:fs';
import net from 'node:net';
import type { Logger } from 'pino';
import type { Config } from '../config/types.js';
import type { NodeView } from '../status/read-status.js';
import type { Db } from '../store/db.js';
import { type CommandContext, runWithContext } from './cli-io.js';
import { type Reply, commandSocketPath } from './command-client.js';

const RUNNING_AT_ONCE = 2;
/** Follows (runs --follow) run until their reader goes: a pool of their own, so they never hold up the rest. */
const FOLLOWING_AT_ONCE = 4;
const QUEUED_AT_MOST = 16;
const REQUEST_BYTES = 64 * 1024;
const REQUEST_WITHIN_MS = 5_000;
const BUFFERED_BYTES = 16 * 1024 * 1024;
const CLOSE_WITHIN_MS = 2_000;
/** sun_path is 108 bytes on Linux, with its terminating NUL. */
const MAX_SOCKET_PATH = 107;

export interface CommandServerOptions {
  storeDir: string;
  logger: Logger;
  /** The daemon's config now (it follows reloads), store and view of itself. */
  daemon: () => { config: Config; db: Db; node: () => NodeView };
  /** Carries out one command line (commands/command-line.ts), injected to keep the daemon free of the CLI. */
  run: (argv: string[]) => Promise<number>;
}

export interface CommandServer {
  close(): Promise<void>;
}

export async function serveCommands(o: CommandServerOptions): Promise<CommandServer | undefined> {
  const file = commandSocketPath(o.storeDir);
  if (Buffer.byteLength(file) > MAX_SOCKET_PATH) {
    o.logger.warn(
      { socket: file },
      'store.path is too long for a Unix socket beside it: the CLI cannot reach this daemon (use a shorter store.path)',
    );
    return undefined;
  }
  // This process holds the store's lock: a socket file there is a dead daemon's.
  fs.rmSync(file, { force: true });
  const running = new Set<Promise<void>>();
  const aborts = new Set<AbortController>();
  const queue: Array<() => void> = [];
  let active = 0;
  let following = 0;

  const server = net.createServer((socket) => {
    const abort = new AbortController();
    aborts.add(abort);
    socket.on('close', () => {
      abort.abort();
      aborts.delete(abort);
    });
    socket.on('error', () => {});
    socket.setTimeout(REQUEST_WITHIN_MS, () => socket.destroy());
    let request = '';
    socket.setEncoding('utf8');
    const onData = (chunk: string) => {
      request += chunk;
      const nl = request.indexOf('\n');
      if (nl < 0) {
        if (request.length > REQUEST_BYTES) socket.destroy();
        return;
      }
      socket.off('data', onData);
      socket.setTimeout(0);
      const argv = parseRequest(request.slice(0, nl));
      if (!argv) return reply(socket, { err: 'cronkeeper: a malformed command request\n' }, { exit: 64 });
      if (argv.argv.includes('--follow') || argv.argv.includes('-f')) {
        if (following >= FOLLOWING_AT_ONCE) {
          return reply(
            socket,
            { err: 'cronkeeper: as many follows as the daemon serves are running\n' },
            { exit: 75 },
          );
        }
        following++;
        const done = carryOut(socket, argv, abort.signal).finally(() => {
          following--;
          running.delete(done);
        });
        running.add(done);
        return;
      }
      if (active >= RUNNING_AT_ONCE && queue.length >= QUEUED_AT_MOST) {
        return reply(
          socket,
          { err: 'cronkeeper: the daemon is busy with other commands; try again\n' },
          { exit: 75 },
        );
      }
      const start = () => {
        active++;
        const done = carryOut(socket, argv, abort.signal).finally(() => {
          active--;
          running.delete(done);
          queue.shift()?.();
        });
        running.add(done);
      };
      if (active < RUNNING_AT_ONCE) start();
      else queue.push(start);
    };
    socket.on('data', onData);
  });

  async function carryOut(socket: net.Socket, request: ParsedRequest, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    const send = (r: Reply) => {
      if (socket.destroyed) return;
      socket.write(JSON.stringify(r) + '\n');
      if (socket.writableLength > BUFFERED_BYTES) socket.destroy();
    };
    const d = o.daemon();
    const context: CommandContext = {
      out: (text) => send({ out: text }),
      err: (text) => send({ err: text }),
      signal,
      daemon: { config: d.config, db: d.db, node: d.node, user: request.user },
    };
    const code = await runWithContext(context, () => o.run(request.argv)).catch((e: unknown) => {
      send({ err: `cronkeeper: ${(e as Error).message}\n` });
      return 1;
    });
    if (!socket.destroyed) socket.end(JSON.stringify({ exit: code }) + '\n');
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(file, () => {
      server.off('error', reject);
      resolve();
    });
  });
  fs.chmodSync(file, 0o600);
  o.logger.info({ socket: file }, 'carrying out CLI commands on the command socket');
  return {
    async close() {
      server.close();
      for (const a of aborts) a.abort();
      queue.length = 0;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...running]),
        new Promise((r) => (timer = setTimeout(r, CLOSE_WITHIN_MS))),
      ]);
      clearTimeout(timer);
      fs.rmSync(file, { force: true });
    },
  };
}

interface ParsedRequest {
  argv: string[];
  user: string;
}

function parseRequest(line: string): ParsedRequest | undefined {
  try {
    const r = JSON.parse(line) as { argv?: unknown; user?: unknown };
    if (!Array.isArray(r.argv) || !r.argv.every((a) => typeof a === 'string')) return undefined;
    return { argv: r.argv as string[], user: typeof r.user === 'string' ? r.user.slice(0, 256) : 'unknown' };
  } catch {
    return undefined;
  }
}

function reply(socket: net.Socket, ...replies: Reply[]): void {
  socket.end(replies.map((r) => JSON.stringify(r)).join('\n') + '\n');
}
