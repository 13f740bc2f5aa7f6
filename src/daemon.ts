// The boot sequence and the standby/leader cycle — the one module that knows
// all others:
//
// http + metrics up -> open store -> migrate -> [ wait for leadership -> lead
// (restore, catch-up, schedule; see lead/term.ts) -> lost? stand by again ]
// -> on stop: release leadership, close the store.
import os from 'node:os';
import type { Logger } from 'pino';
import type { Clock } from './runtime/clock.js';
import { ClockWatch } from './status/clock-watch.js';
import type { Config } from './config/types.js';
import { StoppedWaitingError, acquireLeadership } from './ha/leadership.js';
import { EpochFloor } from './ha/epoch-floor.js';
import { startHttpServer } from './http/http-server.js';
import { adoptHomeRuns } from './dispatch/home-runs.js';
import { RunDispatcher } from './dispatch/run-dispatcher.js';
import { HandedAttempts } from './dispatch/handed-attempts.js';
import { maxKillGraceMs } from './lead/drain.js';
import { leadTerm } from './lead/term.js';
import type { Fence } from './store/fence.js';
import type { Metrics } from './metrics/metrics.js';
import { NodeState } from './status/node-state.js';
import { readStatus } from './status/read-status.js';
import { recordNodeStopped } from './ha/nodes.js';
import { type CommandServer, serveCommands } from './commands/command-server.js';
import type { Db } from './store/db.js';
import { migrate } from './store/migrate.js';
import { installQueue } from './store/queue-schema.js';
import { openStore } from './store/open-store.js';
import type { Notifier } from './systemd/sd-notify.js';
import { sleep } from './runtime/sleep.js';
import { jobsByName } from './config/jobs-by-name.js';
import { SlotCalculators } from './schedule/slot-calculator.js';

export interface DaemonOptions {
  config: Config;
  logger: Logger;
  clock: Clock;
  metrics: Metrics;
  /** systemd's notification socket (a no-op outside systemd). */
  notifier: Notifier;
  /** Send WATCHDOG=1 this often (ms), from the event loop; undefined: no watchdog. */
  watchdogMs: number | undefined;
  /** Aborted to stop the daemon (SIGTERM/SIGINT). */
  stop: AbortSignal;
  /** Configs accepted on reload (SIGHUP), already validated. */
  reloads?: AsyncIterable<Config>;
  /** Carries out a CLI command line for a CLI beside a daemon on the embedded store (command-server.ts). */
  commandLine?: (argv: string[]) => Promise<number>;
}

export function resolveNodeId(config: Config, env: NodeJS.ProcessEnv = process.env): string {
  return env.CRONKEEPER_NODE_ID || config.ha.nodeId || `${os.hostname()}-${process.pid}`;
}

const MAX_RETRY_MS = 30_000;
const DB_PROBE_MS = 5_000;
const START_EXTENSION_MS = 60_000;
const PROBE_ON_LOSS_MS = 1_000;
const STOPPED_RECORD_MS = 2_000;
/** How often a standby looks for runs a dead daemon of its host left (home-runs.ts), ms. */
const HOME_RUNS_EVERY_MS = 5_000;

