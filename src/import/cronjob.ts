// `cronkeeper import cronjob`: Kubernetes CronJobs (batch/v1) as a cronkeeper
// config, and what became of each field. The schedule and its zone, the
// concurrency policy, the starting deadline, the retries, the deadline and
// the container's command, directory and literal environment carry over; the
// pod around the command (image, volumes, resources, ...) cannot, and each
// such field is reported. Pure: text in, text out.
import { isValidTimeZone } from '../schedule/cron-calculator.js';
import { checkCronPattern } from '../schedule/pattern-check.js';
import { type YamlConfig, type YamlJob, type YamlPolicy, writeConfigYaml } from './config-yaml.js';
import {
  type Located,
  type Manifests,
  entries,
  field,
  items,
  readManifests,
  scalar,
} from './cronjob-manifest.js';
import { readContainer } from './cronjob-container.js';
import { readSchedule } from './cronjob-schedule.js';
import { type ZoneTransitions, dstDifferences } from './dst-differences.js';
import { CRONJOB_DEFAULTS, cronJobHeader } from './import-defaults.js';
import {
  type SourceImport,
  type SourceNote,
  jobNameOf,
  orderedNotes,
  quietRefused,
  uniqueName,
} from './import-notes.js';
import { configDuration } from './systemd-unit-file.js';

/** Any instant serves: five fields repeat with the 400-year cycle (see crontab.ts). */
const CHECK_FROM_MS = Date.UTC(2000, 0, 1);
const OVERLAP: Record<string, string> = { Allow: 'allow', Forbid: 'skip', Replace: 'replace' };
const POD_MESSAGE = 'a pod setting: cronkeeper runs the command as a process on its own host, without it';
const KEEP_MESSAGE = "cronkeeper keeps every run in its ledger for ledger.retention (see 'cronkeeper runs')";

export type Note = (at: Located, outcome: SourceNote['outcome'], message?: string) => SourceNote;

/** The config for the CronJobs of `text` (read from `source`, as shown in notes) and a note for each field. */
export function importCronJobs(text: string, source: string): SourceImport {
  const manifests = readManifests(text);
  const notes: SourceNote[] = [];
  for (const p of manifests.problems) {
    notes.push({
      file: source,
      line: p.line,
      source: manifests.lineText(p.line),
      outcome: 'error',
      message: p.message,
    });
  }
  const jobs: YamlJob[] = [];
  const taken = new Set<string>();
  const transitions: ZoneTransitions = new Map();
  for (const object of manifests.objects) {
    const own: SourceNote[] = [];
    const note: Note = (at, outcome, message) => {
      const line = manifests.lineAt(at.offset);
      const n: SourceNote = {
        file: source,
        line,
        source: manifests.lineText(line),
        outcome,
        ...(message ? { message } : {}),
      };
      own.push(n);
      return n;
    };
    const reasons = new Set<SourceNote>();
    const job = importObject(object, manifests, note, taken, transitions, reasons);
    if (!job) quietRefused(own, reasons, cronJobLabel(object));
    if (job) {
      for (const n of own) n.job = job.name;
      job.comments.push(...jobComments(own, source));
      jobs.push(job);
    }
    notes.push(...own);
  }
  const report = orderedNotes(notes, [source]);
  const config: YamlConfig = {
    header: cronJobHeader(source),
    defaults: CRONJOB_DEFAULTS,
    items: jobs.map((job) => ({ kind: 'job', job })),
  };
  return {
    yaml: writeConfigYaml(config),
    report,
    errors: report.filter((n) => n.outcome === 'error').length,
    jobs: jobs.length,
  };
}

