// `cronkeeper status`: who leads (epoch, for how long), the nodes seen
// recently, the newest snapshot, and per job its last and next slot. Read-only.
import type { Config, ScheduleSpec } from '../config/types.js';
import { readLeader, readNodes } from '../ha/nodes.js';
import { formatDuration } from '../schedule/duration.js';
import { createSlotCalculator } from '../schedule/slot-calculator.js';
import { snapshotCodec } from '../snapshot/snapshot-codec.js';
import { restoreState } from '../store/restore-state.js';
import { listSnapshots } from '../store/snapshot-rows.js';
import { iso, printJson, printTable, withStore } from './common.js';

/** A node not seen for this long is not listed. */
const RECENT_MS = 60_000;

export async function statusCommand(config: Config, opts: { json: boolean }): Promise<void> {
  const status = await withStore(config, async (db) => {
    const now = Date.now();
    const [leader, nodes, snapshots, restored] = [
      await readLeader(db),
      await readNodes(db, RECENT_MS),
      await listSnapshots(db),
      await restoreState(db, snapshotCodec),
    ];
    const newest = snapshots[0];
    return {
      now: iso(now),
      store: db.kind,
      leader:
        leader && leader.nodeId
          ? {
              nodeId: leader.nodeId,
              epoch: leader.epoch,
              since: iso(leader.since),
              ledForMs: leader.since ? now - leader.since.getTime() : null,
              heartbeatAt: iso(leader.heartbeatAt),
            }
          : null,
      nodes: nodes.map((n) => ({ ...n, startedAt: iso(n.startedAt), seenAt: iso(n.seenAt) })),
      snapshot: newest
        ? {
            id: newest.id,
            createdAt: iso(newest.createdAt),
            highWater: newest.highWater,
            epoch: newest.epoch,
            bytes: newest.bytes,
          }
        : null,
      jobs: config.jobs.map((job) => {
        const last = restored.lastExecution.get(job.name);
        const next = createSlotCalculator(job.schedule).next(Math.max(last ?? now, now));
        return { name: job.name, schedule: describeSchedule(job.schedule), last: iso(last), next: iso(next) };
      }),
    };
  });
  if (opts.json) {
    printJson(status);
    return;
  }
  const l = status.leader;
  process.stdout.write(
    l
      ? `leader: ${l.nodeId}, epoch ${l.epoch}, leading for ${l.ledForMs === null ? '?' : formatDuration(l.ledForMs)} (since ${l.since}); last heartbeat ${l.heartbeatAt}\n`
      : 'leader: none has led yet\n',
  );
  if (status.store === 'embedded') process.stdout.write('store: embedded (one process, no election)\n');
  if (status.nodes.length > 0) {
    process.stdout.write(`nodes seen in the last ${RECENT_MS / 1000}s:\n`);
    printTable(
      ['NODE', 'ROLE', 'HOST', 'PID', 'SEEN (UTC)'],
      status.nodes.map((n) => [n.nodeId, n.role, n.host, n.pid, n.seenAt]),
    );
  }
  const s = status.snapshot;
  process.stdout.write(
    s
      ? `newest snapshot: #${s.id} at ${s.createdAt}, high water ${s.highWater}, ${s.bytes} bytes\n`
      : 'newest snapshot: none\n',
  );
  printTable(
    ['JOB', 'SCHEDULE', 'LAST SLOT (UTC)', 'NEXT SLOT (UTC)'],
    status.jobs.map((j) => [j.name, j.schedule, j.last, j.next]),
  );
}

function describeSchedule(s: ScheduleSpec): string {
  if (s.kind === 'every')
    return `every ${formatDuration(s.everyMs)}${s.offsetMs ? ` +${formatDuration(s.offsetMs)}` : ''}`;
  return s.timezone === 'UTC' ? s.pattern : `${s.pattern} (${s.timezone})`;
}
