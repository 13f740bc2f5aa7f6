// A Postgres database for the HA pair, on a server the container reaches over
// the host's network (nspawn shares it): DATABASE_URL when it names a TCP host,
// else the server on 127.0.0.1:5432 (user postgres, trust auth), else a
// throwaway cluster (scripts/pg-cluster.ts). The database is made empty here;
// the daemons migrate it themselves, as on a fresh install.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { type PgCluster, startCluster } from '../../../scripts/pg-cluster.js';

export interface PairDatabase {
  /** The database's URL, for the nodes' configs and for the test's queries. */
  url: string;
  query<T extends pg.QueryResultRow>(sql: string, values?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

const LOCAL = 'postgres://postgres@127.0.0.1:5432/postgres';

async function answers(url: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  try {
    await c.connect();
    await c.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => {});
  }
}

async function server(): Promise<{ admin: string; cluster?: PgCluster }> {
  const env = process.env.DATABASE_URL;
  // A Unix socket's directory is not in the container.
  if (env && new URL(env).hostname !== '' && (await answers(env))) return { admin: env };
  if (await answers(LOCAL)) return { admin: LOCAL };
  const cluster = await startCluster();
  return { admin: cluster.url, cluster };
}

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

export async function createPairDatabase(): Promise<PairDatabase> {
  const { admin, cluster } = await server();
  const name = `cronkeeper_systemd_${randomBytes(4).toString('hex')}`;
  await withClient(admin, (c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    query: (sql, values) => withClient(url.toString(), async (c) => (await c.query(sql, values)).rows),
    async drop() {
      // FORCE: a node the container's shutdown left connected must not keep the database.
      await withClient(admin, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
      cluster?.destroy();
    },
  };
}