/** Runs the daemon until `stop` is aborted; resolves with the process exit code. */
export async function runDaemon(options: DaemonOptions): Promise<number> {
  const { clock, stop, metrics, notifier } = options;
  let config = options.config;
  const nodeId = resolveNodeId(config);
  const logger = options.logger.child({ node: nodeId });
  const node = new NodeState(nodeId, config.jobs.length);
  // Jobs with the same pattern and zone share a calculator: the scheduler's, the controls' and the status reads'.
  const calculators = new SlotCalculators();
  metrics.retainJobs(jobsByName(config.jobs));
  // Wall-clock jumps (against the monotonic clock) and skew against the database: logged and exported.
  const clockWatch = new ClockWatch({ clock, logger, metrics }).start();

  // systemd: READY=1 the first time the node is ready, STATUS= on every change.
  let announcedReady = false;
  node.onChange(() => {
    metrics.ready.set(node.ready ? 1 : 0);
    const ready = node.ready && !announcedReady;
    announcedReady ||= ready;
    notifier.notify({ ...(ready ? { READY: '1' } : {}), STATUS: node.describe() });
  });
  const watchdog = options.watchdogMs
    ? setInterval(() => notifier.notify({ WATCHDOG: '1' }), options.watchdogMs)
    : undefined;
  // A long catch-up runs real jobs before READY=1: keep systemd's start timeout from firing meanwhile.
  const extendStart = setInterval(() => {
    if (!announcedReady) notifier.notify({ EXTEND_TIMEOUT_USEC: String(START_EXTENSION_MS * 1000) });
  }, START_EXTENSION_MS / 3);

  // Reloads reach whichever term is running; a standby keeps the newest config for its next term.
  const listeners = new Set<(c: Config) => void>();
  void (async () => {
    for await (const next of options.reloads ?? []) {
      config = next;
      metrics.configReloads.inc();
      if (listeners.size === 0) logger.info({ jobs: next.jobs.length }, 'config reloaded');
      for (const l of listeners) l(next);
      notifier.notify({ READY: '1', STATUS: node.describe() });
    }
  })();
  const onReload = (listener: (c: Config) => void) => {
    listeners.add(listener);
    return () => listeners.delete(listener);
  };

  let db: Db | undefined;
  // Binds in the background (retrying while the port is taken): HTTP is not the schedule's business.
  const http = startHttpServer({
    listen: config.http.listen,
    token: config.http.token,
    allowedHosts: config.http.allowedHosts,
    state: node,
    metrics,
    logger,
    status: async () => {
      if (!db) throw new Error('the store is not open yet');
      // The readers' connections (Db.readers), never those the claims, finishes and heartbeat use.
      const readers = { kind: db.kind, query: db.readers.query, exec: db.readers.exec };
      return readStatus({
        db: readers,
        config,
        nowMs: clock.now(),
        calculators,
        node: node.view(),
        dropped: metrics.droppedByJob,
      });
    },
  });
  try {
    db = await withRetry(logger, stop, 'opening the store', () => openStore(config.store, logger));
    if (!db) return 0;
    const store = db;
    const probe = setInterval(() => void probeDatabase(store), DB_PROBE_MS);
    let commands: CommandServer | undefined;
    try {
      const applied = await withRetry(logger, stop, 'migrating the schema', () => migrate(store));
      if (applied === undefined) return 0;
      if (applied.length > 0) logger.info({ versions: applied }, 'schema migrated');
      // Jobs run by workers: the queue's schema, before a worker or a hand-off needs it.
      const url = config.store.url;
      if (store.kind === 'postgres' && url !== undefined && config.jobs.some((j) => j.runOn !== undefined)) {
        const done = await withRetry(logger, stop, "installing the workers' queue", () =>
          installQueue(store, url).then(() => true),
        );
        if (done === undefined) return 0;
      }
      setDatabaseUp(true);
      // The embedded store is this process's alone: the CLI's commands that need it are carried out here.
      if (store.kind === 'embedded' && options.commandLine) {
        commands = await serveCommands({
          storeDir: config.store.path,
          logger,
          daemon: () => ({ config, db: store, node: () => node.view() }),
          run: options.commandLine,
        }).catch((err: unknown) => {
          logger.warn({ err }, 'could not open the command socket: the CLI cannot reach this daemon');
          return undefined;
        });
      }
      const exitCode = await cycle(store);
      logger.info({ exitCode }, 'stopped');
      return exitCode;
    } finally {
      clearInterval(probe);
      await commands?.close();
      // Status then tells a stopped node from a dead one; bounded, a dead database must not hold the exit.
      await Promise.race([recordNodeStopped(store, nodeId).catch(() => {}), sleep(STOPPED_RECORD_MS)]);
      await store.close();
    }
  } finally {
    node.update({ role: 'stopping' });
    notifier.notify({ STOPPING: '1', STATUS: 'stopping' });
    if (watchdog) clearInterval(watchdog);
    clockWatch.stop();
    clearInterval(extendStart);
    await http.close();
  }

  function setDatabaseUp(up: boolean): void {
    metrics.databaseUp.set(up ? 1 : 0);
    node.update({ databaseUp: up });
  }

  async function probeDatabase(store: Db): Promise<void> {
    try {
      // The probe reads the database's clock: the skew check comes with it.
      await clockWatch.checkDatabase(store);
      setDatabaseUp(true);
    } catch {
      setDatabaseUp(false);
    }
  }

  async function cycle(store: Db): Promise<number> {
    // The runs outlive the terms: a node that loses leadership contends again at once while they go
    // on, and its next term carries them over. Writes are fenced by the term in force.
    let fence: Fence = { epoch: 0, nodeId };
    const url = config.store.url;
    const handed =
      store.kind === 'postgres' && url !== undefined
        ? new HandedAttempts({
            db: store,
            url,
            clock,
            logger,
            leaseMs: config.ha.leaseMs,
            hostWaitMs: config.ha.hostWaitMs,
            metrics,
          })
        : undefined;
    handed?.watchWorkers();
    const dispatcher = new RunDispatcher({
      db: store,
      logger,
      clock,
      fence: () => fence,
      concurrency: config.concurrency,
      metrics,
      onWaiting: (waiting) => node.update({ waiting }),
      trace: { host: os.hostname(), spool: config.spool.path },
      ...(handed ? { handed } : {}),
    });
    try {
      return await lead(store, dispatcher, (f) => (fence = f));
    } finally {
      // Stopped while standing by (or the store failed): the runs of an earlier term get their grace.
      if (dispatcher.activeCount > 0) {
        logger.info({ running: dispatcher.activeCount }, 'stopping: letting running jobs finish');
        await dispatcher.drain(config.shutdownGraceMs, maxKillGraceMs(config));
      }
      // Runs on workers go on: the next leader follows them.
      await handed?.close();
      await dispatcher.closeLauncher();
    }
  }

  async function lead(
    store: Db,
    dispatcher: RunDispatcher,
    setFence: (fence: Fence) => void,
  ): Promise<number> {
    // Kept across terms: no epoch at or below one this node has seen is ever taken (epoch-floor.ts).
    const epochFloor = new EpochFloor();
    await epochFloor.seeSpool(config.spool.path);
    for (;;) {
      // Not ready until another node is found leading: a node that takes the lock at once (the only
      // one, or the first) must not tell systemd READY=1 before its catch-up.
      node.update({
        role: 'standby',
        epoch: null,
        leaderId: null,
        caughtUp: false,
        catchUp: null,
        standingBy: false,
      });
      let leadership;
      // Another node leads, and cannot read this host's spool: the runs a dead daemon here left are
      // this node's to adopt (home-runs.ts). Done before this node may lead, so a term never judges
      // a run this node is adopting.
      let homeRuns: Promise<unknown> = Promise.resolve();
      let homeRunsAt = -Infinity;
      try {
        leadership = await acquireLeadership({
          db: store,
          url: config.store.url,
          nodeId,
          logger,
          signal: stop,
          leaseMs: config.ha.leaseMs,
          pollMs: config.ha.pollMs,
          spool: config.spool.path,
          epochFloor,
          onDatabaseFailover: () => metrics.databaseFailovers.inc(),
          requireSynchronousReplication: config.store.requireSynchronousReplication,
          onStandingBy: (leaderId) => {
            node.update({ standingBy: true, leaderId });
            // Again every few seconds: the leader hands runs back once its term has judged them.
            if (performance.now() - homeRunsAt >= HOME_RUNS_EVERY_MS) {
              homeRunsAt = performance.now();
              homeRuns = homeRuns
                .then(() =>
                  adoptHomeRuns({
                    db: store,
                    dispatcher,
                    home: dispatcher.trace ?? { host: os.hostname(), spool: config.spool.path },
                    jobs: new Map(config.jobs.map((j) => [j.name, j])),
                    clock,
                    logger,
                  }),
                )
                .catch((err: unknown) => logger.warn({ err }, 'could not adopt the runs left on this host'));
            }
          },
        });
      } catch (err) {
        if (err instanceof StoppedWaitingError) return 0;
        throw err;
      }
      await homeRuns;
      // Not ready, and not counted as leader, from the moment leadership is lost
      // (registered before the term's own handler, so it is in place when the term logs the loss).
      void leadership.lost.then(() => {
        metrics.leader.set(0);
        node.update({ caughtUp: false });
      });
      const epoch = leadership.fence.epoch;
      setFence(leadership.fence);
      logger.info({ epoch }, 'leading');
      metrics.leader.set(1);
      metrics.leaderEpoch.set(epoch);
      metrics.leaderTransitions.inc();
      node.update({ role: 'leader', epoch, leaderId: nodeId, caughtUp: false, standingBy: false });
      try {
        const term = await leadTerm({
          db: store,
          leadership,
          config,
          logger,
          clock,
          stop,
          onReload,
          node,
          metrics,
          calculators,
          dispatcher,
        });
        if (term.reason === 'stopped') return term.exitCode;
        // The embedded store has no other node to take over: a failing store ends the process.
        if (store.kind === 'embedded') return 1;
        // Readiness says at once whether the database answers (a lost lock is
        // most often an outage), not up to a probe interval later; bounded, so a
        // partition does not hold up the next attempt to lead.
        let probed = false;
        await Promise.race([probeDatabase(store).then(() => (probed = true)), sleep(PROBE_ON_LOSS_MS)]);
        if (!probed) setDatabaseUp(false);
        logger.warn('contending for leadership again');
      } finally {
        metrics.leader.set(0);
        metrics.leaderTransitions.inc();
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
