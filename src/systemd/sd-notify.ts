// The sd_notify protocol: one datagram of newline-separated KEY=VALUE fields
// (READY=1, STATUS=…, WATCHDOG=1, RELOADING=1, STOPPING=1) to the AF_UNIX
// socket systemd names in $NOTIFY_SOCKET.
//
// Node cannot send AF_UNIX datagrams without a native addon, so each message
// is sent by the `systemd-notify` program (it ships with systemd), spawned
// without a shell, the fields as its arguments. It sends from a process of its
// own, which is what `NotifyAccess=all` in the unit is for: PID 1 then accepts
// messages from any process in the unit's cgroup. It attributes a message to a
// unit by the sender's PID (SCM_CREDENTIALS), which it can only map to a cgroup
// while that process still exists; a sender that exits at once races PID 1 and
// its message may be dropped. systemd-notify (systemd 252, src/notify/notify.c)
// closes that race itself: unless given --no-block it follows the message with
// sd_notify_barrier(), a second datagram `BARRIER=1` carrying the write end of
// a pipe, and waits (up to 5 s) until PID 1 closes that fd, which PID 1 does
// after it has processed every earlier datagram of the sender. So never pass
// --no-block. (Run as root it also stamps the message with our PID, its
// parent's; as an unprivileged user the kernel refuses that and it sends with
// its own PID, hence NotifyAccess=all and not main.)
//
// Sends are serialized, one systemd-notify at a time, so messages arrive in
// order; calls made while one is in flight are merged into at most one pending
// message (a later value of a field replaces an earlier one).
import { spawn } from 'node:child_process';
import type { Logger } from 'pino';

export interface Notifier {
  /** Whether $NOTIFY_SOCKET was set: when not, notify() does nothing. */
  readonly enabled: boolean;
  /**
   * Queues `fields` (e.g. `{ READY: '1', STATUS: 'leader epoch 7, 42 jobs' }`)
   * and returns at once. Never throws; failures are logged.
   */
  notify(fields: Record<string, string>): void;
  /** Resolves once the message in flight and the pending one are sent; later notify() calls are ignored. */
  close(): Promise<void>;
}

/** The fields that set the service's state; of these only the newest of a merged message is kept. */
const STATE_FIELDS = ['READY', 'RELOADING', 'STOPPING'];
const FIELD_NAME = /^[A-Z_][A-Z0-9_]*$/;
/** systemd-notify waits at most 5 s for its barrier; this only catches a send that blocks for good. */
const SEND_TIMEOUT_MS = 10_000;
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export function createNotifier(
  env: NodeJS.ProcessEnv,
  logger: Logger,
  options: { command?: string } = {},
): Notifier {
  const socket = env.NOTIFY_SOCKET;
  if (!socket) {
    return { enabled: false, notify: () => {}, close: () => Promise.resolve() };
  }
  const command = options.command ?? 'systemd-notify';
  // Only what systemd-notify needs: the daemon may drop NOTIFY_SOCKET from its
  // own environment so that its jobs do not inherit it.
  const childEnv = { NOTIFY_SOCKET: socket, PATH: env.PATH || DEFAULT_PATH };
  const log = logger.child({ component: 'sd-notify' });

  let pending: Map<string, string> | undefined;
  let inFlight = false;
  let missing = false;
  let closed = false;
  let failing = false;
  const idleWaiters: (() => void)[] = [];

  const settle = (): void => {
    inFlight = false;
    if (pending && !missing) send();
    else for (const wake of idleWaiters.splice(0)) wake();
  };

  const send = (): void => {
    const fields = pending!;
    pending = undefined;
    inFlight = true;
    const args = [...fields].map(([k, v]) => `${k}=${v}`);
    let child;
    try {
      child = spawn(command, args, { env: childEnv, stdio: ['ignore', 'ignore', 'pipe'], shell: false });
    } catch (err) {
      log.warn({ err }, 'could not run systemd-notify');
      return settle();
    }
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      if (stderr.length < 2000) stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), SEND_TIMEOUT_MS);
    let done = false;
    const finish = (problem: string | undefined, err?: unknown): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (problem === undefined) {
        failing = false;
      } else if (!failing) {
        // Warn on the first failure of a run of failures, not on every watchdog ping.
        failing = true;
        log.warn({ err, fields: args, stderr: stderr.trim() || undefined }, problem);
      } else {
        log.debug({ fields: args, stderr: stderr.trim() || undefined }, problem);
      }
      settle();
    };
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') {
        missing = true;
        pending = undefined;
        log.warn(
          { command },
          `${command} not found: systemd gets no readiness, status or watchdog messages (install systemd)`,
        );
        done = true;
        clearTimeout(timer);
        return settle();
      }
      finish('systemd-notify could not be run', err);
    });
    child.on('close', (code, signal) => {
      if (code === 0) finish(undefined);
      else if (signal === 'SIGKILL') finish(`systemd-notify did not finish within ${SEND_TIMEOUT_MS} ms`);
      else finish(`systemd-notify failed (${code ?? signal})`);
    });
  };

  return {
    enabled: true,
    notify(fields) {
      if (closed || missing) return;
      const next = pending ?? new Map<string, string>();
      for (const [key, raw] of Object.entries(fields)) {
        if (!FIELD_NAME.test(key)) {
          log.warn({ key }, 'sd_notify field name ignored: not KEY_LIKE_THIS');
          continue;
        }
        // A newline would start another field; a NUL cannot be passed as an argument.
        const value = raw.replace(/[\r\n]+/g, ' ').replace(/\0/g, '');
        // A newer state replaces an older one not yet sent (RELOADING=1 then READY=1
        // sends READY=1 only), never both in one datagram in the wrong order.
        if (STATE_FIELDS.includes(key)) for (const s of STATE_FIELDS) next.delete(s);
        next.delete(key); // re-inserted last: the newest field ends the message
        next.set(key, value);
      }
      if (next.size === 0) return;
      pending = next;
      if (!inFlight) send();
    },
    close() {
      closed = true;
      if (!inFlight) return Promise.resolve();
      return new Promise<void>((resolve) => idleWaiters.push(resolve));
    },
  };
}

/**
 * How often to send WATCHDOG=1: half the period systemd asked for in
 * $WATCHDOG_USEC (WatchdogSec=), as sd_watchdog_enabled() advises; undefined
 * when there is no watchdog, or when $WATCHDOG_PID names another process (the
 * variable was inherited, not meant for us).
 */
export function watchdogIntervalMs(env: NodeJS.ProcessEnv, pid: number = process.pid): number | undefined {
  const usec = env.WATCHDOG_USEC;
  if (!usec || !/^\d+$/.test(usec) || Number(usec) <= 0) return undefined;
  const watchdogPid = env.WATCHDOG_PID;
  if (watchdogPid !== undefined && watchdogPid !== '' && Number(watchdogPid) !== pid) return undefined;
  return Math.max(1, Math.floor(Number(usec) / 2000));
}
