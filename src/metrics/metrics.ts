// Prometheus metrics (prom-client), served at /metrics. One registry per
// daemon; names follow Prometheus conventions (units in the name, counters
// ending in _total). Every module that reports takes this object, optionally.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { SNAPSHOT_DECODE_REASONS } from '../snapshot/snapshot-codec.js';
import { JobCounter, type Write, writeJobGauge } from './job-series.js';

const RUN_SECONDS = [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 4 * 3600];
const LATENESS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5, 30, 300, 3600];

export class Metrics {
  readonly registry = new Registry();

  readonly snapshotSaveErrors = this.counter(
    'cronkeeper_snapshot_save_errors_total',
    'Snapshots that could not be written to the store.',
  );
  readonly snapshotEncodeErrors = this.counter(
    'cronkeeper_snapshot_encode_errors_total',
    'Snapshots that could not be serialized.',
  );
  readonly snapshotsWritten = this.counter('cronkeeper_snapshots_written_total', 'Snapshots written.');
  readonly snapshotSaveSeconds = new Histogram({
    name: 'cronkeeper_snapshot_save_duration_seconds',
    help: 'Time to serialize and write a snapshot.',
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [this.registry],
  });
  readonly snapshotBytes = this.gauge(
    'cronkeeper_snapshot_size_bytes',
    'Size of the newest snapshot written.',
  );
  readonly restoreFallbacks = this.counter(
    'cronkeeper_restore_fallbacks_total',
    'Snapshot rows skipped by restore (corrupt, truncated, unknown format).',
    ['reason'],
  );
  readonly badRows = this.counter(
    'cronkeeper_bad_rows_total',
    'Store rows whose content no run can use (an infinite time, a malformed request), skipped or rejected.',
    ['table'],
  );

  // Series by job are written by job-series.ts (see there for why), the others by prom-client.
  readonly runs = new JobCounter(
    'cronkeeper_runs_total',
    'Runs by job, outcome and whether they were catch-up runs.',
    ['job', 'outcome', 'catchup'],
  );
  /** Not by job: 15 series per job would be 1.5 million at 100,000 jobs (by job: the last duration, lastRunMs). */
  readonly runSeconds = new Histogram({
    name: 'cronkeeper_run_duration_seconds',
    help: 'Duration of finished runs (all jobs; by job: cronkeeper_job_last_run_duration_seconds).',
    buckets: RUN_SECONDS,
    registers: [this.registry],
  });
  readonly startLatenessSeconds = new Histogram({
    name: 'cronkeeper_run_start_lateness_seconds',
    help: 'Start of a run minus its scheduled time.',
    labelNames: ['catchup'],
    buckets: LATENESS_SECONDS,
    registers: [this.registry],
  });
  readonly handedPickupSeconds = new Histogram({
    name: 'cronkeeper_handed_pickup_seconds',
    help: "A worker's start of a handed run (its first attempt) minus its scheduled time, by pool.",
    labelNames: ['pool'],
    buckets: LATENESS_SECONDS,
    registers: [this.registry],
  });
  readonly handedWaiting = this.gauge(
    'cronkeeper_handed_waiting',
    'Runs handed to a pool that no worker has taken yet, by pool (as the leader last read them).',
    ['pool'],
  );
  readonly handedLost = this.counter(
    'cronkeeper_handed_runs_lost_total',
    'Runs ended as interrupted because their worker died and no worker of its host took them over within ha.hostWait, by pool.',
    ['pool'],
  );
  readonly handedRuns = this.counter(
    'cronkeeper_handed_runs_total',
    "Attempts workers ran to their end, by pool and the worker's host (as the leader recorded them).",
    ['pool', 'host'],
  );
  readonly workers = this.gauge(
    'cronkeeper_workers',
    'Workers seen in the last ten minutes, by pool and state: alive, silent (dead: no heartbeat for two leases), stopped.',
    ['pool', 'state'],
  );
  readonly catchupRuns = new JobCounter('cronkeeper_catchup_runs_total', 'Catch-up runs started, by job.', [
    'job',
  ]);
  readonly droppedSlots = new JobCounter(
    'cronkeeper_dropped_slots_total',
    'Missed slots left out by maxCatchup, by job.',
    ['job'],
  );
  readonly hookFailures = new JobCounter(
    'cronkeeper_hook_failures_total',
    'onFailure/onSuccess hooks that did not succeed (never retried).',
    ['job', 'hook'],
  );
  readonly runsWaiting = this.gauge(
    'cronkeeper_runs_waiting',
    'Runs waiting for a place under the concurrency limits.',
  );
  readonly claimConflicts = this.counter(
    'cronkeeper_claim_conflicts_total',
    'Claims refused because the slot was already claimed.',
  );
  readonly logDroppedBytes = this.counter(
    'cronkeeper_log_dropped_bytes_total',
    'Log bytes dropped because stdout (journald) did not take them as fast as they came (the log buffer was full).',
  );

