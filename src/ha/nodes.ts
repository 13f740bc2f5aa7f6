// The nodes table: every daemon, leader or standby, records that it is alive,
// so `cronkeeper status` can list the standbys seen recently.
import os from 'node:os';

/** Advisory lock key for leadership ("cklk"). */
export const LEADER_LOCK_KEY = 0x636b6c6b;

/** How often a node records itself at least, leader or standby (more often with a shorter ha.poll). */
export const NODE_RECORD_MS = 2_000;

const STARTED_AT = new Date().toISOString();

export interface NodeRecord {
  nodeId: string;
  role: 'leader' | 'standby';
  epoch: number | null;
  /** Its run spool: with the host, the home of the runs it starts (sql/009_run_homes.sql). */
  spool?: string | undefined;
}

type Query = { query: (sql: string, params: unknown[]) => Promise<unknown> };

/** A graceful stop is recorded, so status tells a stopped node from a dead one. */
export async function recordNodeStopped(q: Query, nodeId: string): Promise<void> {
  await q.query(
    `UPDATE cronkeeper_nodes SET role = 'stopped', epoch = NULL, seen_at = now() WHERE node_id = $1`,
    [nodeId],
  );
}

export async function recordNode(q: Query, node: NodeRecord): Promise<void> {
  await q.query(
    `INSERT INTO cronkeeper_nodes (node_id, host, pid, role, epoch, started_at, seen_at, spool)
     VALUES ($1, $2, $3, $4, $5, $6, now(), $7)
     ON CONFLICT (node_id) DO UPDATE
     SET host = $2, pid = $3, role = $4, epoch = $5, started_at = $6, seen_at = now(), spool = $7`,
    [node.nodeId, os.hostname(), process.pid, node.role, node.epoch, STARTED_AT, node.spool ?? null],
  );
}

export interface LeaderRow {
  epoch: number;
  nodeId: string | null;
  since: Date | null;
  heartbeatAt: Date | null;
  /** now() − heartbeat_at on the server's clock, so a skewed client clock cannot make a dead leader look alive. */
  heartbeatAgeMs: number | null;
  /** Whether its session still holds the leader lock (Postgres); null for the embedded store, which has no lock. */
  lockHeld: boolean | null;
}

export interface NodeRow {
  nodeId: string;
  host: string;
  pid: number;
  /** As the node last recorded it: leader, standby, or stopped (a graceful stop). */
  role: string;
  epoch: number | null;
  startedAt: Date;
  seenAt: Date;
  /** now() − seen_at on the server's clock. */
  seenAgeMs: number;
}

type Rows = {
  kind?: 'postgres' | 'embedded';
  query<R>(sql: string, params?: readonly unknown[]): Promise<R[]>;
};

/**
 * The leader row, and whether its holder is alive as far as the store can tell:
 * its session still holds the advisory lock (pg_locks: a single bigint key shows
 * as classid = high 32 bits, objid = low 32 bits, objsubid 1).
 */
export async function readLeader(db: Rows): Promise<LeaderRow | undefined> {
  const postgres = db.kind !== 'embedded';
  const rows = await db.query<{
    epoch: number;
    node_id: string | null;
    since: Date | null;
    heartbeat_at: Date | null;
    heartbeat_age_ms: number | null;
    lock_held: boolean | null;
  }>(
    `SELECT epoch, node_id, since, heartbeat_at,
            (extract(epoch FROM now() - heartbeat_at) * 1000)::float8 AS heartbeat_age_ms,
            ${
              postgres
                ? `EXISTS (SELECT 1 FROM pg_locks k
                    WHERE k.locktype = 'advisory' AND k.granted AND k.pid = l.backend_pid
                      AND k.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                      AND k.classid = 0 AND k.objid = ${LEADER_LOCK_KEY} AND k.objsubid = 1)`
                : 'NULL::boolean'
            } AS lock_held
     FROM cronkeeper_leader l WHERE id = 1`,
  );
  const r = rows[0];
  return (
    r && {
      epoch: r.epoch,
      nodeId: r.node_id,
      since: r.since,
      heartbeatAt: r.heartbeat_at,
      heartbeatAgeMs: r.heartbeat_age_ms,
      lockHeld: r.lock_held,
    }
  );
}

/** Nodes seen within `withinMs`, most recently seen first. */
export async function readNodes(db: Rows, withinMs: number): Promise<NodeRow[]> {
  const rows = await db.query<{
    node_id: string;
    host: string;
    pid: number;
    role: string;
    epoch: number | null;
    started_at: Date;
    seen_at: Date;
    seen_age_ms: number;
  }>(
    `SELECT node_id, host, pid, role, epoch, started_at, seen_at,
            (extract(epoch FROM now() - seen_at) * 1000)::float8 AS seen_age_ms
     FROM cronkeeper_nodes
     WHERE seen_at > now() - make_interval(secs => $1) ORDER BY seen_at DESC`,
    [withinMs / 1000],
  );
  return rows.map((r) => ({
    nodeId: r.node_id,
    host: r.host,
    pid: r.pid,
    role: r.role,
    epoch: r.epoch,
    startedAt: r.started_at,
    seenAt: r.seen_at,
    seenAgeMs: r.seen_age_ms,
  }));
}
