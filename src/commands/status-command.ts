// `cronkeeper status`: who leads (epoch, for how long), the nodes seen
// recently, the newest snapshot, and per job its last and next slot. Read-only.
import type { Config } from '../config/types.js';
import { formatDuration } from '../schedule/duration.js';
import { RECENT_NODE_MS, readStatus } from '../status/read-status.js';
import { printJson, printLine, printTable, withStore } from './common.js';

export async function statusCommand(config: Config, opts: { json: boolean }): Promise<void> {
  const status = await withStore(config, (db) => readStatus({ db, config, nowMs: Date.now() }));
  if (opts.json) {
    printJson(status);
    return;
  }
  const l = status.leader;
  printLine(
    l
      ? `leader: ${l.nodeId}, epoch ${l.epoch}, leading for ${l.ledForMs === null ? '?' : formatDuration(l.ledForMs)} (since ${l.since}); last heartbeat ${l.heartbeatAt}`
      : 'leader: none has led yet',
  );
  if (status.store === 'embedded') process.stdout.write('store: embedded (one process, no election)\n');
  if (status.nodes.length > 0) {
    process.stdout.write(`nodes seen in the last ${RECENT_NODE_MS / 1000}s:\n`);
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
    ['JOB', 'SCHEDULE', 'LAST SLOT (UTC)', 'NEXT SLOT (UTC)', 'LAST SUCCESS (UTC)', 'MAX AGE'],
    status.jobs.map((j) => [
      j.name,
      j.schedule,
      j.last,
      j.paused ? 'paused' : j.next,
      j.lastSuccess,
      j.maxAge === null ? null : `${j.maxAge}${j.stale ? ' STALE' : ''}`,
    ]),
  );
  for (const j of status.jobs.filter((x) => x.stale)) {
    process.stdout.write(
      `${j.name}: stale: ${j.lastSuccess ? `no successful run since ${j.lastSuccess}` : 'never succeeded'} (maxAge ${j.maxAge}; stale since ${j.staleAt})\n`,
    );
  }
  for (const j of status.jobs.filter((x) => x.paused)) {
    const p = j.paused!;
    printLine(
      `${j.name}: paused since ${p.since} by ${p.by}${p.reason ? ` (${p.reason})` : ''}; 'cronkeeper resume ${j.name}' resumes it`,
    );
  }
}