  readonly leader = this.gauge('cronkeeper_leader', '1 while this node leads, else 0.');
  readonly leaderEpoch = this.gauge(
    'cronkeeper_leader_epoch',
    'The epoch this node leads (or last led) under.',
  );
  readonly leaderTransitions = this.counter(
    'cronkeeper_leader_transitions_total',
    'Times this node became or stopped being leader.',
  );
  readonly ready = this.gauge('cronkeeper_ready', '1 when /readyz answers 200.');
  readonly jobsConfigured = this.gauge('cronkeeper_jobs_configured', 'Jobs in the running config.');
  // Per-job gauges keep their values in maps, written out at scrape time by writeExposition(): at scale,
  // a labelled set() per change (every slot moves the next-slot gauge) cost seconds at a term's start,
  // and handing prom-client a labelled value per job per scrape held the event loop and made garbage
  // on every scrape (see job-series.ts).
  private readonly lastSuccessMs = new Map<string, number>();
  private readonly staleByJob = new Map<string, number>();
  private readonly nextSlotMs = new Map<string, number>();
  private readonly pausedByJob = new Map<string, number>();
  private readonly lastRunMs = new Map<string, number>();
  private readonly jobFamilies: readonly JobFamily[] = [
    {
      name: 'cronkeeper_job_last_success_timestamp_seconds',
      help: 'Scheduled time of the newest successful run, by job (Unix seconds).',
      values: this.lastSuccessMs,
      divisor: 1000,
    },
    {
      name: 'cronkeeper_job_stale',
      help: '1 when the job (one with maxAge) has had no successful run for longer than its maxAge, else 0; by job. Set by the leader.',
      values: this.staleByJob,
      divisor: 1,
    },
    {
      name: 'cronkeeper_job_next_slot_timestamp_seconds',
      help: 'The next slot, by job (Unix seconds).',
      values: this.nextSlotMs,
      divisor: 1000,
    },
    {
      name: 'cronkeeper_job_paused',
      help: '1 while the job is paused (cronkeeper pause), else 0; by job. Set by the leader.',
      values: this.pausedByJob,
      divisor: 1,
    },
    {
      name: 'cronkeeper_job_last_run_duration_seconds',
      help: 'Duration of the newest finished run (attempt), by job.',
      values: this.lastRunMs,
      divisor: 1000,
    },
  ];
  readonly clockSkew = this.gauge(
    'cronkeeper_clock_skew_seconds',
    "This node's wall clock minus the database server's now(), round trip accounted for (seconds).",
  );
  readonly clockJumps = this.counter(
    'cronkeeper_clock_jumps_total',
    'Wall-clock jumps detected against the monotonic clock, by direction (forward, backward).',
    ['direction'],
  );
  readonly controls = this.counter(
    'cronkeeper_controls_total',
    'Operator controls this node carried out as leader (pause, resume, trigger, backfill).',
    ['action'],
  );
  readonly databaseUp = this.gauge('cronkeeper_database_up', '1 when the last check of the store succeeded.');
  readonly databaseFailovers = this.counter(
    'cronkeeper_database_failovers_total',
    "Database failovers this node was the first to see (a new timeline or cluster on the leader-lock connection; see 'cronkeeper status').",
  );
  readonly configReloads = this.counter('cronkeeper_config_reloads_total', 'Config reloads applied.');
  readonly configReloadErrors = this.counter(
    'cronkeeper_config_reload_errors_total',
    'Config reloads rejected (invalid config).',
  );

