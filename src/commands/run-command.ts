// `cronkeeper run`: the daemon, with its signals. SIGTERM/SIGINT stop it
// gracefully (a second one is acknowledged, not escalated); SIGHUP reloads the
// config, and an invalid new config is rejected while the old one keeps running.
import { systemClock } from '../clock.js';
import { ConfigError, formatProblem } from '../config/types.js';
import type { Config } from '../config/types.js';
import { runDaemon } from '../daemon.js';
import { createLogger } from '../logger.js';
import { readConfig } from './common.js';

export async function runCommand(configFile: string | undefined, opts: { pretty: boolean }): Promise<number> {
  const config = await readConfig(configFile);
  const logger = createLogger({ pretty: opts.pretty });
  logger.info({ config: config.file, jobs: config.jobs.length, pid: process.pid }, 'cronkeeper starting');
  const stop = new AbortController();
  const onStop = (signal: NodeJS.Signals) => {
    if (stop.signal.aborted) {
      logger.warn({ signal }, 'already stopping: waiting for running jobs (bounded by shutdownGrace)');
      return;
    }
    logger.info({ signal }, 'stop requested');
    stop.abort();
  };
  const reloads = new ReloadChannel();
  const onHup = () => {
    void readConfig(config.file).then(
      (next) => reloads.push(next),
      (err: unknown) => {
        if (err instanceof ConfigError) {
          logger.error(
            { problems: err.problems.map(formatProblem) },
            'config reload rejected: keeping the running config',
          );
        } else {
          logger.error({ err }, 'config reload failed: keeping the running config');
        }
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
      stop: stop.signal,
      reloads: reloads.iterate(stop.signal),
    });
  } catch (err) {
    logger.fatal({ err }, (err as Error).message);
    return 1;
  } finally {
    process.off('SIGTERM', onStop);
    process.off('SIGINT', onStop);
    process.off('SIGHUP', onHup);
    reloads.close();
    logger.flush();
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
