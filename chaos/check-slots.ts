// What "duplicated" and "missed" mean, computed from the jobs' own output and
// the run ledger. Pure: the caller reads both and names the window.
//
// Within the window (fromMs, toMs] (cut at the newest claimed slot, by 10 s at most) every slot of every job is looked at (the
// fleet's config leaves nothing out by policy: catchup all, a long window, no cap):
//   duplicated  the slot appears twice or more in the jobs' output, or the
//               ledger holds two claims of it; also a run in the output that no
//               claim in the ledger stands for (it ran without being claimed)
//   missed      the slot has no claim in the ledger; or (final check) its
//               claim says `success` but the job left no line, or it was
//               claimed but never run and nothing will run it
//   interrupted claimed and started, then the daemon was killed before it
//               recorded the outcome, and nothing told what became of the run
//               (its supervisor died too, or it ran on another host): recorded
//               `interrupted`, not run again (onInterrupted: skip). Run at most
//               once, by policy: neither missed nor duplicated. Where the host
//               survives, promised: 0.
//   recovered   by how a successor learned a run's fate after its daemon died
//               (the ledger's `recovery`: never-started, adopted,
//               ended-unwatched, supervisor-lost, host-unknown); the slots
//               counted here are judged like any other (missed if not run).
//   pending     (final check) claimed, not started when the daemon was last
//               stopped: the next start runs it. Reported, not a miss.
import type { OutputRun } from './fleet.js';
import type { FleetJob } from './fleet.js';

export interface LedgerRow {
  id: number;
  job: string;
  scheduledAtMs: number;
  started: boolean;
  outcome: string | null;
  /** How a successor learned the outcome when the run's daemon died first (null: its own daemon). */
  recovery?: string | null;
}

export interface SlotCheck {
  slotsChecked: number;
  duplicates: number;
  misses: number;
  interrupted: number;
  /** Slots whose run a successor recovered, by how (see above). */
  recovered: Record<string, number>;
  pending: number;
  pendingExamples: string[];
  /** Up to 10 problems, for the log. */
  examples: string[];
}

export interface SlotCheckInput {
  fleet: readonly FleetJob[];
  output: readonly OutputRun[];
  ledger: readonly LedgerRow[];
  /** Exclusive start and inclusive end of the checked window, UTC ms. */
  fromMs: number;
  toMs: number;
  /**
   * After the last stop: every claimed slot must also have run (or be
   * interrupted or pending). While a daemon runs, claims in flight are not
   * judged, only gaps and duplicates.
   */
  final: boolean;
}

const key = (job: string, ms: number) => `${job}@${ms}`;
const CLAIM_LAG_MS = 10_000;

/** A check of no slot: the figures of a scenario that did not run. */
export function noSlotsChecked(): SlotCheck {
  return {
    slotsChecked: 0,
    duplicates: 0,
    misses: 0,
    interrupted: 0,
    recovered: {},
    pending: 0,
    pendingExamples: [],
    examples: [],
  };
}

export function checkSlots(input: SlotCheckInput): SlotCheck {
  const result = noSlotsChecked();
  const problem = (kind: 'duplicates' | 'misses', text: string) => {
    result[kind]++;
    if (result.examples.length < 10)
      result.examples.push(`${kind === 'duplicates' ? 'duplicated' : 'missed'}: ${text}`);
  };
  const claims = new Map<string, LedgerRow[]>();
  const byId = new Map<number, LedgerRow>();
  for (const r of input.ledger) {
    const k = key(r.job, r.scheduledAtMs);
    claims.set(k, [...(claims.get(k) ?? []), r]);
    byId.set(r.id, r);
  }
  const ran = new Map<string, number>();
  for (const o of input.output) {
    if (o.scheduledAtMs <= input.fromMs) continue;
    const k = key(o.job, o.scheduledAtMs);
    ran.set(k, (ran.get(k) ?? 0) + 1);
    const claim = byId.get(o.runId);
    if (!claim || claim.job !== o.job || claim.scheduledAtMs !== o.scheduledAtMs)
      problem('duplicates', `${k} ran as run ${o.runId}, which is not its claim`);
  }
  for (const [k, n] of ran) if (n > 1) problem('duplicates', `${k} ran ${n} times`);
  for (const [k, rows] of claims)
    if (rows.length > 1) problem('duplicates', `${k} claimed ${rows.length} times`);

  // Up to the newest claimed slot: beyond it, a slot due just before the stop
  // may not have been reached yet on a loaded machine; any gap before it is a
  // miss. The cut is at most CLAIM_LAG_MS, so a daemon that stopped claiming shows.
  const newestClaim = input.ledger.reduce((max, r) => Math.max(max, r.scheduledAtMs), -Infinity);
  const toMs = Math.max(input.toMs - CLAIM_LAG_MS, Math.min(input.toMs, newestClaim));
  for (const job of input.fleet) {
    const first = Math.floor((input.fromMs - job.offsetMs) / job.periodMs + 1) * job.periodMs + job.offsetMs;
    for (let t = first; t <= toMs; t += job.periodMs) {
      if (t <= input.fromMs) continue;
      result.slotsChecked++;
      const k = key(job.name, t);
      const claim = claims.get(k)?.[0];
      if (!claim) {
        problem('misses', `${k} (${new Date(t).toISOString()}) was never claimed`);
        continue;
      }
      if (claim.recovery) result.recovered[claim.recovery] = (result.recovered[claim.recovery] ?? 0) + 1;
      if (claim.outcome === 'interrupted') {
        result.interrupted++;
        continue;
      }
      if (!input.final) continue;
      if (claim.outcome === null && !claim.started) {
        result.pending++;
        if (result.pendingExamples.length < 10) result.pendingExamples.push(`${k} (run ${claim.id})`);
      } else if (claim.outcome === 'success' && !ran.has(k))
        problem('misses', `${k} recorded success but left no output`);
      else if (claim.outcome !== 'success')
        problem('misses', `${k} ended ${claim.outcome ?? 'without an outcome'} (run ${claim.id})`);
    }
  }
  return result;
}
