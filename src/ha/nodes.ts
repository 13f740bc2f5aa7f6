// The nodes table: every daemon, leader or standby, records that it is alive,
// so `cronkeeper status` can list the standbys seen recently.
import os from 'node:os';

const STARTED_AT = new Date().toISOString();

export interface NodeRecord {
  nodeId: string;
  role: 'leader' | 'standby';
  epoch: number | null;
}

type Query = { query: (sql: string, params: unknown[]) => Promise<unknown> };

export async function recordNode(q: Query, node: NodeRecord): Promise<void> {
  await q.query(
    `INSERT INTO cronkeeper_nodes (node_id, host, pid, role, epoch, started_at, seen_at)
     VALUES ($1, $2, $3, $4, $5, $6, now())
     ON CONFLICT (node_id) DO UPDATE
     SET host = $2, pid = $3, role = $4, epoch = $5, started_at = $6, seen_at = now()`,
    [node.nodeId, os.hostname(), process.pid, node.role, node.epoch, STARTED_AT],
  );
}
