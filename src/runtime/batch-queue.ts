// Requests made while a batch is in flight go together in the next one: when
// idle, a request goes at once, alone; under load, one round trip carries all
// that came meanwhile. Used for the claims and the hand-offs to workers.

interface Pending<T, R> {
  item: T;
  resolve: (r: R) => void;
  reject: (err: unknown) => void;
}

export class BatchQueue<T, R> {
  private pending: Pending<T, R>[] = [];
  private inFlight: Promise<void> | undefined;

  /** `run` gets the batch's items in the order they came and answers each, in the same order. */
  constructor(private readonly run: (items: T[]) => Promise<R[]>) {}

  add(item: T): Promise<R> {
    return new Promise((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
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
      try {
        const results = await this.run(batch.map((p) => p.item));
        batch.forEach((p, i) => p.resolve(results[i]!));
      } catch (err) {
        for (const p of batch) p.reject(err);
      }
    }
    this.inFlight = undefined;
  }
}
