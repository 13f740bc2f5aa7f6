// `cronkeeper jobs`: every job at a glance, sorted by its next run, the way
// `systemctl list-timers` and `kubectl get cronjobs` show theirs: NEXT, LEFT,
// LAST, PASSED, LAST OUTCOME, RUNNING, with paused, stale and failing marked.
// The status document's jobs (read-status.ts), shaped for a terminal.
import type { Config } from '../config/types.js';
import { formatDuration } from '../schedule/duration.js';
import { type Status, lastDecidedRun } from '../status/read-status.js';
import { EXIT, printJson, printTable } from './common.js';
import { readStatusHere } from './status-command.js';

export async function jobsCommand(config: Config, opts: { json: boolean }): Promise<number> {
  const status = await readStatusHere(config);
  const nowMs = Date.parse(status.now ?? '') || Date.now();
  const rows = status.jobs.map((j) => overview(j, nowMs));
  rows.sort((a, b) => (a.nextMs ?? Infinity) - (b.nextMs ?? Infinity) || a.name.localeCompare(b.name));
  if (opts.json) {
    printJson(rows.map(({ nextMs: _n, lastMs: _l, ...r }) => r));
    return EXIT.ok;
  }
  printTable(
    ['NEXT (UTC)', 'LEFT', 'LAST (UTC)', 'PASSED', 'JOB', 'LAST OUTCOME', 'RUNNING', 'MARKS'],
    rows.map((r) => [
      r.next,
      r.nextMs === null ? null : formatDuration(Math.max(0, Math.round((r.nextMs - nowMs) / 1000) * 1000)),
      r.last ?? 'never',
      r.lastMs === null
        ? null
        : `${formatDuration(Math.max(0, Math.round((nowMs - r.lastMs) / 1000) * 1000))} ago`,
      r.name,
      r.lastOutcome,
      r.running ? 'yes' : null,
      r.marks.join(',') || null,
    ]),
  );
  return EXIT.ok;
}

function overview(j: Status['jobs'][number], nowMs: number) {
  const nextMs = j.next === null ? null : Date.parse(j.next);
  const lastMs = j.last === null ? null : Date.parse(j.last);
  const marks = [
    ...(j.paused ? ['paused'] : []),
    ...(j.stale ? ['stale'] : []),
    ...(j.failing ? ['failing'] : []),
  ];
  return {
    name: j.name,
    schedule: j.schedule,
    next: j.paused ? 'paused' : j.next,
    nextMs: j.paused ? null : nextMs,
    last: j.last,
    lastMs: lastMs !== null && lastMs <= nowMs ? lastMs : null,
    lastOutcome: lastDecidedRun(j.recent)?.outcome ?? null,
    running: j.recent.some((r) => r.outcome === 'running'),
    marks,
  };
}
