// `cronkeeper worker --pool NAME [--concurrency N]`: runs the attempts the
// leader hands to one pool (runOn: NAME), on any host with the same config
// and the same database. Its signals:
//   SIGTERM/SIGINT  graceful stop: takes no more runs, lets those in progress
//                   finish within shutdownGrace, then stops them; exit 0
//   again           exit at once (128 + signal number), job process groups killed
//   SIGHUP          ignored (logged): a worker reads its config at start only
import crypto from 'node:crypto';
import os from 'node:os';
import { systemClock } from '../runtime/clock.js';
import { createLogger, flushLog, flushLogSync } from '../runtime/logger.js';
import { killAllJobProcessGroups } from '../run/command-run.js';
import { migrate } from '../store/migrate.js';
import { openPostgres } from '../store/open-postgres.js';
import { installQueue } from '../store/queue-schema.js';
import { createNotifier, watchdogIntervalMs } from '../systemd/sd-notify.js';
import { WORKER_APPLICATION, WorkerProcess, workerConnections } from '../worker/worker-process.js';
import { UsageError, readConfig } from './common.js';

export async function workerCommand(
  configFile: string | undefined,
  opts: { pool: string | undefined; concurrency: string | undefined; pretty: boolean; insecure: boolean },
): Promise<number> {
  const pool = opts.pool;
  if (pool === undefined || pool === '')
    throw new UsageError('worker needs --pool NAME (the runOn of its jobs)');
  const concurrency = opts.concurrency === undefined ? 4 : Number(opts.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 1000)
    throw new UsageError(`--concurrency must be a whole number from 1 to 1000, got '${opts.concurrency}'`);
  const config = await readConfig(configFile, { insecure: opts.insecure });
  const url = config.store.url;
  if (url === undefined)
    throw new UsageError(
      "a worker needs the Postgres store its leader uses (store.url); the embedded store is one process's",
    );
  if (!config.jobs.some((j) => j.runOn === pool))
    throw new UsageError(`no job of ${config.file} runs on pool '${pool}' (runOn: ${pool})`);
  const logger = createLogger({ pretty: opts.pretty });
  const workerId = `${os.hostname()}-${process.pid}-${crypto.randomBytes(3).toString('hex')}`;
  logger.info(
    { config: config.file, pool, concurrency, workerId, pid: process.pid },
    'cronkeeper worker starting',
  );
  const notifier = createNotifier(process.env, logger);
  const watchdogMs = watchdogIntervalMs(process.env);
  for (const name of ['NOTIFY_SOCKET', 'WATCHDOG_USEC', 'WATCHDOG_PID']) delete process.env[name];
  const watchdog = watchdogMs ? setInterval(() => notifier.notify({ WATCHDOG: '1' }), watchdogMs) : undefined;
  let stopping: ((signal: NodeJS.Signals) => void) | undefined;
  const stopped = new Promise<NodeJS.Signals>((resolve) => (stopping = resolve));
  const onStop = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.info({ signal }, 'stop requested');
      notifier.notify({ STOPPING: '1', STATUS: 'stopping: letting running jobs finish' });
      stopping(signal);
      stopping = undefined;
      return;
    }
    const killed = killAllJobProcessGroups();
    logger.warn({ signal, killedJobs: killed }, 'second stop signal: exiting now');
    flushLogSync(logger);
    process.exit(128 + (os.constants.signals[signal] ?? 15));
  };
  process.on('SIGTERM', onStop);
  process.on('SIGINT', onStop);
  // Its default would end the worker: a worker reads its config at start only.
  process.on('SIGHUP', () => logger.warn('a worker does not reload its config: restart it to read it again'));
  // Named so that an operator tells a worker's connections apart in pg_stat_activity.
  const db = await openPostgres({
    url,
    applicationName: WORKER_APPLICATION,
    max: workerConnections(concurrency),
  });
  logger.info({ store: db.kind, location: db.location }, 'store opened');
  try {
    await migrate(db);
    await installQueue(db, url);
    const worker = new WorkerProcess({
      config,
      db,
      url,
      pool,
      concurrency,
      workerId,
      host: os.hostname(),
      logger,
      clock: systemClock,
    });
    await worker.start();
    notifier.notify({ READY: '1', STATUS: `worker of pool ${pool}, ${concurrency} at a time` });
    await stopped;
    await worker.stop(config.shutdownGraceMs);
    logger.info('stopped');
    return 0;
  } catch (err) {
    logger.fatal({ err }, (err as Error).message);
    return 1;
  } finally {
    if (watchdog) clearInterval(watchdog);
    await db.close();
    await notifier.close();
    await flushLog(logger);
  }
}
