// The nodes table: every daemon, leader or standby, records that it is alive,
// so `cronkeeper status` can list the standbys seen recently.
import os from 'node:os';

const STARTED_AT = new Date().toISOString();

export interface NodeRecord {
  nodeId: string;
  role: 'leader' | 'standby';
  epoch: number | null;
  /** Its run spool: with the host, the home of the runs it starts (sql/009_run_homes.sql). */
  spool?: string | undefined;
}

type Query = { query: (sql: string, params: unknown[]) => Promise<unknown> };

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
}

export interface NodeRow {
  nodeId: string;
  host: string;
  pid: number;
  role: string;
  epoch: number | null;
  startedAt: Date;
  seenAt: Date;
}

type Rows = { query<R>(sql: string, params?: readonly unknown[]): Promise<R[]> };

export async function readLeader(db: Rows): Promise<LeaderRow | undefined> {
  const rows = await db.query<{
    epoch: number;
    node_id: string | null;
    since: Date | null;
    heartbeat_at: Date | null;
  }>('SELECT epoch, node_id, since, heartbeat_at FROM cronkeeper_leader WHERE id = 1');
  const r = rows[0];
  return r && { epoch: r.epoch, nodeId: r.node_id, since: r.since, heartbeatAt: r.heartbeat_at };
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
  }>(
    `SELECT node_id, host, pid, role, epoch, started_at, seen_at FROM cronkeeper_nodes
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
  }));
}
