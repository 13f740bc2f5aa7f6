// The boot sequence and the standby/leader cycle — the one module that knows
// all others:
//
// open store -> migrate -> [ wait for leadership -> lead (restore, catch-up,
// schedule; see leader-term.ts) -> lost? stand by again ] -> on stop: release
// leadership, close the store.
import os from 'node:os';
import type { Logger } from 'pino';
import type { Clock } from './clock.js';
import type { Config } from './config/types.js';
import { StoppedWaitingError, acquireLeadership } from './ha/leadership.js';
import { leadTerm } from './leader-term.js';
import type { Db } from './store/db.js';
import { migrate } from './store/migrate.js';
import { openStore } from './store/open-store.js';

export interface DaemonOptions {
  config: Config;
  logger: Logger;
  clock: Clock;
  /** Aborted to stop the daemon (SIGTERM/SIGINT). */
  stop: AbortSignal;
  /** Configs accepted on reload (SIGHUP), already validated. */
  reloads?: AsyncIterable<Config>;
}

export function resolveNodeId(config: Config, env: NodeJS.ProcessEnv = process.env): string {
  return env.CRONKEEPER_NODE_ID || config.ha.nodeId || `${os.hostname()}-${process.pid}`;
}

const MAX_RETRY_MS = 30_000;

/** Runs the daemon until `stop` is aborted; resolves with the process exit code. */
export async function runDaemon(options: DaemonOptions): Promise<number> {
  const { clock, stop } = options;
  let config = options.config;
  const nodeId = resolveNodeId(config);
  const logger = options.logger.child({ node: nodeId });

  // Reloads reach whichever term is running; a standby keeps the newest config for its next term.
  const listeners = new Set<(c: Config) => void>();
  void (async () => {
    for await (const next of options.reloads ?? []) {
      config = next;
      if (listeners.size === 0) logger.info({ jobs: next.jobs.length }, 'config reloaded');
      for (const l of listeners) l(next);
    }
  })();
  const onReload = (listener: (c: Config) => void) => {
    listeners.add(listener);
    return () => listeners.delete(listener);
  };

  const db = await withRetry(logger, stop, 'opening the store', () => openStore(config.store, logger));
  if (!db) return 0;
  try {
    const applied = await withRetry(logger, stop, 'migrating the schema', () => migrate(db));
    if (applied === undefined) return 0;
    if (applied.length > 0) logger.info({ versions: applied }, 'schema migrated');
    const exitCode = await cycle(db);
    logger.info({ exitCode }, 'stopped');
    return exitCode;
  } finally {
    await db.close();
  }

  async function cycle(db: Db): Promise<number> {
    for (;;) {
      let leadership;
      try {
        leadership = await acquireLeadership({
          db,
          url: config.store.url,
          nodeId,
          logger,
          signal: stop,
          leaseMs: config.ha.leaseMs,
          pollMs: config.ha.pollMs,
        });
      } catch (err) {
        if (err instanceof StoppedWaitingError) return 0;
        throw err;
      }
      logger.info({ epoch: leadership.fence.epoch }, 'leading');
      try {
        const term = await leadTerm({ db, leadership, config, logger, clock, stop, onReload });
        if (term.reason === 'stopped') return term.exitCode;
        // The embedded store has no other node to take over: a failing store ends the process.
        if (db.kind === 'embedded') return 1;
        logger.warn('standing by again');
      } finally {
        await leadership.release();
      }
    }
  }
}

/**
 * Runs `fn` until it succeeds, retrying with backoff while the database is
 * unreachable; undefined when stopped first. The embedded store is not retried:
 * its errors (a held lock, a broken directory) do not heal by waiting.
 */
async function withRetry<T>(
  logger: Logger,
  stop: AbortSignal,
  what: string,
  fn: () => Promise<T>,
): Promise<T | undefined> {
  for (let delay = 500; ; delay = Math.min(delay * 2, MAX_RETRY_MS)) {
    try {
      return await fn();
    } catch (err) {
      if (!isConnectionError(err)) throw err;
      logger.warn({ err, retryInMs: delay }, `${what} failed: database unreachable; retrying`);
    }
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, delay);
      stop.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
    });
    if (stop.aborted) return undefined;
  }
}

/** Errors that waiting can cure: the server is down, restarting, or not yet accepting connections. */
function isConnectionError(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  if (
    e.code &&
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN'].includes(e.code)
  ) {
    return true;
  }
  // 57P01..57P03: admin shutdown, crash shutdown, cannot connect now (starting up).
  if (e.code && /^57P0[123]$/.test(e.code)) return true;
  return /Connection terminated|timeout expired/i.test(e.message ?? '');
}
