// How long before their instant slots are handed out to be claimed. The claim
// of a second's slots (one batched INSERT for every job due then) must be
// committed by the instant; how long it takes depends on the machine, its load
// and the batch (BENCHMARKS.md: a second's claim of 10,000 slots). The lead follows the slowest of the recent claims, with a margin,
// between MIN_LEAD_MS and MAX_LEAD_MS. Pure: durations are handed in.

/** The lead when claims are quick. */
export const MIN_LEAD_MS = 200;
/** The most: a claimed slot waits at most this long for its instant (and a stop leaves it to the next leader). */
export const MAX_LEAD_MS = 1_000;
/** The slowest of this many recent claims counts. */
const WINDOW = 32;
const MARGIN = 1.5;

export class ClaimLead {
  private readonly recent: number[] = [];
  private next = 0;
  private lead = MIN_LEAD_MS;

  /** The current lead (ms). */
  get ms(): number {
    return this.lead;
  }

  /** Records how long a claim took from hand-out to commit (ms). */
  record(durationMs: number): void {
    this.recent[this.next] = durationMs;
    this.next = (this.next + 1) % WINDOW;
    const slowest = Math.max(...this.recent);
    this.lead = Math.min(MAX_LEAD_MS, Math.max(MIN_LEAD_MS, Math.ceil(slowest * MARGIN)));
  }
}
