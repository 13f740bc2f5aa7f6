// The unfinished runs of earlier leaders, taken over by a new one at the start
// of its term (boot-catch-up.ts), and again for a run whose home was elsewhere
// once its home reported or was given up on (watch-remote-runs.ts):
// - claimed but never started: owed, run now — unless the job's catch-up
//   policy is `none` or the slot is older than its window (recorded as skipped);
// - a retry pending: carried out at its due time, as the next attempt;
// - an attempt in progress when its node died: judged from its traces
//   (judge-in-flight.ts) — never started, adopted, ended; reported by its home;
//   left to its home on another host while that may come back; else it may have
//   done its work, so by the job's `onInterrupted` it is recorded as interrupted
//   (skip, the default) or retried as the next attempt (rerun).
import type { Logger } from 'pino';
import type { Clock } from '../runtime/clock.js';
import type { JobConfig } from '../config/types.js';
import { retryDelayMs } from '../schedule/jitter.js';
import {
  type Recovery,
  type RunTrace,
  type UnfinishedRun,
  adoptUnfinishedRun,
  carryOverRuns,
  readUnfinishedRuns,
  recordRecovery,
  recordSkipped,
  scheduleRetry,
} from '../store/attempts.js';
import type { OnBadRow } from '../store/bad-rows.js';
import type { Queryable } from '../store/db.js';
import type { Fence } from '../store/fence.js';
import type { ClaimedSlot } from '../schedule/slot.js';
import { markInterrupted } from '../store/ledger.js';
import { finishRunFromAttempt } from '../store/run-homes.js';
import { judgeInFlight } from './judge-in-flight.js';
import type { DispatchOptions, RunDispatcher } from './run-dispatcher.js';

export interface RecoverContext {
  db: Queryable;
  fence: Fence;
  clock: Clock;
  logger: Logger;
  dispatcher: RunDispatcher;
  isPaused: (job: string) => boolean;
  /** This node's host and spool: runs in flight that a dead daemon of this host left are judged from their traces. */
  trace?: RunTrace;
  onBadRow?: OnBadRow;
}

export interface Owed {
  slot: ClaimedSlot;
  options: DispatchOptions;
}

/** What became of one unfinished run. */
export type Recovered =
  /** To run now (in the catch-up), or at its time in the background. */
  | { kind: 'owed' | 'later'; entry: Owed }
  /** Started on another host, which may still report it: waited for (watch-remote-runs.ts). */
  | { kind: 'elsewhere'; run: UnfinishedRun }
  /** Decided and recorded, or not this leader's. */
  | { kind: 'done' };

/** Every unfinished run of earlier terms, decided. */
export async function recoverUnfinished(
  ctx: RecoverContext,
  jobs: ReadonlyMap<string, JobConfig>,
  nowMs: number,
): Promise<{ owed: Owed[]; later: Owed[]; elsewhere: UnfinishedRun[] }> {
  const { db, fence, logger } = ctx;
  const owed: Owed[] = [];
  const later: Owed[] = [];
  const elsewhere: UnfinishedRun[] = [];
  // This node's own runs of an earlier term (leadership lost and retaken, or adopted while it stood by)
  // that still run here go on.
  const running = new Set(ctx.dispatcher.runIds());
  const unfinished = await readUnfinishedRuns(db, fence.epoch, ctx.onBadRow);
  const carried = new Set(
    await carryOverRuns(
      db,
      fence,
      unfinished.filter((u) => running.has(u.runId)).map((u) => u.runId),
    ),
  );
  if (carried.size > 0)
    logger.info({ runs: [...carried] }, 'runs started under an earlier term go on under this one');
  for (const u of unfinished) {
    if (carried.has(u.runId)) continue;
    const r = await recoverRun(ctx, u, jobs.get(u.job), nowMs, { homeLost: false });
    if (r.kind === 'owed') owed.push(r.entry);
    else if (r.kind === 'later') later.push(r.entry);
    else if (r.kind === 'elsewhere') elsewhere.push(r.run);
  }
  return { owed, later, elsewhere };
}

/**
 * Decides one unfinished run of an earlier term. `homeLost`: a run left on
 * another host is no longer waited for (ha.hostWait is over).
 */
