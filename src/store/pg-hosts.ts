// Following the primary of a replicated Postgres. `store.url` may list several
// hosts the way libpq does — postgres://h1:5432,h2:5433/db — and say
// `target_session_attrs=read-write` (the default when it lists several): every
// connection then goes to a server that is not in recovery, found by trying
// the hosts in order. node-postgres knows one host per URL, so each connection
// is made by a pg.Client whose host is chosen just before it connects
// (PrimaryClient), from the host last found to be the primary, and checked once
// connected; a connection that finds a server in recovery, or a statement
// refused as read-only (SQLSTATE 25006: a demoted primary), makes the next
// connection look for the primary again.
import pg from 'pg';
import { type PgHost, type PgTarget, needsPrimaryResolver, parsePgTarget, pgUrl } from '../text/pg-url.js';

/** How long one host may take to answer while the primary is looked for (ms). */
const PROBE_TIMEOUT_MS = 3_000;

/**
 * Knows which host is the primary, and finds it again when told it may have
 * moved. Shared by every connection to one URL (pools, the leader lock, LISTEN).
 */
export class PrimaryResolver {
  private current: PgHost | undefined;
  private finding: Promise<PgHost> | undefined;

  constructor(readonly target: PgTarget) {}

  /** The primary's host: the one known, or the first host found to be one. */
  primary(): Promise<PgHost> {
    if (this.current) return Promise.resolve(this.current);
    this.finding ??= this.find().finally(() => (this.finding = undefined));
    return this.finding;
  }

  /** The primary may have moved: the next connection looks for it again. */
  invalidate(): void {
    this.current = undefined;
  }

  private async find(): Promise<PgHost> {
    const problems: string[] = [];
    for (const host of this.target.hosts) {
      const client = new pg.Client({
        connectionString: this.target.url,
        connectionTimeoutMillis: PROBE_TIMEOUT_MS,
        query_timeout: PROBE_TIMEOUT_MS,
        application_name: 'cronkeeper probe',
      });
      aimAt(client, host);
      client.on('error', () => {});
      try {
        await client.connect();
        const inRecovery = this.target.readWrite ? await isInRecovery(client) : false;
        if (inRecovery) {
          problems.push(`${host.host}:${host.port} is in recovery (a standby)`);
          continue;
        }
        this.current = host;
        return host;
      } catch (err) {
        problems.push(`${host.host}:${host.port}: ${(err as Error).message}`);
      } finally {
        await client.end().catch(() => {});
      }
    }
    throw new Error(`no primary among the store's hosts (${problems.join('; ')})`);
  }

  /** A pg.Client class for pg.Pool's `Client` option, or to construct directly: see PrimaryClient. */
  clientClass(): typeof pg.Client {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const resolver = this;
    return class PrimaryClient extends pg.Client {
      override connect(): Promise<pg.Client>;
      override connect(callback: ((err: Error) => void) | ((err: null, c: pg.Client) => void)): void;
      override connect(
        callback?: ((err: Error) => void) | ((err: null, c: pg.Client) => void),
      ): Promise<pg.Client> | void {
        const connected = (async () => {
          const host = await resolver.primary();
          aimAt(this, host);
          try {
            await super.connect();
          } catch (err) {
            // Gone, most likely: the next connection looks for the primary again.
            resolver.invalidate();
            throw err;
          }
          if (resolver.target.readWrite && (await isInRecovery(this).catch(() => true))) {
            resolver.invalidate();
            await this.end().catch(() => {});
            throw new Error(`${host.host}:${host.port} is no longer the primary (in recovery)`);
          }
          // A connection that breaks (the server gone, a failover terminating its sessions) says the
          // primary may have moved before the next connection is tried at the old one and fails.
          this.on('error', () => resolver.invalidate());
          return this;
        })();
        if (!callback) return connected;
        connected.then(
          (c) => (callback as (err: null, c: pg.Client) => void)(null, c),
          (err: Error) => (callback as (err: Error) => void)(err),
        );
      }
    };
  }
}

/**
 * Points a client not yet connected at `host`: pg takes host and port from the connection string
 * over the config's, and connects to the client's own fields.
 */
function aimAt(client: pg.Client, host: PgHost): void {
  const c = client as unknown as { host: string; port: number };
  c.host = host.host;
  c.port = host.port;
}

async function isInRecovery(client: pg.Client): Promise<boolean> {
  const res = await client.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r');
  return res.rows[0]?.r === true;
}

/** True for an error that says the server is read-only: the primary has moved. */
export function isReadOnlyError(err: unknown): boolean {
  return (err as { code?: string } | null)?.code === READ_ONLY_SQLSTATE;
}

/** A statement refused because the server is read-only (in recovery, or a read-only transaction). */
export const READ_ONLY_SQLSTATE = '25006';

/**
 * A resolver of `url`'s primary, or undefined for a plain single-host URL.
 * The store makes one (Db.primary) and every connection to `url` it or the
 * leader lock makes goes through it: what one learns, the others use.
 */
export function newPrimaryResolver(url: string): PrimaryResolver | undefined {
  if (pgUrl(url) === url) return undefined;
  const target = parsePgTarget(url);
  return needsPrimaryResolver(target) ? new PrimaryResolver(target) : undefined;
}