  /** Missed slots dropped per job since start (for /status). */
  readonly droppedByJob = new Map<string, number>();

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    // Every label value known in advance has its series from the start, at 0: an alert on
    // increase(...) > 0 then sees the first event, not only the second.
    for (const reason of SNAPSHOT_DECODE_REASONS) this.restoreFallbacks.inc({ reason }, 0);
    for (const table of ['cronkeeper_runs', 'cronkeeper_controls', 'cronkeeper_job_controls'])
      this.badRows.inc({ table }, 0);
    for (const direction of ['forward', 'backward']) this.clockJumps.inc({ direction }, 0);
    for (const action of ['pause', 'resume', 'trigger', 'backfill']) this.controls.inc({ action }, 0);
    // prom-client also exports these gauges with a _total suffix, which Prometheus
    // reserves for counters (promtool check metrics fails on them); the same
    // values stay available as nodejs_active_handles, _requests and _resources.
    for (const name of [
      'nodejs_active_handles_total',
      'nodejs_active_requests_total',
      'nodejs_active_resources_total',
    ]) {
      this.registry.removeSingleMetric(name);
    }
  }

  countDropped(job: string, n: number): void {
    if (n <= 0) return;
    this.droppedSlots.inc({ job }, n);
    this.droppedByJob.set(job, (this.droppedByJob.get(job) ?? 0) + n);
  }

  setNextSlot(job: string, ms: number | undefined): void {
    if (ms === undefined) this.nextSlotMs.delete(job);
    else this.nextSlotMs.set(job, ms);
  }

  /** Records a successful run of `job` scheduled at `ms` (UTC); never moves the gauge backwards. */
  setLastSuccess(job: string, ms: number): void {
    const known = this.lastSuccessMs.get(job);
    if (known !== undefined && known >= ms) return;
    this.lastSuccessMs.set(job, ms);
    for (const listener of this.successListeners) listener(job, ms);
  }

  /** Calls `listener` on every newer success setLastSuccess records; returns the unsubscribe function. */
  onLastSuccess(listener: (job: string, ms: number) => void): () => void {
    this.successListeners.add(listener);
    return () => this.successListeners.delete(listener);
  }

  /** Sets (true/false) or removes (undefined: no freshness check) the job's stale gauge. */
  setStale(job: string, stale: boolean | undefined): void {
    if (stale === undefined) this.staleByJob.delete(job);
    else this.staleByJob.set(job, stale ? 1 : 0);
  }

  setPaused(job: string, paused: boolean): void {
    this.pausedByJob.set(job, paused ? 1 : 0);
    if (paused) this.nextSlotMs.delete(job);
  }

  /** Forgets the per-job gauges of jobs no longer configured; the configured ones get their dropped-slot series at 0. */
  retainJobs(jobs: { has(job: string): boolean; readonly size: number; keys(): Iterable<string> }): void {
    this.droppedSlots.startAtZero(jobs.keys());
    for (const values of [
      this.lastSuccessMs,
      this.staleByJob,
      this.nextSlotMs,
      this.pausedByJob,
      this.lastRunMs,
    ])
      for (const job of values.keys()) if (!jobs.has(job)) values.delete(job);
    this.jobsConfigured.set(jobs.size);
  }

  private readonly successListeners = new Set<(job: string, ms: number) => void>();

  private counter<T extends string>(name: string, help: string, labelNames: T[] = []): Counter<T> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  /** Writes the /metrics text (Prometheus text format 0.0.4): the registry's metrics, then the series by job. */
  async writeExposition(write: Write): Promise<void> {
    write(await this.registry.metrics());
    for (const c of [this.runs, this.catchupRuns, this.droppedSlots, this.hookFailures]) c.writeTo(write);
    for (const f of this.jobFamilies) writeJobGauge(write, f.name, f.help, f.values, f.divisor);
  }

  /** The /metrics text as one string. */
  async exposition(): Promise<string> {
    const chunks: string[] = [];
    await this.writeExposition((c) => chunks.push(c));
    return chunks.join('');
  }

  /** Records a finished run (attempt) of `job`: the duration histogram and the job's last duration. */
  recordRunDuration(job: string, ms: number): void {
    this.runSeconds.observe(ms / 1000);
    this.lastRunMs.set(job, ms);
  }

  /** The exposition's content type. */
  get contentType(): string {
    return this.registry.contentType;
  }

  private gauge<T extends string>(name: string, help: string, labelNames: T[] = []): Gauge<T> {
    return new Gauge({ name, help, labelNames, registers: [this.registry] });
  }
}

/** A gauge by job, its values kept in `values` (divided by `divisor` when written out). */
interface JobFamily {
  name: string;
  help: string;
  values: ReadonlyMap<string, number>;
  divisor: number;
}
