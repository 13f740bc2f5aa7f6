// Who may run jobs. On the Postgres server: the holder of a session advisory
// lock on a dedicated connection, which Postgres frees the moment that
// connection dies. On the embedded store: this process, by construction (the
// store is locked to one process). Either way, a new leader takes the next
// epoch, which fences every write of any earlier leader.
import pg from 'pg';
import type { Logger } from 'pino';
import type { Db } from '../store/db.js';
import { type Fence, bumpEpoch } from '../store/fence.js';

/** Advisory lock key for leadership ("cklk"). */
export const LEADER_LOCK_KEY = 0x636b6c6b;

export interface Leadership {
  readonly fence: Fence;
  /** Resolves when leadership is lost (the lock connection died); never for the embedded store. */
  readonly lost: Promise<Error>;
  /** Gives leadership up (closes the lock connection). Idempotent. */
  release(): Promise<void>;
}

export interface LeadershipOptions {
  db: Db;
  /** The Postgres URL, for the dedicated lock connection; ignored for the embedded store. */
  url: string | undefined;
  nodeId: string;
  logger: Logger;
  /** Aborts the wait for leadership (e.g. SIGTERM while standing by). */
  signal: AbortSignal;
  pollMs?: number;
}

export async function acquireLeadership(options: LeadershipOptions): Promise<Leadership> {
  const { db, nodeId, logger } = options;
  if (db.kind === 'embedded' || options.url === undefined) {
    logger.info('embedded store: one process only, no leader election needed');
    const fence = await bumpEpoch(db, nodeId);
    return { fence, lost: new Promise<Error>(() => {}), release: async () => {} };
  }
  const client = new pg.Client({
    connectionString: options.url,
    application_name: `cronkeeper-leader ${nodeId}`,
  });
  let lostResolve!: (err: Error) => void;
  const lost = new Promise<Error>((resolve) => (lostResolve = resolve));
  let released = false;
  client.on('error', (err) => lostResolve(err));
  client.on('end', () => {
    if (!released) lostResolve(new Error('the leader lock connection closed'));
  });
  await client.connect();
  const pollMs = options.pollMs ?? 500;
  let announced = false;
  try {
    for (;;) {
      if (options.signal.aborted) throw new Error('stopped while waiting for leadership');
      const res = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [
        LEADER_LOCK_KEY,
      ]);
      if (res.rows[0]?.ok) break;
      if (!announced) {
        logger.info('another node leads: standing by until the leader lock is free');
        announced = true;
      }
      await sleep(pollMs, options.signal);
    }
  } catch (err) {
    released = true;
    await client.end().catch(() => {});
    throw err;
  }
  const fence = await bumpEpoch(db, nodeId);
  return {
    fence,
    lost,
    async release() {
      if (released) return;
      released = true;
      await client.end().catch(() => {});
    },
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
