// What this daemon is doing right now, in one place: its role, whether it is
// ready, catch-up progress. Read by /readyz, /status and the metrics; every
// change is announced (systemd STATUS=, READY=1).
import type { NodeView } from './read-status.js';
import { type CatchUpProgress, catchUpFigures, describeCatchUp } from './catch-up-progress.js';

export type Role = NodeView['role'];

export interface NodeSnapshot {
  nodeId: string;
  role: Role;
  epoch: number | null;
  /** The node that leads, as far as this one knows. */
  leaderId: string | null;
  jobs: number;
  catchUp: CatchUpProgress | null;
  /** Leader: restored and caught up. Standby: always (readiness then needs the database). */
  caughtUp: boolean;
  /** Standby: another node holds the leader lock. Until this node knows, it is not ready: it may be about to lead (and catch up). */
  standingBy: boolean;
  databaseUp: boolean;
  /** Runs waiting for a place under the concurrency limits. */
  waiting: number;
}

export class NodeState {
  private s: NodeSnapshot;
  private readonly listeners = new Set<(s: NodeSnapshot) => void>();

  constructor(nodeId: string, jobs: number) {
    this.s = {
      nodeId,
      role: 'starting',
      epoch: null,
      leaderId: null,
      jobs,
      catchUp: null,
      caughtUp: false,
      standingBy: false,
      databaseUp: false,
      waiting: 0,
    };
  }

  get current(): Readonly<NodeSnapshot> {
    return this.s;
  }

  /** Ready: a leader that restored its state and finished catch-up, or a standby behind another leader whose database answers. */
  get ready(): boolean {
    const { role, caughtUp, databaseUp, standingBy } = this.s;
    return (role === 'leader' && caughtUp) || (role === 'standby' && standingBy && databaseUp);
  }

  update(patch: Partial<NodeSnapshot>): void {
    const next = { ...this.s, ...patch };
    if (JSON.stringify(next) === JSON.stringify(this.s)) return;
    this.s = next;
    for (const l of this.listeners) l(next);
  }

  onChange(listener: (s: NodeSnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  view(): NodeView {
    return {
      nodeId: this.s.nodeId,
      role: this.s.role,
      ready: this.ready,
      catchUp: this.s.catchUp && catchUpFigures(this.s.catchUp, Date.now()),
      waiting: this.s.waiting,
    };
  }

  /** One line for systemd's STATUS= and the log: "leader epoch 7, 42 jobs, catch-up 3/10". */
  describe(): string {
    const { role, epoch, jobs, catchUp, leaderId, databaseUp } = this.s;
    const parts: string[] = [];
    if (role === 'leader') parts.push(`leader epoch ${epoch ?? '?'}`);
    else if (role === 'standby') parts.push(leaderId ? `standby, leader ${leaderId}` : 'standby');
    else parts.push(role);
    parts.push(`${jobs} job${jobs === 1 ? '' : 's'}`);
    if (catchUp && catchUp.done < catchUp.total)
      parts.push(describeCatchUp(catchUpFigures(catchUp, Date.now())));
    if (this.s.waiting > 0) parts.push(`${this.s.waiting} waiting for a place`);
    if (!databaseUp) parts.push('database unreachable');
    return parts.join(', ');
  }
}
