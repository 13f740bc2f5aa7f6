// Who may run jobs.
//
// On the Postgres server: the holder of a session advisory lock on a dedicated
// connection. Postgres frees it the moment that connection dies (a killed
// process: within milliseconds). A frozen process (SIGSTOP, a hung VM, a
// partition) keeps its connection open, so the leader heartbeats on that
// connection and asks the server to end it once it has been silent for the
// lease (idle_session_timeout); a standby also ends the session of a leader
// whose heartbeat is older than two leases, for servers without that setting.
// A new leader takes the next epoch, which fences every write of any earlier
// one (see store/fence.ts).
//
// On the embedded store: this process, by construction (the store is locked to
// one process). No election.
import pg from 'pg';
import type { Logger } from 'pino';
import type { Db } from '../store/db.js';
import { type Fence, FencedError, bumpEpoch } from '../store/fence.js';
import { LEADER_LOCK_KEY, NODE_RECORD_MS, recordNode } from './nodes.js';
import { sleep } from '../runtime/sleep.js';
import { isReadOnlyError } from '../store/pg-hosts.js';
import { pgUrl } from '../text/pg-url.js';
import type { EpochFloor } from './epoch-floor.js';
import { readTimeline, recordTimeline } from '../store/database-timeline.js';

export interface Leadership {
  readonly fence: Fence;
  /** Resolves when leadership is lost (lock connection died, heartbeat failed or fenced); never for the embedded store. */
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
  /** A leader silent this long loses leadership (ms). */
  leaseMs: number;
  /** How often a standby tries the lock (ms). */
  pollMs: number;
  /**
   * Called when another node is found holding the leader lock (this one then waits for it), with
   * the leader's node id as the store records it (null before a leader has recorded itself).
   */
  onStandingBy?: (leaderId: string | null) => void;
  /** This node's run spool, recorded with it (see NodeRecord). */
  spool?: string;
  /** The highest epoch this node has seen: the next taken is above it (see epoch-floor.ts). */
  epochFloor?: EpochFloor;
  /** Called when this node is the first to find the database on a new timeline or cluster. */
  onDatabaseFailover?: () => void;
  /** store.requireSynchronousReplication: lead only where every commit waits for a standby. */
  requireSynchronousReplication?: boolean;
}

export class StoppedWaitingError extends Error {
  override name = 'StoppedWaitingError';
}

export async function acquireLeadership(o: LeadershipOptions): Promise<Leadership> {
  const { db, nodeId, logger } = o;
  if (db.kind === 'embedded' || o.url === undefined) {
    logger.info('embedded store: one process only, no leader election needed');
    if (o.requireSynchronousReplication)
      logger.warn(
        'store.requireSynchronousReplication has no effect on the embedded store (it is not replicated)',
      );
    const fence = await bumpEpoch(db, nodeId);
    return { fence, lost: new Promise<Error>(() => {}), release: async () => {} };
  }
  let announced = false;
  let unreachable = false;
  for (let backoffMs = o.pollMs; ;) {
    if (o.signal.aborted) throw new StoppedWaitingError('stopped while waiting for leadership');
    let client: pg.Client | undefined;
    try {
      client = await connectLockClient(o);
      if (unreachable) logger.info('database reachable again');
      unreachable = false;
      backoffMs = o.pollMs;
      const fence = await waitForLock(client, o, (leaderId) => {
        if (!announced) logger.info('another node leads: standing by until the leader lock is free');
        announced = true;
        o.onStandingBy?.(leaderId);
      });
      return holdLeadership(client, fence, o);
    } catch (err) {
      await client?.end().catch(() => {});
      if (err instanceof StoppedWaitingError) throw err;
      if (!unreachable) logger.warn({ err }, 'database unreachable while standing by; retrying with backoff');
      unreachable = true;
      await sleep(backoffMs, o.signal);
      backoffMs = Math.min(backoffMs * 2, 5_000);
    }
  }
}

async function connectLockClient(o: LeadershipOptions): Promise<pg.Client> {
  // Several hosts (or target_session_attrs): the lock is taken on the primary (pg-hosts.ts).
  const url = o.url!;
  const client = new (o.db.primary?.clientClass() ?? pg.Client)({
    connectionString: pgUrl(url),
    application_name: `cronkeeper-leader-lock ${o.nodeId}`,
    keepAlive: true,
    keepAliveInitialDelayMillis: 1_000,
    connectionTimeoutMillis: Math.max(2_000, o.leaseMs),
    // A heartbeat that hangs (partition) must fail within the lease.
    query_timeout: o.leaseMs,
  });
  client.on('error', () => {}); // reported through the failing query or `lost`
  await client.connect();
  await noticeFailover(client, o);
  return client;
}