export async function recoverRun(
  ctx: RecoverContext,
  u: UnfinishedRun,
  job: JobConfig | undefined,
  nowMs: number,
  o: { homeLost: boolean },
): Promise<Recovered> {
  const { db, fence, clock, logger } = ctx;
  const done = { kind: 'done' } as const;
  if (u.problem !== undefined) {
    // Recorded, so that it is not read again at every term.
    await recordSkipped(db, u.runId, clock.now(), `not run: ${u.problem}`);
    ctx.onBadRow?.({
      table: 'cronkeeper_runs',
      key: String(u.runId),
      problem: `${u.problem}: recorded as skipped`,
    });
    return done;
  }
  const fields = {
    job: u.job,
    scheduledAt: new Date(u.scheduledAtMs).toISOString(),
    runId: u.runId,
    previousNode: u.nodeId,
    attempts: u.attempts,
  };
  const skip = async (why: string) => {
    await recordSkipped(db, u.runId, clock.now(), why);
    logger.warn(fields, `unfinished run of an earlier leader recorded as skipped: ${why}`);
    return done;
  };
  const inProgress = u.started && u.nextAttemptAtMs === undefined;
  if (!job) return skip('the job is no longer configured');
  // A run an operator asked for (trigger, backfill) is owed whatever the catch-up policy says.
  const asked = u.controlId !== undefined;
  if (!u.started && !asked && ctx.isPaused(job.name)) return skip('the job is paused');
  if (!u.started && !asked && job.catchup === 'none')
    return skip('the job does not catch up (catchup: none)');
  if (!u.started && !asked && u.scheduledAtMs <= nowMs - job.catchupWindowMs)
    return skip('older than the catch-up window');
  const slot: ClaimedSlot = {
    job: u.job,
    scheduledAtMs: u.scheduledAtMs,
    // Late by now, so a catch-up run — except a manual one, which stands for no slot.
    catchup: asked ? u.catchup : true,
    runId: u.runId,
    ...(asked ? { controlId: u.controlId } : {}),
    ...(u.manual ? { manual: true } : {}),
  };
  // Attempts already made: a row started before attempts were counted made one.
  const made = u.started ? Math.max(u.attempts, 1) : u.attempts;
  let recovery: Recovery | undefined;
  if (inProgress && ctx.trace) {
    // Evidence first: what the run left in this host's spool, or what its home reported.
    const verdict = await judgeInFlight(db, fence, ctx.trace, u, clock.now(), logger, o);
    if (verdict.kind === 'gone') return done;
    if (verdict.kind === 'handed') {
      logger.info(fields, 'run in the hands of a worker pool: following it');
      return { kind: 'later', entry: { slot, options: { attempt: made, handed: made } } };
    }
    if (verdict.kind === 'never-started') {
      logger.info(fields, 'run never started (its daemon died first): running it now');
      return { kind: 'owed', entry: { slot, options: { attempt: made } } };
    }
    if (verdict.kind === 'adopt') {
      const entry = { slot, options: { attempt: made, adopt: verdict.adopt } };
      // Ended while nobody watched: recorded first, in the catch-up, before the job's later slots.
      // Still running: followed in the background, and the job's missed slots overlap with it by
      // its policy, as they would have had the daemon lived.
      return { kind: verdict.adopt.running ? 'later' : 'owed', entry };
    }
    if (verdict.kind === 'elsewhere') {
      // Handed back: a daemon at its home adopts only the runs handed back to it (home-runs.ts).
      await recordRecovery(db, u.runId, 'awaiting-home');
      logger.info(
        { ...fields, home: verdict.home },
        'run in flight on another host: left for a daemon there to adopt (ha.hostWait)',
      );
      return { kind: 'elsewhere', run: u };
    }
    if (verdict.kind === 'reported') {
      // It ran to its end on its home while no leader owned it; what is left is the leader's part.
      if ((await carryOverRuns(db, fence, [u.runId])).length === 0) return done;
      const retriable = ['failure', 'timeout', 'error'].includes(verdict.outcome);
      if (retriable && made <= job.retries.max) {
        const at = verdict.finishedAtMs + retryDelayMs(job.retries, job.name, u.scheduledAtMs, made + 1);
        if (!(await scheduleRetry(db, fence, u.runId, at))) return done;
        logger.info(
          { ...fields, outcome: verdict.outcome, retryAt: new Date(at).toISOString() },
          'attempt ended on its host while no leader owned it: retrying',
        );
        const entry = { slot, options: { attempt: made + 1, notBeforeMs: at } };
        return { kind: at <= nowMs ? 'owed' : 'later', entry };
      }
      await finishRunFromAttempt(db, fence, u.runId, made, clock.now());
      logger.info({ ...fields, outcome: verdict.outcome }, 'run ended on its host: recorded');
      return done;
    }
    recovery = verdict.recovery;
  }
  const rerun = inProgress && job.onInterrupted === 'rerun';
  if (!(await adoptUnfinishedRun(db, fence, u, clock.now(), { retryInterrupted: rerun }))) return done;
  if (recovery) await recordRecovery(db, u.runId, recovery);
  if (inProgress && !rerun) {
    await markInterrupted(db, fence, u.runId, clock.now());
    logger.warn(
      { ...fields, ...(recovery ? { recovery } : {}) },
      'run interrupted: its node stopped before it finished; not run again (onInterrupted: skip)',
    );
    return done;
  }
  const attempt = made + 1;
  if (rerun) {
    logger.info(
      { ...fields, ...(recovery ? { recovery } : {}) },
      'run interrupted: its node stopped before it finished; running it again (onInterrupted: rerun)',
    );
    return { kind: 'owed', entry: { slot, options: { attempt } } };
  }
  if (u.nextAttemptAtMs !== undefined) {
    logger.info(
      { ...fields, retryAt: new Date(u.nextAttemptAtMs).toISOString() },
      'retry left pending by its node: carrying it out',
    );
    const entry = { slot, options: { attempt, notBeforeMs: u.nextAttemptAtMs } };
    return { kind: u.nextAttemptAtMs <= nowMs ? 'owed' : 'later', entry };
  }
  logger.info(fields, 'claimed slot never started by its node: running it now');
  return { kind: 'owed', entry: { slot, options: {} } };
}
