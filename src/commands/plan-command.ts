// `cronkeeper plan`: what catch-up would run now, executing nothing.
import fs from 'node:fs';
import { planCatchUp } from '../catchup/plan-catch-up.js';
import type { Config } from '../config/types.js';
import { SlotCalculators } from '../schedule/slot-calculator.js';
import { snapshotCodec } from '../snapshot/snapshot-codec.js';
import { restoreState } from '../store/restore-state.js';
import { UsageError, findJob, parseInstantArg, printJson, printTable, withStore } from './common.js';
import { out } from './cli-io.js';
import { isoOrNull } from '../text/iso-time.js';

export async function planCommand(
  config: Config,
  opts: { state?: string; now?: string; json: boolean },
): Promise<void> {
  const nowMs = opts.now !== undefined ? parseInstantArg(opts.now, '--now') : Date.now();
  const lastExecution =
    opts.state !== undefined
      ? readStateFile(opts.state, config)
      : await withStore(config, async (db) => (await restoreState(db, snapshotCodec)).lastExecution);
  const calculators = new SlotCalculators();
  const plan = planCatchUp(
    config.jobs.map((j) => ({
      name: j.name,
      slots: calculators.forSchedule(j.schedule),
      catchup: j.catchup,
      catchupWindowMs: j.catchupWindowMs,
      maxCatchup: j.maxCatchup,
      backfillFromMs: j.backfillFromMs,
    })),
    lastExecution,
    nowMs,
  );
  const dropped = plan.jobs.filter((p) => p.dropped > 0).map((p) => ({ job: p.job, count: p.dropped }));
  if (opts.json) {
    printJson({
      now: isoOrNull(nowMs),
      runs: plan.runs.map((r) => ({ job: r.job, scheduledAt: isoOrNull(r.scheduledAtMs) })),
      dropped,
      // Per job with something to say: what it runs, what it leaves out and why (the text's notes).
      jobs: plan.jobs
        .filter((p) => p.firstSeen || p.runs.length + p.dropped + p.skipped + p.expired > 0)
        .map((p) => ({
          job: p.job,
          catchup: jobPolicy(config, p.job),
          firstSeen: p.firstSeen,
          runs: p.runs.length,
          dropped: p.dropped,
          skipped: p.skipped,
          expired: p.expired,
          /** False when a count is an estimate (a very long outage of a frequent job). */
          exact: p.exact,
        })),
    });
    return;
  }
  out(`catch-up at ${isoOrNull(nowMs)}: ${plan.runs.length} run(s)\n`);
  if (plan.runs.length > 0)
    printTable(
      ['SCHEDULED AT (UTC)', 'JOB'],
      plan.runs.map((r) => [isoOrNull(r.scheduledAtMs), r.job]),
    );
  for (const p of plan.jobs) {
    const notes: string[] = [];
    if (p.firstSeen) notes.push('first seen: no catch-up, baseline now');
    if (p.dropped > 0) notes.push(`${p.dropped}${p.exact ? '' : '+'} dropped by maxCatchup`);
    if (p.skipped > 0)
      notes.push(`${p.skipped}${p.exact ? '' : '+'} skipped by catchup: ${jobPolicy(config, p.job)}`);
    if (p.expired > 0) notes.push(`${p.expired}${p.exact ? '' : '+'} older than the catch-up window`);
    if (notes.length > 0) out(`  ${p.job}: ${notes.join('; ')}\n`);
  }
}

function jobPolicy(config: Config, name: string): string {
  return config.jobs.find((j) => j.name === name)?.catchup ?? '?';
}

/** `{ "<job>": "<ISO last execution time>" }` */
function readStateFile(file: string, config: Config): Map<string, number> {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`--state ${file}: ${(err as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new UsageError(`--state ${file}: expected a JSON object { "<job>": "<ISO time>" }`);
  }
  const out = new Map<string, number>();
  for (const [job, value] of Object.entries(raw)) {
    if (typeof value !== 'string')
      throw new UsageError(`--state ${file}: "${job}" must map to an ISO time string`);
    // A misspelt name would plan that job as never run: say so instead.
    try {
      findJob(config, job);
    } catch (e) {
      throw new UsageError(`--state ${file}: ${(e as Error).message}`);
    }
    out.set(job, parseInstantArg(value, `--state ${file}: "${job}"`));
  }
  return out;
}