/** Records the server this lock connection is on; a new timeline or cluster is a failover: logged, counted. */
async function noticeFailover(client: pg.Client, o: LeadershipOptions): Promise<void> {
  const now = await readTimeline(client);
  if (!now) return;
  const seen = await recordTimeline(client, now, o.nodeId).catch(() => undefined);
  if (!seen?.before) return;
  o.logger.warn(
    {
      fromTimeline: seen.before.timeline,
      toTimeline: now.timeline,
      ...(seen.before.systemIdentifier !== now.systemIdentifier
        ? { fromSystem: seen.before.systemIdentifier, toSystem: now.systemIdentifier }
        : {}),
    },
    seen.before.systemIdentifier !== now.systemIdentifier
      ? 'the database failed over: another database cluster serves the store'
      : 'the database failed over: a new primary serves the store (new timeline)',
  );
  o.onDatabaseFailover?.();
}

/** Polls the advisory lock until it is ours; then takes the next epoch. */
async function waitForLock(
  client: pg.Client,
  o: LeadershipOptions,
  onWaiting: (leaderId: string | null) => void,
): Promise<Fence> {
  let lastNodeRecord = -Infinity; // the first look records the node
  let refusal: string | undefined;
  for (;;) {
    if (o.signal.aborted) throw new StoppedWaitingError('stopped while waiting for leadership');
    if (o.requireSynchronousReplication) {
      const problem = await synchronousReplicationProblem(client);
      if (problem !== refusal) {
        if (problem) {
          o.logger.error(
            { problem },
            `refusing to lead: store.requireSynchronousReplication is set and ${problem}; a claim committed here could be lost in a failover`,
          );
        } else if (refusal) o.logger.info('synchronous replication is in place: contending for leadership');
        refusal = problem;
      }
      if (problem) {
        await sleep(o.pollMs, o.signal);
        continue;
      }
    }
    const res = await client.query<{ ok: boolean; epoch: string | null; leader: string | null }>(
      `SELECT pg_try_advisory_lock($1) AS ok, l.epoch::text AS epoch, l.node_id AS leader
       FROM (SELECT 1) AS one LEFT JOIN cronkeeper_leader l ON l.id = 1`,
      [LEADER_LOCK_KEY],
    );
    o.epochFloor?.see(Number(res.rows[0]?.epoch ?? 0));
    if (res.rows[0]?.ok) break;
    onWaiting(res.rows[0]?.leader ?? null);
    if (performance.now() - lastNodeRecord >= NODE_RECORD_MS) {
      lastNodeRecord = performance.now();
      await recordNode(client, { nodeId: o.nodeId, role: 'standby', epoch: null, spool: o.spool });
      await endStaleLeader(client, o);
    }
    await sleep(o.pollMs, o.signal);
  }
  // Only now that we hold the lock: a silent session is ended by the server.
  // Older servers (< 14) lack the setting; the standby-side check then applies.
  await client.query(`SET idle_session_timeout = ${Math.round(o.leaseMs)}`).catch(() => {});
  const fence = await takeEpoch(client, o);
  await recordNode(client, { nodeId: o.nodeId, role: 'leader', epoch: fence.epoch, spool: o.spool });
  return fence;
}

/**
 * Why this server cannot promise that a committed claim survives a failover, or undefined when its
 * settings make every commit wait for a synchronous standby.
 */
export async function synchronousReplicationProblem(client: pg.Client): Promise<string | undefined> {
  const res = await client.query<{ commit: string; names: string }>(
    `SELECT current_setting('synchronous_commit') AS commit, current_setting('synchronous_standby_names') AS names`,
  );
  const { commit, names } = res.rows[0]!;
  if (names.trim() === '') return 'synchronous_standby_names is empty (no standby is synchronous)';
  if (commit === 'off' || commit === 'local') return `synchronous_commit is '${commit}'`;
  return undefined;
}

/**
 * The leader's session is ended when its heartbeat is older than two leases:
 * it is frozen or cut off, and its lock would otherwise be held forever.
 */
async function endStaleLeader(client: pg.Client, o: LeadershipOptions): Promise<void> {
  const res = await client.query<{ node_id: string; backend_pid: number; silent_ms: number; ended: boolean }>(
    `SELECT node_id, backend_pid, (extract(epoch FROM now() - heartbeat_at) * 1000)::float8 AS silent_ms,
            pg_terminate_backend(backend_pid) AS ended
     FROM cronkeeper_leader
     WHERE id = 1 AND backend_pid IS NOT NULL AND heartbeat_at < now() - make_interval(secs => $1)`,
    [(2 * o.leaseMs) / 1000],
  );
  const r = res.rows[0];
  if (r?.ended) {
    o.logger.warn(
      { leader: r.node_id, silentMs: Math.round(r.silent_ms) },
      'ended the session of a leader whose heartbeat stopped',
    );
  }
}

