// The leader's freshness gauges: cronkeeper_job_last_success_timestamp_seconds
// and cronkeeper_job_stale, right from the start of a term (read from the
// ledger, not waiting for the next success), updated as runs succeed, and
// re-evaluated every few seconds, since a job turns stale with time alone.
import type { Logger } from 'pino';
import type { Clock } from '../runtime/clock.js';
import type { JobConfig } from '../config/types.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Queryable } from '../store/db.js';
import { readSuccessFacts } from '../store/last-success.js';
import { type FreshnessFacts, evaluateFreshness, mergeFacts } from './freshness.js';
import { jobsByName } from '../config/jobs-by-name.js';
import { isoOrNull } from '../text/iso-time.js';

export const FRESHNESS_CHECK_MS = 5_000;
/** Jobs whose ledger facts one statement reads. */
const LOAD_SLICE = 5_000;

export interface FreshnessTrackerOptions {
  db: Queryable;
  metrics: Metrics;
  clock: Clock;
  logger: Logger;
  /** The configured jobs (they change on reload). */
  jobs: () => readonly JobConfig[];
  /** The job's time in the state, UTC ms: the first value seen is its first sighting when the ledger has no rows. */
  stateTime: (job: string) => number | undefined;
  intervalMs?: number;
}

export class FreshnessTracker {
  /** The facts of the jobs with a maxAge (the only ones judged): not one object per job of 100,000. */
  private readonly facts = new Map<string, FreshnessFacts>();
  /** Jobs whose ledger facts were read: only they are judged (no verdict on half the facts). */
  private readonly loaded = new Set<string>();
  private readonly stale = new Set<string>();
  private loading: Promise<void> | undefined;
  private loadFailing = false;
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly o: FreshnessTrackerOptions) {}

  /** Starts reading the ledger (in the background: readiness does not wait for it) and checking. */
  start(): this {
    this.unsubscribe = this.o.metrics.onLastSuccess((job, ms) => {
      const config = this.byName().get(job);
      if (config?.maxAgeMs === undefined) return;
      this.facts.set(job, mergeFacts(this.facts.get(job), { lastSuccessMs: ms, firstKnownMs: undefined }));
      // Only that job: a success must not cost a pass over every job (10,000 successes a second).
      if (this.loaded.has(job)) this.evaluateJob(config, this.o.clock.now());
    });
    void this.check();
    this.timer = setInterval(() => void this.check(), this.o.intervalMs ?? FRESHNESS_CHECK_MS);
    return this;
  }

  /** Stops checking and withdraws the stale gauges: a standby does not keep a verdict it no longer maintains. */
  stop(): void {
    clearInterval(this.timer);
    this.unsubscribe?.();
    for (const job of this.o.jobs()) this.o.metrics.setStale(job.name, undefined);
  }

  /** Reads the facts of jobs not read yet (new ones after a reload too), then judges every job. */
  async check(): Promise<void> {
    const jobs = this.refresh();
    // A pass over every job only until all were read (and after a reload): an idle daemon of
    // 100,000 jobs must not walk them every few seconds.
    if (!this.allLoaded) {
      const missing = jobs.filter((j) => !this.loaded.has(j.name));
      if (missing.length > 0) await this.load(missing.map((j) => j.name));
      this.allLoaded = jobs === this.jobsSeen && jobs.every((j) => this.loaded.has(j.name));
    }
    this.evaluate();
  }

  private load(jobs: string[]): Promise<void> {
    this.loading ??= this.loadInSlices(jobs)
      .then(() => {
        this.loadFailing = false;
      })
      .catch((err: unknown) => {
        if (!this.loadFailing)
          this.o.logger.warn({ err }, 'freshness: could not read the ledger; will retry');
        this.loadFailing = true;
      })
      .finally(() => (this.loading = undefined));
    return this.loading;
  }

  /**
   * A statement per slice of jobs, not one for 100,000: each slice's names and
   * rows are let go before the next is read, and other reads get their turn.
   */
  private async loadInSlices(jobs: string[]): Promise<void> {
    for (let at = 0; at < jobs.length; at += LOAD_SLICE) {
      const slice = jobs.slice(at, at + LOAD_SLICE);
      const read = await readSuccessFacts(this.o.db, slice);
      const byName = this.byName();
      read.forEach((f, job) => {
        if (f.lastSuccessMs !== undefined) this.o.metrics.setLastSuccess(job, f.lastSuccessMs);
        if (byName.get(job)?.maxAgeMs === undefined) return;
        this.facts.set(
          job,
          mergeFacts(this.facts.get(job), { lastSuccessMs: f.lastSuccessMs, firstKnownMs: f.firstRowMs }),
        );
      });
      // A job with no ledger row has no facts to read: it is read all the same.
      for (const job of slice) this.loaded.add(job);
    }
  }

  /** Judges the jobs with a maxAge (the others have no verdict to keep; one a reload took it from loses it). */
  private evaluate(): void {
    this.refresh();
    const nowMs = this.o.clock.now();
    for (const job of this.withMaxAge) this.evaluateJob(job, nowMs);
    for (const name of this.stale) {
      if (this.jobIndex.get(name)?.maxAgeMs !== undefined) continue;
      this.stale.delete(name);
      this.o.metrics.setStale(name, undefined);
    }
  }

  private jobsSeen: readonly JobConfig[] | undefined;
  private jobIndex: ReadonlyMap<string, JobConfig> = new Map();
  private withMaxAge: readonly JobConfig[] = [];
  private allLoaded = false;

  /** The configured jobs; their index and the ones with a maxAge are rebuilt when a reload replaced the list. */
  private refresh(): readonly JobConfig[] {
    const jobs = this.o.jobs();
    if (jobs !== this.jobsSeen) {
      const before = this.jobIndex;
      this.jobsSeen = jobs;
      this.jobIndex = jobsByName(jobs);
      this.withMaxAge = jobs.filter((j) => j.maxAgeMs !== undefined);
      // Facts are kept for jobs with a maxAge only: one that gained it is read again.
      for (const j of this.withMaxAge)
        if (before.get(j.name)?.maxAgeMs === undefined) this.loaded.delete(j.name);
      for (const name of this.facts.keys())
        if (this.jobIndex.get(name)?.maxAgeMs === undefined) this.facts.delete(name);
      this.allLoaded = false;
    }
    return jobs;
  }

  /** The configured jobs by name. */
  private byName(): ReadonlyMap<string, JobConfig> {
    this.refresh();
    return this.jobIndex;
  }

  private evaluateJob(job: JobConfig, nowMs: number): void {
    if (!this.loaded.has(job.name)) return;
    // Kept: the state's time moves on with every claim, the first sighting must not (the earliest wins).
    const facts = mergeFacts(this.facts.get(job.name), {
      lastSuccessMs: undefined,
      firstKnownMs: this.o.stateTime(job.name),
    });
    this.facts.set(job.name, facts);
    const f = evaluateFreshness(facts, job.maxAgeMs, nowMs);
    this.o.metrics.setStale(job.name, f.maxAgeMs === undefined ? undefined : f.stale);
    if (f.stale === this.stale.has(job.name)) return;
    const fields = {
      job: job.name,
      lastSuccess: isoOrNull(f.lastSuccessMs),
      maxAgeMs: f.maxAgeMs,
      staleAt: isoOrNull(f.staleAtMs),
    };
    if (f.stale) {
      this.stale.add(job.name);
      this.o.logger.warn(fields, 'job is stale: no successful run within its maxAge');
    } else {
      this.stale.delete(job.name);
      this.o.logger.info(fields, 'job is fresh again');
    }
  }
}
