// graphile-worker's schema (its own, `graphile_worker`), installed and brought
// up to date by its own migrator, under cronkeeper's migration lock: two
// daemons or a `cronkeeper migrate` starting at once do not race. Only a
// config with `runOn: <pool>` jobs needs it; the embedded store never does.
import pg from 'pg';
import type { Logger } from 'graphile-worker';
import { pgUrl } from '../text/pg-url.js';
import type { Db } from './db.js';
import { MIGRATION_LOCK_KEY } from './migrate.js';

/** A pool of connections to the store's database for graphile-worker, through the store's primary resolver. */
export function queuePool(db: Db, url: string, max: number, applicationName = 'cronkeeper-queue'): pg.Pool {
  const pool = new pg.Pool({
    connectionString: pgUrl(url),
    ...(db.primary ? { Client: db.primary.clientClass() } : {}),
    max,
    application_name: applicationName,
    keepAlive: true,
    connectionTimeoutMillis: 10_000,
  });
  // An idle client that loses its server emits 'error' on the pool; the next query reconnects. A
  // client in use reports it through its failing query (graphile-worker asks for both handlers).
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  return pool;
}

/** Installs or migrates graphile-worker's schema in the store's database. */
export async function installQueue(db: Db, url: string): Promise<void> {
  const pool = queuePool(db, url, 2);
  try {
    const lock = await pool.connect();
    try {
      await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
      // Loaded here: a daemon without workers never loads graphile-worker.
      const { runMigrations } = await import('graphile-worker');
      await runMigrations({ pgPool: pool, logger: await queueLogger(() => {}) });
    } finally {
      await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => {});
      lock.release();
    }
  } finally {
    await pool.end();
  }
}

/** True for the error of a statement that names graphile-worker's schema before it is installed. */
export function isQueueMissing(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return code === '3F000' || code === '42883' || code === '42P01';
}

/**
 * graphile-worker's log, into `log` (warnings and errors only): what it says
 * of its own workings is a cronkeeper log line at debug, unless it warns.
 */
export async function queueLogger(log: (level: 'warn' | 'error', message: string) => void): Promise<Logger> {
  const { Logger } = await import('graphile-worker');
  return new Logger(() => (level, message) => {
    if (level === 'warning' || level === 'error') log(level === 'error' ? 'error' : 'warn', message);
  });
}
