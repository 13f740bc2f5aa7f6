// The status document: what `cronkeeper status --json` prints and the daemon
// serves at /status (and the status page renders). Read-only. Times are ISO
// 8601 UTC strings.
import type { Config } from '../config/types.js';
import os from 'node:os';
import { readLeader, readNodes } from '../ha/nodes.js';
import { describeSchedule } from '../schedule/describe-schedule.js';
import { formatDuration } from '../schedule/duration.js';
import { SlotCalculators } from '../schedule/slot-calculator.js';
import { snapshotCodec } from '../snapshot/snapshot-codec.js';
import { readJobControls } from '../store/controls.js';
import { readRecentGaps } from '../store/slot-gaps.js';
import type { Queryable } from '../store/db.js';
import { readSuccessFacts } from '../store/last-success.js';
import { readTimelineHistory } from '../store/database-timeline.js';
import { readRecentRuns } from '../store/run-history.js';
import { readWorkers, workerState } from '../store/worker-records.js';
import { restoreState } from '../store/restore-state.js';
import { listSnapshots } from '../store/snapshot-rows.js';
import type { CatchUpFigures } from './catch-up-progress.js';
import { evaluateFreshness } from './freshness.js';
import { type LeaderLiveness, type LivenessInput, leaderLiveness, nodeRole } from './liveness.js';
import { isoOrNull } from '../text/iso-time.js';

/** A node not seen for this long is not listed (one gone or stopped stays listed that long). */
export const RECENT_NODE_MS = 10 * 60_000;
/** Slots shown per job. */
export const RECENT_RUNS = 20;
/** Ranges of slots not run shown per job. */
export const RECENT_GAPS = 5;

export interface NodeView {
  nodeId: string;
  role: 'leader' | 'standby' | 'starting' | 'stopping';
  ready: boolean;
  catchUp: CatchUpFigures | null;
  /** Runs waiting for a place under the concurrency limits. */
  waiting: number;
}

export interface StatusOptions {
  db: Queryable & { kind: 'postgres' | 'embedded' };
  config: Config;
  nowMs: number;
  /** The daemon's, shared with its scheduler; default: the read's own. */
  calculators?: SlotCalculators;
  /** The serving daemon's own view; absent for the CLI. */
  node?: NodeView;
  /** Missed slots dropped per job since the daemon started; absent for the CLI. */
  dropped?: ReadonlyMap<string, number>;
}

