// The CLI's side of the command channel: the embedded store belongs to the
// daemon that opened it, so a command that needs it is sent to that daemon,
// which carries it out and streams back what it prints and its exit status
// (command-server.ts). The protocol is JSON lines; see COMMAND_SOCKET.
import net from 'node:net';
import path from 'node:path';
import { currentActor, err, out, outputSignal } from './cli-io.js';

/**
 * Beside the store, in its private (0700) directory, itself 0600: only the
 * daemon's user (and root) can reach it. Request: one line
 * `{"argv": [...], "user": "..."}`. Replies: lines `{"out": text}`,
 * `{"err": text}`, then `{"exit": status}`.
 */
export const COMMAND_SOCKET = 'cronkeeper.sock';

export function commandSocketPath(storeDir: string): string {
  return path.join(storeDir, COMMAND_SOCKET);
}

export type Reply = { out: string } | { err: string } | { exit: number };

/**
 * The exit status of the command as the daemon carried it out; undefined when no
 * daemon listens. A daemon that holds the store but is still opening it gets
 * `waitMs` to start listening.
 */
export async function forwardToDaemon(
  storeDir: string,
  argv: readonly string[],
  waitMs = 0,
): Promise<number | undefined> {
  const until = Date.now() + waitMs;
  for (;;) {
    const code = await forwardOnce(storeDir, argv);
    if (code !== undefined || Date.now() >= until) return code;
    await new Promise((r) => setTimeout(r, RETRY_MS));
  }
}

const RETRY_MS = 100;

function forwardOnce(storeDir: string, argv: readonly string[]): Promise<number | undefined> {
  const file = commandSocketPath(storeDir);
  return new Promise((resolve, reject) => {
    const socket = net.connect(file);
    let connected = false;
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      outputSignal().removeEventListener('abort', onGone);
      fn();
    };
    // The reader of our stdout left (`| head`): nothing more to show.
    const onGone = () => {
      socket.destroy();
      settle(() => resolve(0));
    };
    outputSignal().addEventListener('abort', onGone, { once: true });
    socket.on('connect', () => {
      connected = true;
      socket.write(JSON.stringify({ argv, user: currentActor().user }) + '\n');
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      // No socket, or one a killed daemon left: no daemon carries commands out; the store is opened here.
      if (!connected && (e.code === 'ENOENT' || e.code === 'ECONNREFUSED')) {
        return settle(() => resolve(undefined));
      }
      if (!connected && e.code === 'EACCES') {
        return settle(() =>
          reject(
            new Error(
              `the running daemon's command socket ${file} is not open to this user: run the command as the ` +
                `user the daemon runs as (or root)`,
            ),
          ),
        );
      }
      settle(() => reject(new Error(`the daemon's command socket ${file}: ${e.message}`)));
    });
    let buffered = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        const reply = JSON.parse(line) as Reply;
        if ('out' in reply) out(reply.out);
        else if ('err' in reply) err(reply.err);
        else if ('exit' in reply) {
          socket.end();
          settle(() => resolve(reply.exit));
        }
      }
    });
    socket.on('close', () =>
      settle(() => reject(new Error('the daemon closed the command connection before the command ended'))),
    );
  });
}
