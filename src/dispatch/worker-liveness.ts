// When a worker is dead, and what becomes of the runs it took: pure, at a
// given instant. A worker is dead once it said it stopped or has been silent
// for two leases. Its command runs outlive it (supervised in its home: its
// host and pool's spool), so they are left for a worker of that home to take
// over (worker/left-runs.ts); only when none takes them is a run
// interrupted, and the job's onInterrupted decides.
import { workerState } from '../store/worker-records.js';

/** What a worker last said of itself (nulls: it has no record). */
export interface WorkerSeen {
  worker: string;
  seenAtMs: number | null;
  stopped: boolean;
}

/** Why `w` is dead at `nowMs`, or undefined while it lives. */
export function whyDead(w: WorkerSeen, nowMs: number, leaseMs: number): string | undefined {
  const seenAtMs = w.seenAtMs ?? 0;
  switch (
    workerState({ stoppedAtMs: w.stopped ? seenAtMs : null, heartbeatAtMs: seenAtMs }, nowMs, leaseMs)
  ) {
    case 'stopped':
      return `its worker ${w.worker} stopped before the run ended`;
    case 'silent':
      return `its worker ${w.worker} fell silent (no heartbeat for ${Math.round((nowMs - seenAtMs) / 1000)} s)`;
    case 'alive':
      return undefined;
  }
}

/**
 * What the leader does with a run taken by a worker that may be dead: wait
 * (the worker lives, or a worker of its home may still take the run over), or
 * call it lost (why). A dead worker's home gets `hostWaitMs` past the death to
 * take its runs over (a worker alive there takes them within a heartbeat, one
 * restarted by systemd within seconds); past that, the host is taken as gone.
 */
export function takenRunVerdict(
  run: WorkerSeen,
  nowMs: number,
  leaseMs: number,
  hostWaitMs: number,
): { kind: 'wait' } | { kind: 'lost'; why: string } {
  const why = whyDead(run, nowMs, leaseMs);
  if (why === undefined) return { kind: 'wait' };
  // Dead since its last word (a stopped worker's last heartbeat is about when it stopped).
  const deadForMs = nowMs - (run.seenAtMs ?? 0) - (run.stopped ? 0 : 2 * leaseMs);
  if (deadForMs < hostWaitMs) return { kind: 'wait' };
  return { kind: 'lost', why: `${why}, and no worker of its host took the run over within ha.hostWait` };
}
