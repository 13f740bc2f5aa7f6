// Claims go to the ledger one batch at a time (BatchQueue): few round trips
// under load, and ledger ids committed in the order this leader sees them,
// which is what makes a snapshot's high-water mark exact.
import type { Queryable } from '../store/db.js';
import type { Fence } from '../store/fence.js';
import type { SlotClaim } from '../schedule/slot.js';
import { type ClaimResult, claimSlots } from '../store/ledger.js';
import { BatchQueue } from '../runtime/batch-queue.js';

export class ClaimQueue {
  private readonly batches = new BatchQueue<SlotClaim[], ClaimResult>(async (requests) =>
    splitResult(requests, await this.claimAll(requests.flat())),
  );

  constructor(
    private readonly db: Queryable,
    private readonly fence: () => Fence,
    /** Called synchronously with each committed batch, before any caller resumes. */
    private readonly onCommitted: (result: ClaimResult) => void,
  ) {}

  claim(slots: SlotClaim[]): Promise<ClaimResult> {
    return this.batches.add(slots);
  }

  /** Resolves once nothing is queued or in flight. */
  idle(): Promise<void> {
    return this.batches.idle();
  }

  private async claimAll(slots: SlotClaim[]): Promise<ClaimResult> {
    const fence = this.fence();
    const parts =
      slots.length >= PARALLEL_CLAIM_MIN
        ? [slots.slice(0, slots.length >> 1), slots.slice(slots.length >> 1)]
        : [slots];
    const settled = await Promise.allSettled(parts.map((part) => claimSlots(this.db, fence, part)));
    const committed = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const merged = mergeResults(committed);
    if (committed.length > 0) this.onCommitted(merged);
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    return merged;
  }
}

/**
 * A batch this big (a boot catch-up of 60,000 slots) is claimed as two statements at once, on two
 * connections: the INSERT's cost is the server's, and a second backend halves it on a multi-core
 * server. The state learns of the claims once both committed (so the snapshot's high-water mark
 * stays exact); if one half failed, it still learns of the half that committed, and the callers get
 * the error (what was committed is then claimed and unstarted: the next leader runs it).
 */
export const PARALLEL_CLAIM_MIN = 20_000;

function mergeResults(results: readonly ClaimResult[]): ClaimResult {
  if (results.length === 1) return results[0]!;
  if (results.length === 0) return { claimed: [], conflicts: [] };
  return {
    claimed: results.flatMap((r) => r.claimed).sort((a, b) => a.runId - b.runId),
    conflicts: results.flatMap((r) => r.conflicts),
  };
}

function splitResult(requests: SlotClaim[][], result: ClaimResult): ClaimResult[] {
  if (requests.length === 1) return [result];
  const owner = new Map<string, number>();
  requests.forEach((slots, i) => slots.forEach((s) => owner.set(`${s.job}\u0000${s.scheduledAtMs}`, i)));
  const parts: ClaimResult[] = requests.map(() => ({ claimed: [], conflicts: [] }));
  for (const c of result.claimed) parts[owner.get(`${c.job}\u0000${c.scheduledAtMs}`)!]!.claimed.push(c);
  for (const c of result.conflicts) parts[owner.get(`${c.job}\u0000${c.scheduledAtMs}`)!]!.conflicts.push(c);
  return parts;
}
