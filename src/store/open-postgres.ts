// The Postgres server store, through a pg Pool.
import pg from 'pg';
import { type Db, type Queryable, parseInt8 } from './db.js';
import { redactUrl } from '../text/redact-url.js';
import { isReadOnlyError, newPrimaryResolver } from './pg-hosts.js';
import { pgUrl } from '../text/pg-url.js';

const INT8_OID = 20;

// Type parsers scoped to our pool, not pg's global registry.
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID && format !== 'binary') return parseInt8;
    return pg.types.getTypeParser(oid, format);
  },
};

export interface PostgresOptions {
  url: string;
  /** Connections in the pool. */
  max?: number;
  applicationName?: string;
}

/** Connections of the readers' pool (Db.readers): /status reads, at most one refresh at a time, need few. */
export const READER_CONNECTIONS = 2;
/** A status read that takes longer than this is cancelled by the server (ms); the next refresh tries again. */
const READER_STATEMENT_TIMEOUT_MS = 10_000;

export async function openPostgres(options: PostgresOptions): Promise<Db> {
  // Several hosts (or target_session_attrs): each connection goes to the primary (pg-hosts.ts).
  const resolver = newPrimaryResolver(options.url);
  const connection = {
    connectionString: pgUrl(options.url),
    ...(resolver ? { Client: resolver.clientClass() } : {}),
  };
  const pool = new pg.Pool({
    ...connection,
    max: options.max ?? 4,
    types,
    application_name: options.applicationName ?? 'cronkeeper',
    keepAlive: true,
    connectionTimeoutMillis: 10_000,
  });
  // An idle client that loses its server emits 'error' on the pool; without a
  // listener that would crash the process. The next query reconnects.
  pool.on('error', () => {});
  // Fail fast with a clear error when the server is unreachable.
  const client = await pool.connect();
  client.release();
  // A statement refused as read-only: the server was demoted; its connection is dropped (pg-pool
  // drops a connection whose query failed) and the next one looks for the primary.
  const noticeReadOnly = (err: unknown): never => {
    if (isReadOnlyError(err)) resolver?.invalidate();
    throw err;
  };
  const asQueryable = (q: pg.Pool | pg.PoolClient): Queryable => ({
    async query<R>(sql: string, params?: readonly unknown[]) {
      const res = await q.query(sql, params as unknown[] | undefined).catch(noticeReadOnly);
      return res.rows as R[];
    },
    async exec(sql: string) {
      await q.query(sql).catch(noticeReadOnly);
    },
  });
  const root = asQueryable(pool);
  // Opened on first use: a CLI command or a daemon nobody asks for /status never connects it.
  const readerPool = new pg.Pool({
    ...connection,
    max: READER_CONNECTIONS,
    types,
    application_name: `${options.applicationName ?? 'cronkeeper'} readers`,
    keepAlive: true,
    connectionTimeoutMillis: 10_000,
    statement_timeout: READER_STATEMENT_TIMEOUT_MS,
    idleTimeoutMillis: 30_000,
  });
  readerPool.on('error', () => {});
  return {
    kind: 'postgres',
    ...(resolver ? { primary: resolver } : {}),
    location: redactUrl(options.url),
    query: root.query,
    exec: root.exec,
    readers: asQueryable(readerPool),
    async transaction(fn) {
      const c = await pool.connect();
      let broken: Error | undefined;
      try {
        await c.query('BEGIN');
        const result = await fn(asQueryable(c));
        await c.query('COMMIT');
        return result;
      } catch (err) {
        // On a demoted server the connection is dropped, not kept for the next transaction.
        if (isReadOnlyError(err)) broken = err as Error;
        await c.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        c.release(broken);
      }
    },
    async listen(channel, onNotify) {
      const client = new (resolver ? resolver.clientClass() : pg.Client)({
        connectionString: pgUrl(options.url),
        application_name: `${options.applicationName ?? 'cronkeeper'} listen`,
        keepAlive: true,
        connectionTimeoutMillis: 10_000,
      });
      const ended = new Promise<void>((resolve) => {
        client.on('error', () => resolve());
        client.on('end', () => resolve());
      });
      client.on('notification', (n) => {
        if (n.channel === channel) onNotify(n.payload);
      });
      try {
        await client.connect();
        await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
      } catch (err) {
        await client.end().catch(() => {});
        throw err;
      }
      return { ended, close: () => client.end().catch(() => {}) };
    },
    async close() {
      await Promise.all([pool.end(), readerPool.end()]);
    },
  };
}
