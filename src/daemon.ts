// The boot sequence — the one module that knows all others:
//
// open store -> migrate -> wait for leadership -> lead (restore, catch-up,
// schedule; see leader-term.ts) -> on stop: release leadership, close the store.
import os from 'node:os';
import type { Logger } from 'pino';
import type { Clock } from './clock.js';
import type { Config } from './config/types.js';
import { acquireLeadership, type Leadership } from './ha/leadership.js';
import { leadTerm } from './leader-term.js';
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

/** Runs the daemon until `stop` is aborted; resolves with the process exit code. */
export async function runDaemon(options: DaemonOptions): Promise<number> {
  const { config, clock, stop } = options;
  const nodeId = resolveNodeId(config);
  const logger = options.logger.child({ node: nodeId });

  const db = await openStore(config.store, logger);
  let leadership: Leadership | undefined;
  try {
    const applied = await migrate(db);
    if (applied.length > 0) logger.info({ versions: applied }, 'schema migrated');
    try {
      leadership = await acquireLeadership({ db, url: config.store.url, nodeId, logger, signal: stop });
    } catch (err) {
      if (stop.aborted) return 0;
      throw err;
    }
    logger.info({ epoch: leadership.fence.epoch }, 'leading');
    const exitCode = await leadTerm({
      db,
      leadership,
      config,
      logger,
      clock,
      stop,
      reloads: options.reloads,
    });
    logger.info({ exitCode }, 'stopped');
    return exitCode;
  } finally {
    await leadership?.release();
    await db.close();
  }
}
