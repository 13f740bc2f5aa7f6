// `cronkeeper status`: who leads (epoch, for how long), the nodes seen
// recently, the newest snapshot, and per job its last and next slot. Read-only.
import type { Config } from '../config/types.js';
import { formatDuration } from '../schedule/duration.js';
import { describeCatchUp } from '../status/catch-up-progress.js';
import { RECENT_NODE_MS, type Status, lastDecidedRun, readStatus } from '../status/read-status.js';
import { printJson, printLine, printTable, withStore } from './common.js';
import { inDaemon, out } from './cli-io.js';

/**
 * Exit status: 0 when a live leader leads and no job is failing or stale, 1 when
 * some job is failing or stale, 2 when no live leader leads (the worse wins).
 */
export const STATUS_EXIT = { ok: 0, jobs: 1, noLeader: 2 } as const;

export function statusExitCode(status: Pick<Status, 'leader' | 'jobs'>): number {
  if (!status.leader?.alive) return STATUS_EXIT.noLeader;
  if (status.jobs.some((j) => j.stale || j.failing)) return STATUS_EXIT.jobs;
  return STATUS_EXIT.ok;
}

/** The status document, read from the store (carried out by the daemon: with its own view, which says whether it leads). */
export async function readStatusHere(config: Config): Promise<Status> {
  const node = inDaemon()?.node();
  return withStore(config, (db) => readStatus({ db, config, nowMs: Date.now(), ...(node ? { node } : {}) }));
}

export async function statusCommand(config: Config, opts: { json: boolean }): Promise<number> {
  const status = await readStatusHere(config);
  const code = statusExitCode(status);
  if (opts.json) {
    printJson(status);
    return code;
  }
  printLine(leaderLine(status.leader));
  // Known when the daemon itself answers (the embedded store's command socket).
  if (status.node?.catchUp) printLine(describeCatchUp(status.node.catchUp));
  if (status.store === 'embedded') out('store: embedded (one process, no election)\n');
  if (status.nodes.length > 0) {
    out(`nodes seen in the last ${formatDuration(RECENT_NODE_MS)}:\n`);
    printTable(
      ['NODE', 'ROLE', 'HOST', 'PID', 'SEEN'],
      status.nodes.map((n) => [
        n.nodeId,
        n.role,
        n.host,
        n.pid,
        `${formatDuration(Math.round(n.seenAgoMs))} ago`,
      ]),
    );
  }
  if (status.workers.length > 0) {
    out(`workers seen in the last ${formatDuration(RECENT_NODE_MS)}:\n`);
    printTable(
      ['WORKER', 'POOL', 'STATE', 'RUNNING', 'HOST', 'PID', 'SEEN'],
      status.workers.map((w) => [
        w.workerId,
        w.pool,
        w.state,
        `${w.running}/${w.concurrency}`,
        w.host,
        w.pid,
        `${formatDuration(w.heartbeatAgeMs)} ago`,
      ]),
    );
  }
  const d = status.database;
  if (d)
    out(
      `database: timeline ${d.timeline} since ${d.since}${d.failovers > 0 ? ` (${d.failovers} failover(s) seen; the newest seen by ${d.seenBy})` : ''}\n`,
    );
  const s = status.snapshot;
  out(
    s
      ? `newest snapshot: #${s.id} at ${s.createdAt}, high water ${s.highWater}, ${s.bytes} bytes\n`
      : 'newest snapshot: none\n',
  );
  printTable(
    ['JOB', 'SCHEDULE', 'LAST SLOT (UTC)', 'NEXT SLOT (UTC)', 'LAST SUCCESS (UTC)', 'MAX AGE'],
    status.jobs.map((j) => [
      j.name,
      j.schedule,
      j.last ?? 'never',
      j.paused ? 'paused' : j.next,
      j.lastSuccess,
      j.maxAge === null ? null : `${j.maxAge}${j.stale ? ' STALE' : ''}`,
    ]),
  );
  for (const j of status.jobs.filter((x) => x.stale)) {
    out(
      `${j.name}: stale: ${j.lastSuccess ? `no successful run since ${j.lastSuccess}` : 'never succeeded'} (maxAge ${j.maxAge}; stale since ${j.staleAt})\n`,
    );
  }
  for (const j of status.jobs.filter((x) => x.failing)) {
    const last = lastDecidedRun(j.recent);
    printLine(`${j.name}: failing: its last run (${last?.scheduledAt ?? '?'}) ended ${last?.outcome ?? '?'}`);
  }
  for (const j of status.jobs.filter((x) => x.paused)) {
    const p = j.paused!;
    printLine(
      `${j.name}: paused since ${p.since} by ${p.by}${p.reason ? ` (${p.reason})` : ''}; 'cronkeeper resume ${j.name}' resumes it`,
    );
  }
  return code;
}

function leaderLine(l: Status['leader']): string {
  if (l === null) return 'no live leader: none has led yet';
  const beat =
    l.heartbeatAgeMs === null ? '' : `, last heartbeat ${formatDuration(Math.round(l.heartbeatAgeMs))} ago`;
  if (!l.alive) return `no live leader: ${l.nodeId}, epoch ${l.epoch}${beat} (${l.why})`;
  const led =
    l.ledForMs === null ? '' : `, leading for ${formatDuration(Math.round(l.ledForMs))} (since ${l.since})`;
  return `leader: ${l.nodeId}, epoch ${l.epoch}${led}${beat}`;
}
