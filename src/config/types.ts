// The validated, normalized configuration. Every duration is in milliseconds,
// every instant a UTC epoch in milliseconds; paths are absolute.

export type CatchupPolicy = 'all' | 'latest' | 'none';
export type OverlapPolicy = 'skip' | 'queue' | 'allow' | 'replace';
export type InterruptedPolicy = 'skip' | 'rerun';
export type LogOutputMode = 'lines' | 'tail' | 'none';
/** What a resumed job does with the slots missed while it was paused. */
export type ResumePolicy = 'skip' | 'catchup';
/** What a job whose schedule changed does with the slots since its last execution. */
export type ScheduleChangePolicy = 'keep' | 'reanchor';

/** Where a config value was written, for error messages. Lines and columns count from 1. */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

/** A cron pattern evaluated on the wall clock of an IANA zone. */
export interface CronSchedule {
  kind: 'cron';
  /** 5 fields, or 6 with seconds first; croner aliases such as @daily are accepted. */
  pattern: string;
  /** IANA zone name; 'UTC' when the config names none. */
  timezone: string;
}

/** A fixed rate whose slots lie on a grid anchored on the Unix epoch: slot = k * everyMs + offsetMs. */
export interface EverySchedule {
  kind: 'every';
  everyMs: number;
  /** 0 <= offsetMs < everyMs */
  offsetMs: number;
}

export type ScheduleSpec = CronSchedule | EverySchedule;

export interface CommandAction {
  kind: 'command';
  /** argv[0] is the program; no shell is involved. */
  argv: string[];
  env: Record<string, string>;
  /** Absolute working directory, or undefined for the daemon's own. */
  cwd: string | undefined;
}

export interface HttpAction {
  kind: 'http';
  url: string;
  method: string;
  headers: Record<string, string>;
}

export type JobAction = CommandAction | HttpAction;

/** An action run after a run's final outcome (onFailure, onSuccess). */
export interface HookConfig {
  /** Same shapes as a job's action; a relative cwd resolves against the file that defines the hook. */
  action: JobAction;
  /** The hook is stopped once it has run this long; default 300_000 (5m). */
  timeoutMs: number;
}

export interface JobConfig {
  name: string;
  /** Where the job's entry starts (its key in `jobs:`). */
  source: SourceLocation;
  schedule: ScheduleSpec;
  action: JobAction;
  catchup: CatchupPolicy;
  /** Only slots newer than now - catchupWindowMs count as missed. */
  catchupWindowMs: number;
  /** Upper bound on catch-up runs for one job; older missed slots beyond it are dropped and counted. */
  maxCatchup: number;
  overlap: OverlapPolicy;
  /** A run is stopped (SIGTERM, then SIGKILL after killGraceMs) once it has run this long. */
  timeoutMs: number;
  killGraceMs: number;
  /**
   * A run that started on a node which then died (no outcome recorded): 'skip'
   * records it as interrupted, 'rerun' runs the slot again on the new leader.
   */
  onInterrupted: InterruptedPolicy;
  /**
   * On `cronkeeper resume`: 'skip' leaves the slots missed while paused unrun (a
   * pause is deliberate); 'catchup' treats them like downtime, by the job's catch-up policy.
   */
  onResume: ResumePolicy;
  /**
   * When the schedule (pattern, zone, every, offset) changed since a leader last
   * saw it: 'keep' computes missed slots from the last execution under the new
   * schedule; 'reanchor' starts fresh from now.
   */
  onScheduleChange: ScheduleChangePolicy;
  /** Names this job had before: their state, history and pause are carried over to it, once. */
  formerNames: string[];
  /** Explicit backfill start (UTC ms) for a job seen for the first time; undefined = its baseline is now. */
  backfillFromMs: number | undefined;
  /** Retries of a failed run within its slot (0 = none); delays grow exponentially with full jitter. */
  retries: { max: number; backoffMs: number; maxBackoffMs: number };
  /** A regular run starts this much (deterministically, per slot) in [0, jitterMs) after its slot. */
  jitterMs: number;
  /** Run after the final failed attempt. */
  onFailure: HookConfig | undefined;
  /** Run after a success. */
  onSuccess: HookConfig | undefined;
  /** Bytes of a run's output (stdout+stderr) kept in the ledger. */
  outputKeepBytes: number;
  /**
   * What of a run's output goes to the daemon's log: 'lines' each line (within
   * logLineRate), 'tail' the kept tail once with 'run finished', 'none' nothing.
   */
  logOutput: LogOutputMode;
  /** Output lines a second one run may log, in bursts of ten seconds' worth; the rest is counted. */
  logLineRate: number;
  /** Leave processes the run started in the background running after it ends (else its group is ended). */
  keepChildren: boolean;
  /**
   * Freshness: the job is stale once its newest successful run (by scheduled
   * time; manual runs count) is older than this (ms). Unset: no freshness check.
   */
  maxAgeMs?: number;
  /**
   * The daemon's secrets (run/job-env.ts) a command job and its hooks inherit
   * after all; unset (the default): none of them.
   */
  inheritEnv?: readonly string[];
  /**
   * The pool of workers that runs the job (`cronkeeper worker --pool`); unset:
   * the leader runs it (`runOn: local`).
   */
  runOn?: string;
}

