// `cronkeeper run`: the daemon, with its signals.
//   SIGTERM/SIGINT  graceful stop: nothing new is claimed, running jobs get
//                   shutdownGrace, the snapshot is flushed, leadership handed over, exit 0
//   again           exit at once (128 + signal number), job process groups killed
//   SIGHUP          reload the config; an invalid one is rejected, the old one keeps running
import os from 'node:os';
import { systemClock } from '../runtime/clock.js';
import { loadConfigOffThread } from '../config/config-reader-thread.js';
import { ConfigError, formatProblem } from '../config/types.js';
import type { Config } from '../config/types.js';
import { killAllJobProcessGroups } from '../run/command-run.js';
import { createNotifier, watchdogIntervalMs } from '../systemd/sd-notify.js';
import { StoreLockedError } from '../store/store-lock.js';
import { readConfig } from './common.js';
import { runCommandLine } from './command-line.js';

export async function daemonCommand(
  configFile: string | undefined,
  opts: { pretty: boolean; insecure: boolean },
): Promise<number> {
  // On a worker thread, as a reload: what reading 100,000 jobs allocates is freed with the thread,
  // not left in the daemon's heap for V8 to collect some day. Started first: the daemon's own
  // modules load meanwhile, on this thread.
  const reading = readConfig(configFile, { insecure: opts.insecure, offThread: true });
  reading.catch(() => {}); // awaited below, once the modules are loaded
  const [{ runDaemon }, { createLogger, flushLog, flushLogSync }, { Metrics }] = await Promise.all([
    import('../daemon.js'),
    import('../runtime/logger.js'),
    import('../metrics/metrics.js'),
  ]);
  const config = await reading;
  const metrics = new Metrics();
  const logger = createLogger({ pretty: opts.pretty, onDrop: (bytes) => metrics.logDroppedBytes.inc(bytes) });
  logger.info({ config: config.file, jobs: config.jobs.length, pid: process.pid }, 'cronkeeper starting');
  const notifier = createNotifier(process.env, logger);
  const watchdogMs = watchdogIntervalMs(process.env);
  // Jobs must not inherit the notify socket: with NotifyAccess=all a job could
  // otherwise report READY=1 or STOPPING=1 for the whole service.
  for (const name of ['NOTIFY_SOCKET', 'WATCHDOG_USEC', 'WATCHDOG_PID']) delete process.env[name];
  const stop = new AbortController();
  const onStop = (signal: NodeJS.Signals) => {
    if (!stop.signal.aborted) {
      logger.info({ signal }, 'stop requested');
      notifier.notify({ STOPPING: '1', STATUS: 'stopping: letting running jobs finish' });
      stop.abort();
      return;
    }
    const killed = killAllJobProcessGroups();
    logger.warn({ signal, killedJobs: killed }, 'second stop signal: exiting now');
    flushLogSync(logger);
    process.exit(128 + (os.constants.signals[signal] ?? 15));
  };
  const reloads = new ReloadChannel();
  const onHup = () => {
    notifier.notify({
      RELOADING: '1',
      // systemd >= 253 wants the reload's start time; older versions ignore it.
      MONOTONIC_USEC: String(process.hrtime.bigint() / 1000n),
      STATUS: 'reloading the config',
    });
    // Off the main thread: reading 100,000 jobs would hold up the leader's heartbeat.
    void loadConfigOffThread(config.file, { insecure: opts.insecure }).then(
      (next) => reloads.push(next),
      (err: unknown) => {
        metrics.configReloadErrors.inc();
        if (err instanceof ConfigError) {
          logger.error(
            { problems: err.problems.map(formatProblem) },
            'config reload rejected: keeping the running config',
          );
        } else {
          logger.error({ err }, 'config reload failed: keeping the running config');
        }
        notifier.notify({ READY: '1', STATUS: 'config reload rejected: running the previous config' });
      },
    );
  };
  process.on('SIGTERM', onStop);
  process.on('SIGINT', onStop);
  process.on('SIGHUP', onHup);
  try {
    return await runDaemon({
      config,
      logger,
      clock: systemClock,
      metrics,
      notifier,
      watchdogMs,
      stop: stop.signal,
      reloads: reloads.iterate(stop.signal),
      commandLine: runCommandLine,
    });
  } catch (err) {
    // Another daemon holds the store: its message names the store and the process; no stack.
    if (err instanceof StoreLockedError)
      logger.fatal({ lockFile: err.lockFile, holder: err.holder.pid }, err.message);
    else logger.fatal({ err }, (err as Error).message);
    return 1;
  } finally {
    process.off('SIGHUP', onHup);
    reloads.close();
    await notifier.close();
    await flushLog(logger);
  }
}

/** Configs accepted on SIGHUP, handed to the daemon one at a time. */
class ReloadChannel {
  private queue: Config[] = [];
  private wake: (() => void) | undefined;
  private closed = false;

  push(config: Config): void {
    this.queue.push(config);
    this.wake?.();
  }

  close(): void {
    this.closed = true;
    this.wake?.();
  }

  async *iterate(signal: AbortSignal): AsyncIterable<Config> {
    signal.addEventListener('abort', () => this.close(), { once: true });
    while (!this.closed) {
      const next = this.queue.shift();
      if (next) {
        yield next;
        continue;
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }
}
