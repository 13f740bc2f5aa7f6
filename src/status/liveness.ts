// Who is alive, from facts rather than from the last row a node wrote: a
// leader leads only while its session holds the leader lock and its heartbeat
// is fresher than the lease; a node is gone once it has been silent for longer
// than it ever waits between records. Pure: the ages come from the store's clock.
import { type LeaderRow, NODE_RECORD_MS, type NodeRow } from '../ha/nodes.js';

export type NodeRole = 'leader' | 'standby' | 'gone' | 'stopped';

export interface LivenessInput {
  leader: LeaderRow | undefined;
  nodes: readonly NodeRow[];
  leaseMs: number;
  pollMs: number;
  /** The serving daemon on the embedded store, which has neither lock nor heartbeat: its own word is the fact. */
  self?: { nodeId: string; leading: boolean };
}

export interface LeaderLiveness {
  nodeId: string;
  epoch: number;
  alive: boolean;
  /** Why it is not alive; null when it is. */
  why: string | null;
}

/** How long a node may go unrecorded before it counts as gone. */
export function goneAfterMs(leaseMs: number, pollMs: number): number {
  return 2 * Math.max(leaseMs, pollMs, NODE_RECORD_MS) + 1_000;
}

export function leaderLiveness(i: LivenessInput): LeaderLiveness | null {
  const l = i.leader;
  if (!l || l.nodeId === null) return null;
  const base = { nodeId: l.nodeId, epoch: l.epoch };
  if (l.lockHeld === null) {
    // The embedded store: only the daemon holding it can say it leads.
    const alive = i.self !== undefined && i.self.leading && i.self.nodeId === l.nodeId;
    return { ...base, alive, why: alive ? null : 'no daemon holds the store' };
  }
  if (!l.lockHeld) return { ...base, alive: false, why: 'its session no longer holds the leader lock' };
  if (l.heartbeatAgeMs === null || l.heartbeatAgeMs > i.leaseMs) {
    return { ...base, alive: false, why: `its heartbeat is older than the lease (${i.leaseMs / 1000}s)` };
  }
  return { ...base, alive: true, why: null };
}

/** A node's role now: a row that still says "leader" is not the leader unless that leader is alive. */
export function nodeRole(n: NodeRow, leader: LeaderLiveness | null, i: LivenessInput): NodeRole {
  if (n.role === 'stopped') return 'stopped';
  if (i.self?.nodeId === n.nodeId) return i.self.leading ? 'leader' : 'standby';
  if (n.seenAgeMs > goneAfterMs(i.leaseMs, i.pollMs)) return 'gone';
  if (leader?.alive && leader.nodeId === n.nodeId) return 'leader';
  return 'standby';
}