export interface StoreConfig {
  /** Postgres server URL; when set the embedded store is not used. */
  url: string | undefined;
  /** Absolute directory of the embedded store (PGlite). */
  path: string;
  /** Lead only on a server whose settings make every commit wait for a synchronous standby. */
  requireSynchronousReplication: boolean;
}

export interface SpoolConfig {
  /**
   * Absolute directory where command runs leave their output and exit status
   * (a directory per run, removed once the outcome is recorded), so the next
   * daemon on this host can adopt a run its predecessor left.
   */
  path: string;
}

export interface SnapshotConfig {
  intervalMs: number;
  maxUpdates: number;
  keep: number;
}

export interface Config {
  /** Absolute path of the main config file. */
  file: string;
  store: StoreConfig;
  spool: SpoolConfig;
  snapshot: SnapshotConfig;
  ledger: { retentionMs: number };
  http: {
    /** host:port; port 0 = any free port. */
    listen: string;
    /** Required when `listen` is not loopback: every request must present it (Bearer or ?token=). */
    token: string | undefined;
    /** Host names requests may carry in their Host header, besides loopback names and the listen host. */
    allowedHosts: readonly string[];
  };
  ha: {
    nodeId: string | undefined;
    /** A leader whose lock connection is silent this long loses leadership (frozen, partitioned). */
    leaseMs: number;
    /** How often a standby tries to take the leader lock. */
    pollMs: number;
    /**
     * How long a run left on another node's host (its home) waits for a daemon there to come back and
     * adopt it, after a takeover, before it is taken as lost (onInterrupted decides).
     */
    hostWaitMs: number;
  };
  /** How many catch-up runs may be in progress at once, across all jobs. */
  catchupConcurrency: number;
  /** Runs in progress at once: `max` across all jobs, `perJob` per job; undefined = no limit. */
  concurrency: { max: number | undefined; perJob: number | undefined };
  /** On SIGTERM, how long running jobs may take to finish before they are stopped. */
  shutdownGraceMs: number;
  /** Sorted by name; names are unique. */
  jobs: JobConfig[];
}

/** One problem in a config, located as precisely as the source allows. */
export interface ConfigProblem {
  file: string;
  line: number;
  column: number;
  /** Dotted path of the offending value, e.g. `jobs.nightly-report.schedule`; '' for the document. */
  path: string;
  message: string;
}

/** Thrown by loadConfig with every problem found; the CLI prints them and exits 78 (EX_CONFIG). */
export class ConfigError extends Error {
  readonly problems: ConfigProblem[];
  constructor(problems: ConfigProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export function formatProblem(p: ConfigProblem): string {
  return `${p.file}:${p.line}:${p.column}: ${p.path ? `${p.path}: ` : ''}${p.message}`;
}