/** One object as a job, or undefined (not a CronJob, an error, or refused: the notes say which). */
function importObject(
  object: Located,
  manifests: Manifests,
  note: Note,
  taken: Set<string>,
  transitions: ZoneTransitions,
  reasons: Set<SourceNote>,
): YamlJob | undefined {
  const kind = scalar(field(object.node, 'kind')?.node);
  if (kind !== 'CronJob') {
    const kindOf = typeof kind === 'string' ? kind : 'document without a kind';
    reasons.add(note(object, 'skipped', `a ${kindOf}, not a CronJob`));
    return undefined;
  }
  let failed = false;
  let refused = false;
  const error: Note = (at, _o, message) => {
    failed = true;
    const n = note(at, 'error', message);
    reasons.add(n);
    return n;
  };
  const refuse: Note = (at, _o, message) => {
    refused = true;
    const n = note(at, 'unsupported', message);
    reasons.add(n);
    return n;
  };
  const metadata = field(object.node, 'metadata');
  const nameAt = field(metadata?.node, 'name');
  const name = scalar(nameAt?.node);
  const namespace = scalar(field(metadata?.node, 'namespace')?.node);
  for (const [key, at] of entries(object.node)) {
    if (key === 'apiVersion') {
      const v = scalar(at.node);
      if (v === 'batch/v1') note(at, 'converted');
      else if (v === 'batch/v1beta1') note(at, 'converted', 'read as batch/v1 (the same fields)');
      else error(at, 'error', `apiVersion '${String(v)}': a CronJob is batch/v1`);
    } else if (key !== 'kind' && key !== 'spec') note(at, 'skipped');
  }
  if (typeof name !== 'string' || name === '') {
    error(metadata ?? object, 'error', 'no metadata.name: the API server refuses the CronJob');
    return undefined;
  }
  const job: YamlJob = {
    name: uniqueName(jobNameOf(name), taken),
    comments: [
      `CronJob ${typeof namespace === 'string' ? `${namespace}/` : ''}${name}, from line ${manifests.lineAt(object.offset)}`,
    ],
    schedule: '',
    timezone: 'UTC',
    command: [],
    env: [],
    policies: [],
  };
  const spec = field(object.node, 'spec');
  const scheduleAt = field(spec?.node, 'schedule');
  const zoneAt = field(spec?.node, 'timeZone');
  const zone = scalar(zoneAt?.node);
  const policies: YamlPolicy[] = [];
  let deadline = false;
  let forbid: SourceNote | undefined;
  for (const [key, at] of entries(spec?.node)) {
    const value = scalar(at.node);
    switch (key) {
      case 'schedule':
      case 'jobTemplate':
        break;
      case 'timeZone':
        if (typeof value !== 'string' || !isValidTimeZone(value))
          error(at, 'error', `unknown time zone '${String(value)}'`);
        else note(at, 'converted');
        break;
      case 'concurrencyPolicy':
        if (typeof value !== 'string' || !(value in OVERLAP))
          error(at, 'error', `'${String(value)}' is not Allow, Forbid or Replace`);
        else {
          if (value !== 'Allow') policies.push({ key: 'overlap', value: OVERLAP[value]! });
          const n = note(at, 'converted');
          if (value === 'Forbid') forbid = n;
        }
        break;
      case 'startingDeadlineSeconds':
        if (!wholeSeconds(value)) error(at, 'error', `'${String(value)}' is no whole number of seconds`);
        else {
          deadline = true;
          const window = configDuration(Math.max(1, value) * 1000)!;
          policies.push({ key: 'catchupWindow', value: window });
          note(at, 'converted', `catchupWindow: ${window}: a run missed by more than that is not made up`);
        }
        break;
      case 'suspend':
        if (value === true) {
          note(
            at,
            'approximated',
            `suspended: a config cannot say paused; before the first 'cronkeeper run', pause it: cronkeeper pause ${job.name} (the request waits in the store)`,
          );
          job.comments.push(
            `SUSPENDED in Kubernetes: run 'cronkeeper pause ${job.name}' before the daemon starts`,
          );
        } else
          note(
            at,
            value === false ? 'converted' : 'error',
            value === false ? undefined : `'${String(value)}' is no boolean`,
          );
        break;
      case 'successfulJobsHistoryLimit':
      case 'failedJobsHistoryLimit':
        note(at, 'skipped', KEEP_MESSAGE);
        break;
      default:
        note(at, 'unsupported', 'not carried over: cronkeeper has no counterpart');
    }
  }
  if (forbid && deadline) {
    forbid.outcome = 'approximated';
    forbid.message =
      'under Forbid, Kubernetes may start a skipped run once the previous one ends, within startingDeadlineSeconds; cronkeeper skips it';
  }

  // The schedule: the job note, with what differs.
  const reading =
    typeof scalar(scheduleAt?.node) === 'string'
      ? readSchedule(scalar(scheduleAt!.node) as string)
      : { error: 'no spec.schedule' };
  if ('error' in reading) error(scheduleAt ?? spec ?? object, 'error', reading.error);
  else if ('unsupported' in reading)
    refuse(scheduleAt!, 'unsupported', `not imported: ${reading.unsupported}`);
  else {
    const messages: string[] = [];
    if (reading.zone !== undefined && zone !== undefined)
      error(scheduleAt!, 'error', 'a TZ= in the schedule and a timeZone: Kubernetes refuses both');
    if (reading.zone !== undefined)
      messages.push("Kubernetes does not support TZ= in a schedule (use timeZone); read as the job's zone");
    job.timezone = reading.zone ?? (typeof zone === 'string' && isValidTimeZone(zone) ? zone : 'UTC');
    if (reading.zone === undefined && zone === undefined) {
      messages.push("no timeZone: the controller manager's local time, UTC in most clusters: written as UTC");
    }
    const problem = checkCronPattern(reading.pattern, job.timezone, CHECK_FROM_MS);
    if (problem) refuse(scheduleAt!, 'unsupported', `not imported: ${problem}`);
    messages.push(...dstDifferences(reading.pattern, job.timezone, 'kubernetes', transitions));
    job.schedule = reading.pattern;
    if (!problem) note(scheduleAt!, 'job', messages.length > 0 ? messages.join('; ') : undefined);
  }

  // The Job, the pod and the container.
  const jobTemplate = field(spec?.node, 'jobTemplate');
  for (const [key, at] of entries(jobTemplate?.node)) if (key !== 'spec') note(at, 'skipped');
  const jobSpec = field(jobTemplate?.node, 'spec');
  const template = field(jobSpec?.node, 'template');
  for (const [key, at] of entries(jobSpec?.node)) {
    const value = scalar(at.node);
    if (key === 'template') continue;
    if (key === 'activeDeadlineSeconds' || key === 'backoffLimit') {
      if (!wholeSeconds(value)) {
        error(at, 'error', `'${String(value)}' is no whole number`);
      } else if (key === 'backoffLimit') {
        if (value !== 6) policies.push({ key: 'retries', value: [['max', String(value)]] });
        if (value === 0) note(at, 'converted');
        else {
          note(
            at,
            'approximated',
            `retries: max ${value}; Kubernetes waits 10s, 20s, 40s, ... (at most 6m) before each new pod, cronkeeper a random time up to the same bounds`,
          );
        }
      } else {
        policies.push({ key: 'timeout', value: configDuration(Math.max(1, value) * 1000)! });
        note(
          at,
          'approximated',
          'timeout: for each attempt here; Kubernetes counted the Job with all its retries',
        );
      }
    } else if ((key === 'completions' || key === 'parallelism') && (value === 1 || value === null))
      note(at, 'converted');
    else if (key === 'completions' || key === 'parallelism')
      refuse(
        at,
        'unsupported',
        `not imported: ${key} ${String(value)} runs the command several times for one slot, which a cronkeeper job cannot`,
      );
    else if (key === 'ttlSecondsAfterFinished') note(at, 'skipped', KEEP_MESSAGE);
    else if (['selector', 'manualSelector', 'completionMode', 'podReplacementPolicy'].includes(key))
      note(at, 'skipped');
    else note(at, 'unsupported', 'a Job setting: not carried over, cronkeeper has no counterpart');
  }
  const pod = field(template?.node, 'spec');
  for (const [key, at] of entries(template?.node)) if (key !== 'spec') note(at, 'skipped');
  const containers = items(field(pod?.node, 'containers')?.node) ?? [];
  for (const [key, at] of entries(pod?.node)) {
    const value = scalar(at.node);
    if (key === 'containers') {
      if (containers.length !== 1)
        refuse(
          at,
          'unsupported',
          `not imported: ${containers.length} containers: a cronkeeper job runs one command`,
        );
    } else if (key === 'restartPolicy') {
      // OnFailure or Never: either way a failed run is retried up to backoffLimit.
      note(at, 'skipped');
    } else if (key === 'terminationGracePeriodSeconds' && wholeSeconds(value)) {
      policies.push({ key: 'killGrace', value: configDuration(Math.max(1, value) * 1000)! });
      note(
        at,
        value === 0 ? 'approximated' : 'converted',
        value === 0 ? 'killGrace: 1s, the least cronkeeper waits before SIGKILL' : undefined,
      );
    } else if (key === 'initContainers') {
      note(
        at,
        'unsupported',
        'not run: they ran before the container; add what they did to the command if it is needed',
      );
    } else note(at, 'unsupported', POD_MESSAGE);
  }
  const container = containers[0];
  if (containers.length === 1) readContainer(container!, note, error, refuse, job);
  else if (pod && !field(pod.node, 'containers'))
    error(pod, 'error', 'no containers: the API server refuses the CronJob');
  job.policies = policies;
  return failed || refused || job.schedule === '' || job.command.length === 0 ? undefined : job;
}