/**
 * Takes the next epoch — above both the leader row's and every epoch this node has seen (a failover
 * may have lost the last bump) — recording the lock session's backend pid for endStaleLeader.
 */
async function takeEpoch(client: pg.Client, o: LeadershipOptions): Promise<Fence> {
  const floor = o.epochFloor?.value ?? 0;
  const res = await client.query<{ epoch: string; was: string }>(
    `UPDATE cronkeeper_leader l
     SET epoch = GREATEST(l.epoch, $2) + 1, node_id = $1, since = now(), heartbeat_at = now(),
         backend_pid = pg_backend_pid()
     FROM (SELECT epoch FROM cronkeeper_leader WHERE id = 1) was
     WHERE l.id = 1 RETURNING l.epoch::text AS epoch, was.epoch::text AS was`,
    [o.nodeId, floor],
  );
  const row = res.rows[0];
  if (row === undefined) throw new Error('cronkeeper_leader has no row: the schema is not migrated');
  if (Number(row.was) < floor) {
    o.logger.warn(
      { storeEpoch: Number(row.was), seenEpoch: floor, epoch: Number(row.epoch) },
      "the store's leader epoch is below one this node has seen: the database lost writes (a failover with asynchronous replication?); the new epoch is taken above both",
    );
  }
  o.epochFloor?.see(Number(row.epoch));
  return { epoch: Number(row.epoch), nodeId: o.nodeId };
}

/** Heartbeats on the lock connection until it fails, is fenced, or is released. */
function holdLeadership(client: pg.Client, fence: Fence, o: LeadershipOptions): Leadership {
  let released = false;
  let resolveLost!: (err: Error) => void;
  const lost = new Promise<Error>((resolve) => (resolveLost = resolve));
  const lose = (err: Error): void => {
    if (released) return;
    released = true;
    clearInterval(beat);
    resolveLost(err);
    void client.end().catch(() => {});
  };
  client.on('error', (err) => lose(err));
  client.on('end', () => lose(new Error('the leader lock connection closed')));
  // The lease is measured on the monotonic clock: a wall-clock step (NTP, an operator's `date`)
  // longer than the lease must not end a term whose heartbeats all succeeded.
  let lastOk = performance.now();
  let beating = false;
  const beat = setInterval(
    () => {
      // A heartbeat that has not succeeded within the lease means the server may
      // already have ended the session: stop leading now, not when it says so.
      const silentMs = performance.now() - lastOk;
      if (silentMs > o.leaseMs) {
        lose(new Error(`no successful heartbeat for ${Math.round(silentMs)} ms (lease ${o.leaseMs} ms)`));
        return;
      }
      if (beating) return;
      beating = true;
      client
        .query<{ ok: number }>(
          'UPDATE cronkeeper_leader SET heartbeat_at = now() WHERE id = 1 AND epoch = $1 RETURNING 1 AS ok',
          [fence.epoch],
        )
        .then(async (res) => {
          if (res.rows.length === 0) {
            const cur = await client.query<{ epoch: string }>(
              'SELECT epoch::text AS epoch FROM cronkeeper_leader',
            );
            o.epochFloor?.see(Number(cur.rows[0]?.epoch ?? 0));
            return lose(new FencedError(fence.epoch, Number(cur.rows[0]?.epoch ?? 0)));
          }
          lastOk = performance.now();
          if (lastOk - lastNodeRecord >= NODE_RECORD_MS) {
            lastNodeRecord = lastOk;
            await recordNode(client, {
              nodeId: o.nodeId,
              role: 'leader',
              epoch: fence.epoch,
              spool: o.spool,
            });
          }
        })
        .catch((err: Error) => {
          // Refused as read-only: the server was demoted; the next lock is sought on the new primary.
          if (isReadOnlyError(err)) o.db.primary?.invalidate();
          lose(err);
        })
        .finally(() => (beating = false));
    },
    Math.max(50, Math.floor(o.leaseMs / 4)),
  );
  let lastNodeRecord = performance.now();
  return {
    fence,
    lost,
    async release() {
      if (released) return;
      released = true;
      clearInterval(beat);
      // Closing the session frees the advisory lock at once for a standby.
      await client.end().catch(() => {});
    },
  };
}
