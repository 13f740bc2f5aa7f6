// The runs a new leader found in flight on another host (their home: the host
// and spool that started them), which only a daemon there can read. The leader
// leaves them to their home and watches the ledger: once the home reports (the
// run recorded, its attempt ended, or taken back as never started) or is
// given up on, the run is decided as at the term's start (recover-unfinished.ts).
// Given up on: no daemon with that home seen for ha.hostWait since the
// takeover — or, with one seen, the run's own timeout and kill grace plus
// ha.hostWait past its start (a home that follows it would have ended it).
import type { JobConfig } from '../config/types.js';
import type { UnfinishedRun } from '../store/attempts.js';
import { readUnfinishedRuns } from '../store/attempts.js';
import { type RemoteRunState, readRemoteRuns } from '../store/run-homes.js';
import { type RecoverContext, recoverRun } from './recover-unfinished.js';

/** How often the ledger is read for the runs watched (ms). */
const WATCH_MS = 2_000;

export interface WatchRemoteOptions {
  jobs: () => ReadonlyMap<string, JobConfig>;
  hostWaitMs: number;
  /** True once the term ends: what is still watched is the next leader's. */
  stopping: () => boolean;
  /** Resolves when the term ends (cuts the wait between reads short). */
  stopped: Promise<void>;
}

/** Watches `runs` until each is decided or the term ends. */
export async function watchRemoteRuns(
  ctx: RecoverContext,
  runs: readonly UnfinishedRun[],
  o: WatchRemoteOptions,
): Promise<void> {
  const { clock, logger } = ctx;
  const sinceMs = clock.now();
  const watched = new Map(runs.map((u) => [u.runId, u]));
  let over = false;
  void o.stopped.then(() => (over = true));
  while (watched.size > 0 && !over && !o.stopping()) {
    await Promise.race([new Promise((r) => setTimeout(r, WATCH_MS).unref()), o.stopped]);
    if (over || o.stopping()) return;
    let states: RemoteRunState[];
    try {
      states = await readRemoteRuns(ctx.db, [...watched.keys()]);
    } catch (err) {
      logger.warn({ err }, 'could not read the runs left on other hosts: reading again');
      continue;
    }
    const nowMs = clock.now();
    for (const st of states) {
      const u = watched.get(st.runId)!;
      // Recorded by its home, or taken over by a newer leader: nothing left for this one.
      if (st.done || st.epoch >= ctx.fence.epoch) {
        watched.delete(st.runId);
        continue;
      }
      const job = o.jobs().get(u.job);
      const reported =
        st.attempt === undefined || st.attempt.number !== u.attempts || st.attempt.finishedAtMs !== null;
      const homeLost = !reported && givenUp(st, job, sinceMs, nowMs, o.hostWaitMs);
      if (!reported && !homeLost) continue;
      watched.delete(st.runId);
      try {
        const again = (await readUnfinishedRuns(ctx.db, ctx.fence.epoch)).find((r) => r.runId === st.runId);
        if (!again) continue;
        const r = await recoverRun(ctx, again, job, nowMs, { homeLost });
        if (r.kind === 'elsewhere') watched.set(again.runId, again);
        else if (r.kind === 'owed' || r.kind === 'later')
          void ctx.dispatcher.dispatch(job!, r.entry.slot, r.entry.options);
      } catch (err) {
        logger.warn(
          { err, runId: st.runId },
          'could not decide a run left on another host: watching it again',
        );
        watched.set(u.runId, u);
      }
    }
    // A run whose row is gone altogether (retention) is no longer watched.
    for (const id of watched.keys()) if (!states.some((s) => s.runId === id)) watched.delete(id);
  }
}

function givenUp(
  st: RemoteRunState,
  job: JobConfig | undefined,
  sinceMs: number,
  nowMs: number,
  hostWaitMs: number,
): boolean {
  if (nowMs - Math.max(sinceMs, st.homeSeenAtMs ?? 0) > hostWaitMs) return true;
  if (!job || !st.attempt) return false;
  return nowMs - st.attempt.startedAtMs > job.timeoutMs + job.killGraceMs + hostWaitMs;
}
