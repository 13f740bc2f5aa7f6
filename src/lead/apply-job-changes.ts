// At the start of a term and on reload, before anything is planned: carry
// renamed jobs over (formerNames) and apply each changed schedule's rule
// (onScheduleChange), then remember the schedules now in force. Every
// decision is logged; nothing is guessed (a rename without formerNames is a
// new job, and the log says how to carry the old one over).
import type { Logger } from 'pino';
import { pendingRenames, possibleRenames, scheduleChanges, SpecHashList } from '../catchup/job-changes.js';
import { COUNT_BUDGET, slotRange } from '../catchup/plan-catch-up.js';
import type { JobConfig } from '../config/types.js';
import type { SlotCalculators } from '../schedule/slot-calculator.js';
import type { JobState } from '../state/job-state.js';
import { describeSchedule } from '../schedule/describe-schedule.js';
import { TurnBudget } from '../runtime/turn-budget.js';
import type { Db } from '../store/db.js';
import type { Fence } from '../store/fence.js';
import {
  carryOverRename,
  readRenames,
  readSpecDifferences,
  saveJobSpecs,
  storeKnows,
} from '../store/job-records.js';
import { type JobSlotGap, recordSlotGaps } from '../store/slot-gaps.js';
import { jobsByName } from '../config/jobs-by-name.js';

export interface JobChangesContext {
  db: Db;
  fence: Fence;
  logger: Logger;
  state: JobState;
  calculators: SlotCalculators;
  /** Makes the state durable (a snapshot) before the store records that a change was applied. */
  flush: () => Promise<void>;
  /** The recording of specs still in flight from the previous call, if any. */
  saving?: Promise<void>;
}

export async function applyJobChanges(
  ctx: JobChangesContext,
  jobs: readonly JobConfig[],
  nowMs: number,
): Promise<void> {
  const { db, fence, logger, state } = ctx;
  let changedState = false;
  await ctx.saving;

  // Renames: the store's history, gaps, pause and schedule move once; the state
  // moves whenever it still holds the old name (idempotent across a crash).
  // The few jobs with former names, found in one pass.
  const renamed = jobs.filter((j) => j.formerNames.length > 0);
  const done = await readRenames(db);
  const former = renamed.flatMap((j) => j.formerNames).filter((n) => !done.has(n));
  const inStore = await storeKnows(db, former);
  for (const r of pendingRenames(renamed, (n) => state.lastExecution.has(n) || inStore.has(n), done)) {
    const runs = await carryOverRename(db, fence, r.from, r.to);
    logger.info(
      { from: r.from, to: r.to, runs },
      `job renamed: '${r.from}' carried over to '${r.to}' (formerNames)`,
    );
  }
  for (const job of renamed) {
    for (const old of job.formerNames) {
      const ms = state.lastExecution.get(old);
      if (ms === undefined) continue;
      state.setBaseline(job.name, ms); // never backwards: a newer last execution of the new name stays
      state.lastExecution.delete(old);
      changedState = true;
    }
  }
  // 100,000 names take a while to look up: the heartbeat gets its turns meanwhile.
  const turns = new TurnBudget();
  const { added, gone } = await possibleRenames(jobs, state.lastExecution, turns);
  if (added.length > 0) {
    logger.warn(
      { added, gone },
      `new job(s) ${added.join(', ')} start fresh (no catch-up) while ${gone.join(', ')} ` +
        `no longer configured: if one is a rename, add formerNames: [old-name] to carry its state over`,
    );
  }

  // Schedule changes.
  // Hashed a batch at a time as the store compares them, on the readers' connections: a reload's
  // comparison of 100,000 jobs does not take the claims' connections.
  const hashes = new SpecHashList(jobs);
  const { differs, stored } = await readSpecDifferences(db.readers, jobs.length, (i) => ({
    job: jobs[i]!.name,
    hash: hashes.at(i),
  }));
  const gaps: JobSlotGap[] = [];
  const changes = scheduleChanges(jobs, stored, describeSchedule, (i) => hashes.at(i));
  const byName = jobsByName(jobs);
  for (const c of changes) {
    const job = byName.get(c.job)!;
    const last = state.lastExecution.get(c.job);
    if (c.rule === 'keep' || last === undefined || last >= nowMs) {
      logger.info(
        { job: c.job, from: c.from, to: c.to, onScheduleChange: c.rule },
        'schedule changed: missed slots are those of the new schedule since the last execution (onScheduleChange: keep)',
      );
      continue;
    }
    const slots = ctx.calculators.forSchedule(job.schedule);
    const { count, exact } = slots.count(last, nowMs, COUNT_BUDGET);
    const gap = slotRange({ slots }, 'reanchored', last, nowMs, count, exact);
    if (gap) gaps.push({ job: c.job, ...gap });
    state.setBaseline(c.job, nowMs);
    changedState = true;
    logger.warn(
      { job: c.job, from: c.from, to: c.to, onScheduleChange: c.rule, leftOut: gap?.count ?? 0 },
      'schedule changed: starting fresh from now; slots since the last execution are not run (onScheduleChange: reanchor)',
    );
  }
  await recordSlotGaps(db, fence, gaps);
  // The specs to record, read as they are sent: not 100,000 rows held at once.
  const current = function* () {
    for (let i = 0; i < jobs.length; i++) {
      const j = jobs[i]!;
      if (differs[i] === 1) yield { job: j.name, hash: hashes.at(i), spec: describeSchedule(j.schedule) };
    }
  };
  if (changedState) {
    // The state first: once the new specs are recorded, a restart no longer sees a change to apply.
    await ctx.flush();
    await saveJobSpecs(db, fence, current());
    return;
  }
  // Nothing depends on it now (new jobs, or a change kept as is, which a restart would only log again):
  // out of the way of readiness — 100,000 new jobs take seconds to record.
  ctx.saving = saveJobSpecs(db, fence, current()).catch((err: unknown) => {
    logger.warn({ err }, 'could not record the schedules; a restart will record them');
  });
}
