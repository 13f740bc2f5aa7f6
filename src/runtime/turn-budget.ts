// Long loops over every job (100,000 of them at the start of a term, or on a
// reload) give the event loop a turn every few tens of milliseconds: the
// leader's heartbeat must run within its lease (ha.lease), or the term is lost,
// and the HTTP side (/healthz, /metrics) must keep answering.
const TURN_MS = 25;

export class TurnBudget {
  private startedAt = performance.now();

  /** True once the current turn has run for its budget. Cheap enough to ask per item. */
  spent(): boolean {
    return performance.now() - this.startedAt >= TURN_MS;
  }

  /** Lets timers and I/O run (the heartbeat among them), then starts a new turn. */
  async yield(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    this.startedAt = performance.now();
  }
}
