// Per-job Prometheus series, kept in maps and written out in the text format
// (0.0.4) by us rather than through prom-client. With many jobs a scrape
// through prom-client's labelled metrics held the event loop for longer than
// a leader's lease and took a large part of the heap, most of it a
// run-duration histogram of 15 series per job (BENCHMARKS.md, "Measurements
// behind the code"). Written from maps, in chunks (CHUNK): one string
// of the whole exposition per scrape would land in V8's old generation, and a
// few scrapes later cost a major collection.

/** Receives the exposition a chunk at a time. */
export type Write = (chunk: string) => void;

const CHUNK = 64 * 1024;

/** A counter by job (and further labels): one value per label set, never forgotten, as prom-client's. */
export class JobCounter<L extends string> {
  /**
   * By label set: `job="a",reason="b"`; in a family labelled by job alone, by the job's name
   * itself (the config's own string, not a label text built and kept for each of 100,000 jobs).
   */
  private readonly values = new Map<string, number>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly ['job', ...L[]],
  ) {}

  inc(labels: { job: string } & Record<L, string>, n = 1): void {
    if (this.labelNames.length === 1) {
      this.values.set(labels.job, (this.values.get(labels.job) ?? 0) + n);
      return;
    }
    let key = '';
    for (const l of this.labelNames) {
      key += `${key === '' ? '' : ','}${l}="${escapeLabel((labels as Record<string, string>)[l] ?? '')}"`;
    }
    this.values.set(key, (this.values.get(key) ?? 0) + n);
  }

  /**
   * Gives each of `jobs` its series at 0 if it has none (a family labelled by job alone): an alert
   * on increase() sees the first event. Series of jobs no longer listed are kept: counters do not
   * go back.
   */
  startAtZero(jobs: Iterable<string>): void {
    if (this.labelNames.length !== 1)
      throw new Error(`${this.name}: startAtZero needs a family labelled by job alone`);
    for (const job of jobs) if (!this.values.has(job)) this.values.set(job, 0);
  }

  /** Writes the family: HELP, TYPE and a line per label set. */
  writeTo(write: Write): void {
    let out = header(this.name, this.help, 'counter');
    const byJob = this.labelNames.length === 1;
    for (const [key, v] of this.values) {
      const labels = byJob ? `job="${escapeLabel(key)}"` : key;
      out += `${this.name}{${labels}} ${formatValue(v)}\n`;
      if (out.length >= CHUNK) {
        write(out);
        out = '';
      }
    }
    write(out);
  }
}

/** Writes a gauge by job whose values live in `values` (divided by `divisor`). */
export function writeJobGauge(
  write: Write,
  name: string,
  help: string,
  values: ReadonlyMap<string, number>,
  divisor = 1,
): void {
  let out = header(name, help, 'gauge');
  for (const [job, v] of values) {
    out += `${name}{job="${escapeLabel(job)}"} ${formatValue(v / divisor)}\n`;
    if (out.length >= CHUNK) {
      write(out);
      out = '';
    }
  }
  write(out);
}

function header(name: string, help: string, type: string): string {
  return `# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}\n# TYPE ${name} ${type}\n`;
}

function escapeLabel(s: string): string {
  return /[\\\n"]/.test(s) ? s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"') : s;
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}
