// Claims go to the ledger one batch at a time. Slots requested while a batch is
// in flight are coalesced into the next one: few round trips under load, and
// ledger ids committed in the order this leader sees them, which is what makes
// a snapshot's high-water mark exact.
import type { Queryable } from '../store/db.js';
import type { Fence } from '../store/fence.js';
import { type ClaimResult, type SlotClaim, claimSlots } from '../store/ledger.js';

interface Pending {
  slots: SlotClaim[];
  resolve: (r: ClaimResult) => void;
  reject: (err: unknown) => void;
}

export class ClaimQueue {
  private pending: Pending[] = [];
  private inFlight: Promise<void> | undefined;

  constructor(
    private readonly db: Queryable,
    private readonly fence: () => Fence,
    /** Called synchronously with each committed batch, before any caller resumes. */
    private readonly onCommitted: (result: ClaimResult) => void,
  ) {}

  claim(slots: SlotClaim[]): Promise<ClaimResult> {
    return new Promise((resolve, reject) => {
      this.pending.push({ slots, resolve, reject });
      if (!this.inFlight) this.inFlight = this.drain();
    });
  }

  /** Resolves once nothing is queued or in flight. */
  async idle(): Promise<void> {
    while (this.inFlight) await this.inFlight;
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      const slots = batch.flatMap((p) => p.slots);
      try {
        const result = await claimSlots(this.db, this.fence(), slots);
        this.onCommitted(result);
        splitResult(batch, result);
      } catch (err) {
        for (const p of batch) p.reject(err);
      }
    }
    this.inFlight = undefined;
  }
}

function splitResult(batch: Pending[], result: ClaimResult): void {
  if (batch.length === 1) {
    batch[0]!.resolve(result);
    return;
  }
  const owner = new Map<string, number>();
  batch.forEach((p, i) => p.slots.forEach((s) => owner.set(`${s.job}\u0000${s.scheduledAtMs}`, i)));
  const parts: ClaimResult[] = batch.map(() => ({ claimed: [], conflicts: [] }));
  for (const c of result.claimed) parts[owner.get(`${c.job}\u0000${c.scheduledAtMs}`)!]!.claimed.push(c);
  for (const c of result.conflicts) parts[owner.get(`${c.job}\u0000${c.scheduledAtMs}`)!]!.conflicts.push(c);
  batch.forEach((p, i) => p.resolve(parts[i]!));
}