export async function readStatus(o: StatusOptions) {
  const { db, config, nowMs } = o;
  const calculators = o.calculators ?? new SlotCalculators();
  const leaderRow = await readLeader(db);
  const nodeRows = await readNodes(db, RECENT_NODE_MS);
  const facts: LivenessInput = {
    leader: leaderRow,
    nodes: nodeRows,
    leaseMs: config.ha.leaseMs,
    pollMs: config.ha.pollMs,
    ...(db.kind === 'embedded' && o.node
      ? { self: { nodeId: o.node.nodeId, leading: o.node.role === 'leader' } }
      : {}),
  };
  const live = leaderLiveness(facts);
  const [newest] = await listSnapshots(db, 1);
  const restored = await restoreState(db, snapshotCodec);
  const controls = await readJobControls(db);
  const gaps = await readRecentGaps(
    db,
    config.jobs.map((j) => j.name),
    RECENT_GAPS,
  );
  const names = config.jobs.map((j) => j.name);
  const recent = await readRecentRuns(db, names, RECENT_RUNS);
  const successes = await readSuccessFacts(db, names);
  const timeline = db.kind === 'postgres' ? await readTimelineHistory(db).catch(() => null) : null;
  const workers =
    db.kind === 'postgres' && config.jobs.some((j) => j.runOn !== undefined)
      ? await readWorkers(db, nowMs - RECENT_NODE_MS)
      : [];
  return {
    now: isoOrNull(nowMs),
    store: db.kind,
    /** The database server last found serving the store, and the failovers seen (database-timeline.ts). */
    database: timeline
      ? {
          timeline: timeline.current.timeline,
          systemIdentifier: timeline.current.systemIdentifier || null,
          since: isoOrNull(timeline.current.since),
          seenBy: timeline.current.seenBy,
          failovers: timeline.failovers,
        }
      : null,
    ...(o.node ? { node: o.node } : {}),
    leader:
      leaderRow && live
        ? {
            nodeId: live.nodeId,
            epoch: live.epoch,
            /** Holds the leader lock with a heartbeat fresher than ha.lease (embedded: the serving daemon leads). */
            alive: live.alive,
            /** Why it is not alive; null when it is. */
            why: live.why,
            since: isoOrNull(leaderRow.since),
            ledForMs: leaderRow.since ? nowMs - leaderRow.since.getTime() : null,
            heartbeatAt: live.alive && db.kind === 'embedded' ? null : isoOrNull(leaderRow.heartbeatAt),
            heartbeatAgeMs:
              (live.alive && db.kind === 'embedded') || leaderRow.heartbeatAgeMs === null
                ? null
                : Math.round(leaderRow.heartbeatAgeMs),
          }
        : null,
    nodes: listedNodes(facts, live, o.node, nowMs),
    /** The workers of runOn pools seen recently, or running something (none without pool jobs). */
    workers: workers.map((w) => ({
      workerId: w.workerId,
      pool: w.pool,
      host: w.host,
      pid: w.pid,
      concurrency: w.concurrency,
      running: w.running,
      state: workerState(w, nowMs, config.ha.leaseMs),
      startedAt: isoOrNull(w.startedAtMs),
      heartbeatAt: isoOrNull(w.heartbeatAtMs),
      heartbeatAgeMs: Math.max(0, Math.round(nowMs - w.heartbeatAtMs)),
    })),
    snapshot: newest
      ? {
          id: newest.id,
          createdAt: isoOrNull(newest.createdAt),
          highWater: newest.highWater,
          epoch: newest.epoch,
          bytes: newest.bytes,
        }
      : null,
    jobs: config.jobs.map((job) => {
      const last = restored.lastExecution.get(job.name);
      const control = controls.get(job.name);
      const paused = control?.paused
        ? { since: isoOrNull(control.pausedAtMs), by: control.pausedBy, reason: control.reason }
        : null;
      // A paused job has no next slot until it is resumed.
      const next = paused
        ? undefined
        : calculators.forSchedule(job.schedule).next(Math.max(last ?? nowMs, nowMs));
      // First known: the oldest ledger row, else the state's baseline (a job that never ran).
      const facts = successes.get(job.name);
      const ran = facts?.slotRan === true;
      const fresh = evaluateFreshness(
        {
          lastSuccessMs: facts?.lastSuccessMs,
          firstKnownMs: facts?.firstRowMs ?? last,
        },
        job.maxAgeMs,
        nowMs,
      );
      return {
        name: job.name,
        schedule: describeSchedule(job.schedule),
        /** The zone of a cron schedule, whose slots the page also shows in it; null for every or UTC. */
        timezone:
          job.schedule.kind === 'cron' && job.schedule.timezone !== 'UTC' ? job.schedule.timezone : null,
        catchup: job.catchup,
        overlap: job.overlap,
        paused,
        /** The newest slot claimed; null when the job never ran (no ledger row: each job's newest is kept). */
        last: ran ? isoOrNull(last) : null,
        /** A job that never ran: the instant its schedule counts from (first seen, or a backfill start). */
        baseline: ran ? null : isoOrNull(last),
        next: isoOrNull(next),
        /** Scheduled time of the newest successful run (manual runs count). */
        lastSuccess: isoOrNull(fresh.lastSuccessMs),
        /** The job's maxAge (e.g. '1d2h'); null: no freshness check. */
        maxAge: fresh.maxAgeMs === undefined ? null : formatDuration(fresh.maxAgeMs),
        /** No successful run within maxAge (see freshness.ts). */
        stale: fresh.stale,
        /** When the job turns (or turned) stale if nothing succeeds meanwhile. */
        staleAt: isoOrNull(fresh.staleAtMs),
        /** Its newest finished run failed, timed out or could not start. */
        failing: isFailing(recent.get(job.name) ?? []),
        dropped: o.dropped?.get(job.name) ?? 0,
        recent: (recent.get(job.name) ?? []).map((r) => ({
          runId: r.id,
          scheduledAt: isoOrNull(r.scheduledAt),
          catchup: r.catchup,
          manual: r.manual,
          outcome: r.outcome ?? (r.started ? 'running' : 'claimed'),
          durationMs: r.durationMs === null ? null : Math.round(r.durationMs),
          attempts: r.attempts,
          output: r.output,
        })),
        // Slots not run (expired, dropped, skipped, paused), newest last.
        gaps: (gaps.get(job.name) ?? []).map((g) => ({
          reason: g.reason,
          firstSlot: isoOrNull(g.firstMs),
          lastSlot: isoOrNull(g.lastMs),
          slots: g.count,
          exact: g.exact,
        })),
      };
    }),
  };
}

export type Status = Awaited<ReturnType<typeof readStatus>>;

const FAILED = new Set(['failure', 'timeout', 'error']);
/** Outcomes that say nothing about the job itself: not run (overlap), stopped by the daemon, left unknown. */
const NOT_THE_JOBS = new Set(['skipped', 'stopped', 'interrupted']);

/** The newest run that says how the job itself went: one that ended, and not by the daemon's doing. */
export function lastDecidedRun<R extends { outcome: string | null }>(runs: readonly R[]): R | undefined {
  return runs.findLast((r) => r.outcome !== null && FINISHED(r.outcome) && !NOT_THE_JOBS.has(r.outcome));
}

const FINISHED = (outcome: string) => outcome !== 'running' && outcome !== 'claimed';

/** The job is failing: its last decided run (lastDecidedRun) failed. */
export function isFailing(runs: ReadonlyArray<{ outcome: string | null }>): boolean {
  return FAILED.has(lastDecidedRun(runs)?.outcome ?? '');
}

/** The nodes with their roles now; the serving daemon on the embedded store (which records no node row) is listed too. */
function listedNodes(
  facts: LivenessInput,
  live: LeaderLiveness | null,
  self: NodeView | undefined,
  nowMs: number,
) {
  const rows = [...facts.nodes];
  if (facts.self && self && !rows.some((n) => n.nodeId === self.nodeId)) {
    rows.unshift({
      nodeId: self.nodeId,
      host: os.hostname(),
      pid: process.pid,
      role: self.role,
      epoch: null,
      startedAt: new Date(nowMs - process.uptime() * 1000),
      seenAt: new Date(nowMs),
      seenAgeMs: 0,
    });
  }
  return rows.map((n) => ({
    nodeId: n.nodeId,
    role: nodeRole(n, live, facts),
    host: n.host,
    pid: n.pid,
    epoch: n.epoch,
    startedAt: isoOrNull(n.startedAt),
    seenAt: isoOrNull(n.seenAt),
    seenAgoMs: Math.round(n.seenAgeMs),
  }));
}
