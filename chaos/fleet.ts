// The job fleet of the chaos runs: many jobs, a few every second, the rest per
// minute or slower, every one of them appending one line per run to a shared
// output file (O_APPEND: one short write per line, so lines never interleave).
// Schedules are chosen so their slots are plain arithmetic: a slot of a job is
// every instant t (UTC ms) with t mod periodMs = offsetMs.
import fs from 'node:fs';

export interface FleetJob {
  name: string;
  periodMs: number;
  offsetMs: number;
  /** The YAML lines of the job's schedule. */
  schedule: string;
}

export interface FleetOptions {
  jobs: number;
  /** How many of them run every second (the rest: per minute, every 5 minutes, hourly). */
  perSecond: number;
}

/**
 * `perSecond` jobs every second (cron with seconds); of the rest, one in ten per
 * minute (cron), three in ten every 5 minutes and six in ten hourly (`every`),
 * spread over the seconds: a load a 2-core machine can catch up after each kill.
 */
export function buildFleet(o: FleetOptions): FleetJob[] {
  const jobs: FleetJob[] = [];
  for (let i = 0; i < o.jobs; i++) {
    const name = `job-${String(i).padStart(4, '0')}`;
    const second = i % 60;
    if (i < o.perSecond) {
      jobs.push({ name, periodMs: 1_000, offsetMs: 0, schedule: `schedule: "* * * * * *"` });
    } else if (i % 10 < 1) {
      jobs.push({
        name,
        periodMs: 60_000,
        offsetMs: second * 1_000,
        schedule: `schedule: "${second} * * * * *"`,
      });
    } else if (i % 10 < 4) {
      const offsetS = (i * 7) % 300;
      jobs.push({
        name,
        periodMs: 300_000,
        offsetMs: offsetS * 1_000,
        schedule: `every: 5m\n    offset: ${offsetS}s`,
      });
    } else {
      const offsetS = (i * 13) % 3600;
      jobs.push({
        name,
        periodMs: 3_600_000,
        offsetMs: offsetS * 1_000,
        schedule: `every: 1h\n    offset: ${offsetS}s`,
      });
    }
  }
  return jobs;
}

/** The shell command of every job: "<job> <scheduledAt> <runId> <catchup>" appended to `outFile`. */
export function appendLineCommand(outFile: string): string[] {
  return [
    '/bin/sh',
    '-c',
    `echo "$CRONKEEPER_JOB $CRONKEEPER_SCHEDULED_AT $CRONKEEPER_RUN_ID $CRONKEEPER_CATCHUP" >> '${outFile}'`,
  ];
}

export interface FleetConfigOptions {
  storeYaml: string;
  fleet: FleetJob[];
  outFile: string;
  /** Extra top-level YAML (ha, snapshot, …). */
  extra?: string;
  /** Each job's command (default: appendLineCommand(outFile)); its line must be appendLineCommand's. */
  command?: (job: FleetJob, index: number) => string[];
  /** Extra YAML fields of every job, one per line (`runOn: pool`). */
  jobFields?: string[];
  /** Catch-up runs at once (default 16). */
  catchupConcurrency?: number;
}

/**
 * A config where no slot may be left out by policy: `catchup: all`, a window
 * longer than any run and a cap above any gap, so every slot not claimed is a
 * missed slot; `overlap: allow`, so no slot is skipped for overlapping either. `onInterrupted: skip` (the default): a run killed mid-flight is
 * recorded `interrupted`, not run again.
 */
export function writeFleetConfig(file: string, o: FleetConfigOptions): void {
  const command = (j: FleetJob, i: number) =>
    JSON.stringify(o.command ? o.command(j, i) : appendLineCommand(o.outFile));
  const fields = (o.jobFields ?? []).map((f) => `    ${f}\n`).join('');
  const jobs = o.fleet
    .map((j, i) => `  ${j.name}:\n    ${j.schedule}\n    command: ${command(j, i)}\n${fields}`)
    .join('');
  fs.writeFileSync(
    file,
    `${o.storeYaml}
${o.extra ?? ''}
catchupConcurrency: ${o.catchupConcurrency ?? 16}
shutdownGrace: 10s
defaults:
  catchup: all
  catchupWindow: 6h
  maxCatchup: 100000
  onInterrupted: skip
  # A slot due while the job's previous run is still running (a slow start
  # under load) runs too: the overlap policy is tested elsewhere, and \`skip\`
  # would leave out slots here by policy.
  overlap: allow
jobs:
${jobs}`,
  );
}

export interface OutputRun {
  job: string;
  scheduledAtMs: number;
  runId: number;
  catchup: boolean;
}

/** The jobs' own record of what ran; a torn last line (a run killed mid-write) is ignored. */
export function readFleetOutput(outFile: string): OutputRun[] {
  if (!fs.existsSync(outFile)) return [];
  const runs: OutputRun[] = [];
  for (const line of fs.readFileSync(outFile, 'utf8').split('\n')) {
    const [job, at, runId, catchup] = line.split(' ');
    if (!job || !at || !runId || catchup === undefined) continue;
    runs.push({ job, scheduledAtMs: Date.parse(at), runId: Number(runId), catchup: catchup === '1' });
  }
  return runs;
}
