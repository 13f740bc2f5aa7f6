// `cronkeeper logs JOB`: the kept output of a job's recent runs, in order, like
// `journalctl -u`; `cronkeeper runs --follow`: new runs and their outcomes as
// they happen, like `kubectl get jobs -w`. Both read the ledger only.
import type { Config } from '../config/types.js';
import { formatDuration } from '../schedule/duration.js';
import type { Db } from '../store/db.js';
import { type FeedRun, newestRunId, readNewestRuns, readRunChanges } from '../store/run-feed.js';
import { out, outputSignal } from './cli-io.js';
import {
  EXIT,
  UsageError,
  checkHistoryName,
  parseLimit,
  parsePositiveInt,
  printJson,
  printLine,
  printLines,
  withStore,
} from './common.js';
import { kindOf } from './store-commands.js';
import { sleep } from '../runtime/sleep.js';
import { isoOrNull } from '../text/iso-time.js';

/** How often a follow looks at the ledger. */
const FOLLOW_EVERY_MS = 1_000;
/** Runs read per look at most: a burst beyond it is read at the next. */
const FOLLOW_BATCH = 1_000;

export async function logsCommand(
  config: Config,
  args: string[],
  o: { n?: string; json: boolean },
): Promise<number> {
  const [name, extra] = args;
  if (name === undefined) throw new UsageError('logs needs a job name: cronkeeper logs JOB');
  if (extra !== undefined) throw new UsageError(`logs takes one job name, got '${name}' and '${extra}'`);
  const n = parsePositiveInt(o.n, '-n', 5);
  if (n > 1_000) throw new UsageError(`-n: at most 1000 runs, got ${n}`);
  const runs = await withStore(config, async (db) => {
    await checkHistoryName(config, db, name);
    return readNewestRuns(db, name, n);
  });
  if (o.json) {
    printJson(runs.map((r) => ({ ...event(r), output: r.outputTail })));
    return EXIT.ok;
  }
  if (runs.length === 0) printLine(`'${name}' has no run in the ledger`);
  for (const r of runs) {
    printLine(`-- run #${r.id} of ${r.job}, slot ${isoOrNull(r.scheduledAt)} (${kind(r)}): ${state(r)} --`);
    if (r.outputTail) printLines(r.outputTail);
  }
  return EXIT.ok;
}

/** Prints the newest runs, then every new run and every change of state until the reader goes. */
export async function followRuns(
  config: Config,
  o: { job?: string; limit?: string; json: boolean },
): Promise<number> {
  const job = o.job;
  const limit = parseLimit(o.limit, 10);
  const signal = outputSignal();
  return withStore(config, async (db) => {
    if (job !== undefined) await checkHistoryName(config, db, job);
    const shown = new Map<number, string>();
    let lastId = 0;
    const show = (r: FeedRun) => {
      const s = state(r);
      if (shown.get(r.id) === s) return;
      shown.set(r.id, s);
      if (r.outcome !== null) shown.delete(r.id);
      lastId = Math.max(lastId, r.id);
      if (o.json) out(JSON.stringify(event(r)) + '\n');
      else
        printLine(
          `${isoOrNull(Date.now())}  #${r.id}  ${r.job}  ${isoOrNull(r.scheduledAt)}  ${kind(r)}  ${s}`,
        );
    };
    const first = job !== undefined ? await readNewestRuns(db, job, limit) : await newestFirst(db, limit);
    for (const r of first) show(r);
    lastId = Math.max(lastId, await newestRunId(db));
    while (!signal.aborted) {
      await sleep(FOLLOW_EVERY_MS, signal);
      if (signal.aborted) break;
      for (const r of await readRunChanges(db, lastId, [...shown.keys()], job, FOLLOW_BATCH)) show(r);
    }
    return EXIT.ok;
  });
}

async function newestFirst(db: Db, limit: number): Promise<FeedRun[]> {
  const newest = await newestRunId(db);
  return readRunChanges(db, Math.max(0, newest - limit), [], undefined, limit);
}

function kind(r: FeedRun): string {
  return kindOf(r.manual, r.controlId !== null, r.catchup);
}

/** claimed, running, or the outcome with its exit code, duration and error. */
function state(r: FeedRun): string {
  if (r.outcome === null) return r.startedAt ? 'running' : 'claimed';
  const parts = [
    r.exitCode !== null ? `exit ${r.exitCode}` : null,
    r.durationMs !== null ? formatDuration(Math.round(r.durationMs)) : null,
  ].filter((p) => p !== null);
  return `${r.outcome}${parts.length ? ` (${parts.join(', ')})` : ''}${r.error ? `: ${r.error}` : ''}`;
}

function event(r: FeedRun) {
  return {
    id: r.id,
    job: r.job,
    scheduledAt: isoOrNull(r.scheduledAt),
    kind: kind(r),
    state: r.outcome ?? (r.startedAt ? 'running' : 'claimed'),
    exitCode: r.exitCode,
    durationMs: r.durationMs === null ? null : Math.round(r.durationMs),
    error: r.error,
    node: r.nodeId,
  };
}