/** `CronJob NAMESPACE/NAME`, as a note names a CronJob that made no job; undefined for another kind. */
function cronJobLabel(object: Located): string | undefined {
  if (scalar(field(object.node, 'kind')?.node) !== 'CronJob') return undefined;
  const metadata = field(object.node, 'metadata')?.node;
  const [name, namespace] = [
    scalar(field(metadata, 'name')?.node),
    scalar(field(metadata, 'namespace')?.node),
  ];
  return `CronJob ${typeof namespace === 'string' ? `${namespace}/` : ''}${typeof name === 'string' ? name : '(no name)'}`;
}

export function wholeSeconds(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

/** The job's comment lines from its notes: what differs, and what was not carried over. */
function jobComments(notes: readonly SourceNote[], source: string): string[] {
  const approximated = notes
    .filter((n) => n.outcome === 'approximated')
    .map((n) => `note: ${n.source.trim()}: ${n.message}`);
  // Each by its key; an env entry (`- name: X`) as `env X`.
  const dropped = notes
    .filter((n) => n.outcome === 'unsupported')
    .map((n) => {
      const entry = /^\s*-\s*name:\s*(\S+)/.exec(n.source);
      return entry ? `env ${entry[1]}` : n.source.trim().replace(/:.*$/, '').replace(/^- /, '');
    });
  const differs = notes.filter((n) => n.outcome === 'job' && n.message).map((n) => `note: ${n.message}`);
  return [
    ...differs,
    ...approximated,
    ...(dropped.length > 0
      ? [
          `not carried over: ${[...new Set(dropped)].join(', ')} (see the report of 'cronkeeper import cronjob ${source}')`,
        ]
      : []),
  ];
}
