// A value loaded at most once per `maxAgeMs` and shared by everyone who asks
// (single flight): while a load runs, every caller waits for that load, none
// starts another; a loaded value is handed out until it is `maxAgeMs` old.
// /metrics and /status are built this way, so N concurrent scrapes cost one
// render and N status requests one store read. A failed load is not kept: the
// callers waiting on it get its error, the next caller loads again.
//
// Ages use the monotonic clock (`now`, ms; performance.now by default).

export interface SharedResultOptions<T> {
  /** How long a loaded value is served (ms) before the next caller loads again. */
  maxAgeMs: number;
  load: () => Promise<T>;
  now?: () => number;
}

export interface Shared<T> {
  value: T;
  /** How old the value is (ms) when handed out. */
  ageMs: number;
}

export class SharedResult<T> {
  private loaded: { value: T; at: number } | undefined;
  private loading: Promise<{ value: T; at: number }> | undefined;
  private readonly now: () => number;

  constructor(private readonly o: SharedResultOptions<T>) {
    this.now = o.now ?? (() => performance.now());
  }

  async get(): Promise<Shared<T>> {
    const fresh = this.loaded;
    if (fresh && this.now() - fresh.at < this.o.maxAgeMs)
      return { value: fresh.value, ageMs: this.now() - fresh.at };
    this.loading ??= this.o
      .load()
      .then((value) => (this.loaded = { value, at: this.now() }))
      .finally(() => (this.loading = undefined));
    const { value, at } = await this.loading;
    return { value, ageMs: this.now() - at };
  }
}
