// `cronkeeper import systemd`: timer units and the services they start as a
// cronkeeper config, and what became of each directive. OnCalendar= becomes a
// schedule where a pattern means exactly the same instants
// (systemd-calendar.ts), Persistent= the catch-up policy, RandomizedDelaySec=
// the jitter, the service its command, directory, environment and limits
// (systemd-service.ts); monotonic timers and what cannot be said are reported,
// never dropped in silence. Pure: files in, text out; the host's zone given.
import { type YamlConfig, type YamlJob, type YamlPolicy, writeConfigYaml } from './config-yaml.js';
import { type ZoneTransitions, dstDifferences } from './dst-differences.js';
import { SYSTEMD_DEFAULTS, systemdHeader } from './import-defaults.js';
import {
  type SourceImport,
  type SourceNote,
  jobNameOf,
  orderedNotes,
  quietRefused,
  uniqueName,
} from './import-notes.js';
import { calendarPattern, parseCalendarEvent } from './systemd-calendar.js';
import { UNKNOWN_DIRECTIVE, directiveFate } from './systemd-directives.js';
import { expandSpecifiers, unitSpecifiers } from './systemd-exec.js';
import { serviceParts } from './systemd-service.js';
import {
  type Directive,
  configDuration,
  parseBoolean,
  parseTimeSpan,
  parseUnitFile,
} from './systemd-unit-file.js';

/** A unit file: `path` as the user named it, `unit` the unit's name (`foo@bar.timer` for the file `foo@.timer`). */
export interface UnitSource {
  path: string;
  unit: string;
  text: string;
}

export interface SystemdImportOptions {
  /** IANA zone of the host's local time, which OnCalendar= without a zone follows (default UTC). */
  localZone?: string;
}

const MONOTONIC = new Set([
  'OnBootSec',
  'OnStartupSec',
  'OnActiveSec',
  'OnUnitActiveSec',
  'OnUnitInactiveSec',
]);
/** Persistent=true makes up the newest missed run however old: a window this long stands for "no limit". */
const PERSISTENT_WINDOW = '3650d';

/** The service a timer starts: its Unit=, else the timer's own name with `.service`. */
export function wantedService(timer: UnitSource): string {
  const unit = parseUnitFile(timer.text)
    .directives.filter((d) => d.section === 'Timer' && d.key === 'Unit')
    .at(-1);
  const named = unit ? expandSpecifiers(unit.value, unitSpecifiers(timer.unit, timer.path)) : undefined;
  return named && 'text' in named ? named.text : timer.unit.replace(/\.timer$/, '.service');
}

/** The file of `unit` among `services`: its own, else its template's (`foo@.service` for `foo@bar.service`). */
function findService(unit: string, services: readonly UnitSource[]): UnitSource | undefined {
  const template = unit.replace(/@[^.]*\./, '@.');
  return services.find((s) => s.unit === unit) ?? services.find((s) => s.unit === template);
}

/** The config for `timers`, with the services they start taken from `services`, and a note for every directive. */
export function importSystemd(
  timers: readonly UnitSource[],
  services: readonly UnitSource[],
  options: SystemdImportOptions = {},
): SourceImport {
  const localZone = options.localZone ?? 'UTC';
  const notes: SourceNote[] = [];
  const files: string[] = [];
  const jobs: YamlJob[] = [];
  const taken = new Set<string>();
  const transitions: ZoneTransitions = new Map();
  for (const timer of timers) {
    files.push(timer.path);
    const made = importTimer(timer, services, localZone, transitions, taken);
    notes.push(...made.notes);
    if (made.service && !files.includes(made.service)) files.push(made.service);
    jobs.push(...made.jobs);
  }
  const config: YamlConfig = {
    header: systemdHeader(
      timers.map((t) => t.path),
      localZone,
    ),
    defaults: SYSTEMD_DEFAULTS,
    items: jobs.map((job) => ({ kind: 'job', job })),
  };
  const report = orderedNotes(notes, files);
  return {
    yaml: writeConfigYaml(config),
    report,
    errors: report.filter((n) => n.outcome === 'error').length,
    jobs: jobs.length,
  };
}

/** The jobs of one timer and the notes of its directives and its service's. */
function importTimer(
  timer: UnitSource,
  services: readonly UnitSource[],
  localZone: string,
  transitions: ZoneTransitions,
  taken: Set<string>,
): { jobs: YamlJob[]; notes: SourceNote[]; service?: string } {
  const notes: SourceNote[] = [];
  const note = (
    d: Pick<Directive, 'line' | 'source'>,
    outcome: SourceNote['outcome'],
    message?: string,
    file = timer.path,
  ) => {
    const n: SourceNote = { file, line: d.line, source: d.source, outcome, ...(message ? { message } : {}) };
    notes.push(n);
    return n;
  };
  // The notes that say why the timer makes no job: the only ones that keep their message then.
  const reasons = new Set<SourceNote>();
  const none = (service?: string) => {
    quietRefused(notes, reasons);
    return { jobs: [], notes, ...(service !== undefined ? { service } : {}) };
  };
  const parsed = parseUnitFile(timer.text);
  if (/@\.timer$/.test(timer.unit)) {
    // A template runs only as an instance (foo@bar.timer), whose name its %i stands for.
    const first = parsed.directives[0] ?? { line: 1, source: timer.text.split('\n')[0] ?? '' };
    const base = timer.unit.replace(/\.timer$/, '');
    reasons.add(
      note(
        first,
        'unsupported',
        `not imported: a template: import an instance of it, e.g. ${base}NAME.timer`,
      ),
    );
    return none();
  }
  for (const p of parsed.problems) note(p, 'error', p.message);
  const calendars: Directive[] = [];
  const monotonic: Directive[] = [];
  const last = new Map<string, Directive>();
  let description: string | undefined;
  for (const d of parsed.directives) {
    if (d.section === 'Timer' && (d.key === 'OnCalendar' || MONOTONIC.has(d.key))) {
      if (d.value === '') {
        // An empty assignment resets every trigger before it, calendar and monotonic alike.
        for (const earlier of [...calendars, ...monotonic])
          note(earlier, 'skipped', `reset by the empty ${d.key}= on line ${d.line}`);
        calendars.length = 0;
        monotonic.length = 0;
        note(d, 'skipped');
      } else (d.key === 'OnCalendar' ? calendars : monotonic).push(d);
      continue;
    }
    if (d.section === 'Unit' && d.key === 'Description') {
      const shown = expandSpecifiers(d.value, unitSpecifiers(timer.unit, timer.path));
      description = 'text' in shown ? shown.text : d.value;
    }
    const fate = d.section === 'Timer' ? undefined : directiveFate(d.section, d.key, d.value);
    if (fate || d.section !== 'Timer') {
      const f = fate ?? UNKNOWN_DIRECTIVE;
      note(d, f.outcome, f.message);
      continue;
    }
    const before = last.get(d.key);
    if (before) note(before, 'skipped', `overridden by ${d.key}= on line ${d.line}`);
    last.set(d.key, d);
  }
  for (const d of monotonic) {
    const every =
      d.key === 'OnUnitActiveSec' || d.key === 'OnUnitInactiveSec'
        ? ` (a fixed rate is every: ${d.value.replace(/\s+/g, '')}, on a grid from the Unix epoch)`
        : '';
    const n = note(
      d,
      'unsupported',
      `a monotonic timer (${d.key === 'OnBootSec' || d.key === 'OnStartupSec' ? 'after boot' : 'after an activation'}): no cron pattern means it${every}` +
        (calendars.length === 0
          ? '; the timer has no OnCalendar=, so no job'
          : '; the job keeps only the OnCalendar= times'),
    );
    reasons.add(n);
  }
  if (calendars.length === 0 && monotonic.length === 0 && parsed.problems.length === 0) {
    note(
      { line: 1, source: timer.text.split('\n')[0] ?? '' },
      'error',
      'no OnCalendar= nor any other trigger: systemd refuses the timer',
    );
  }

  // The schedules: one job per distinct pattern and zone.
  const schedules: Array<{ d: Directive; pattern: string; zone: string }> = [];
  for (const d of calendars) {
    const event = parseCalendarEvent(d.value);
    if (typeof event === 'string') {
      note(d, 'error', event);
      continue;
    }
    const converted = calendarPattern(event);
    if ('unsupported' in converted) {
      reasons.add(
        note(
          d,
          'unsupported',
          `not imported: no cron pattern means the same instants: ${converted.unsupported}`,
        ),
      );
      continue;
    }
    const zone = event.zone ?? localZone;
    const same = schedules.find((s) => s.pattern === converted.pattern && s.zone === zone);
    if (same) note(d, 'skipped', `the same instants as OnCalendar= on line ${same.d.line}`);
    else schedules.push({ d, pattern: converted.pattern, zone });
  }

  const serviceName = wantedService(timer);
  const service = findService(serviceName, services);
  const policies: YamlPolicy[] = [];
  let jitter: string | undefined;
  for (const [key, d] of last) {
    const on = parseBoolean(d.value);
    switch (key) {
      case 'Persistent':
        if (on === undefined) note(d, 'error', `'${d.value}' is no boolean`);
        else if (on) {
          policies.push(
            { key: 'catchup', value: 'latest' },
            { key: 'catchupWindow', value: PERSISTENT_WINDOW },
          );
          note(
            d,
            'converted',
            `catchup: latest: the newest run missed while the daemon was down runs when it starts (systemd: however long ago; here within catchupWindow: ${PERSISTENT_WINDOW})`,
          );
        } else note(d, 'converted');
        break;
      case 'RandomizedDelaySec': {
        const ms = parseTimeSpan(d.value);
        if (ms === undefined || ms === Infinity) note(d, 'error', `'${d.value}' is no time span`);
        else if (ms > 0) {
          jitter = configDuration(Math.max(1, Math.round(ms)));
          note(
            d,
            'approximated',
            `jitter: ${jitter}: a delay in [0, ${jitter}) fixed for each slot and the same on every node (systemd drew a new delay for each run, a catch-up run too)`,
          );
        } else note(d, 'converted');
        break;
      }
      case 'FixedRandomDelay':
        if (on)
          note(
            d,
            'approximated',
            "systemd kept one delay for every run of the timer; cronkeeper's jitter differs from slot to slot",
          );
        else note(d, 'skipped');
        break;
      case 'AccuracySec':
        note(
          d,
          'approximated',
          'cronkeeper starts a run at its slot, not somewhere within an accuracy window: runs may start earlier than under systemd',
        );
        break;
      case 'Unit':
        // Without a schedule to keep, the timer makes no job: its service does not matter.
        if (service || schedules.length === 0) note(d, 'converted');
        else note(d, 'error', `no file for ${serviceName}: give it too (it is looked for beside the timer)`);
        break;
      case 'WakeSystem':
      case 'OnClockChange':
      case 'OnTimezoneChange':
        if (on)
          note(
            d,
            'unsupported',
            key === 'WakeSystem'
              ? 'cronkeeper does not wake a suspended machine'
              : 'cronkeeper starts no run when the clock or the zone changes',
          );
        else note(d, 'skipped');
        break;
      case 'RemainAfterElapse':
        note(d, 'skipped');
        break;
      default:
        note(d, UNKNOWN_DIRECTIVE.outcome, UNKNOWN_DIRECTIVE.message);
    }
  }
  // A timer without a schedule cronkeeper can keep makes no job: its service does not matter.
  if (schedules.length === 0) return none();
  if (!service) {
    if (!last.has('Unit') && schedules.length > 0) {
      note(
        schedules[0]!.d,
        'error',
        `no file for ${serviceName}, the service the timer starts: give it too (it is looked for beside the timer)`,
      );
    }
    return none();
  }

  const parts = serviceParts(
    service.path,
    parseUnitFile(service.text).directives,
    unitSpecifiers(serviceName, service.path),
  );
  for (const p of parseUnitFile(service.text).problems) note(p, 'error', p.message, service.path);
  notes.push(...parts.notes);
  if (parts.refused !== undefined || parts.errors > 0 || notes.some((n) => n.outcome === 'error')) {
    for (const s of schedules) {
      const n = note(
        s.d,
        parts.refused ? 'unsupported' : 'skipped',
        parts.refused ? `not imported: ${service.path}: ${parts.refused}` : undefined,
      );
      reasons.add(n);
    }
    for (const r of parts.reasons) reasons.add(r);
    return none(service.path);
  }
  const jobs: YamlJob[] = [];
  const base = jobNameOf(timer.unit.replace(/\.timer$/, ''));
  const missing = parts.notes
    .filter((n) => n.outcome === 'unsupported')
    .map((n) => n.source.trim().split('=')[0] + '=');
  for (const s of schedules) {
    const name = uniqueName(base, taken);
    const messages = dstDifferences(s.pattern, s.zone, 'systemd', transitions);
    if (schedules.length > 1) {
      messages.push(
        `one job for each of the timer's ${schedules.length} OnCalendar= lines: where two meet, each job runs, and overlap: skip holds per job (systemd starts the service once and never while it runs)`,
      );
    }
    note(s.d, 'job', messages.length > 0 ? messages.join('; ') : undefined).job = name;
    const approximations = notes
      .filter((n) => n.outcome === 'approximated' && n.message)
      .map((n) => `note: ${n.source.trim()}: ${n.message}`);
    jobs.push({
      name,
      comments: [
        ...(description ? [description] : []),
        `from ${timer.path}:${s.d.line} (${s.d.source.trim()}) and ${service.path}`,
        ...messages.map((m) => `note: ${m}`),
        ...approximations,
        ...(missing.length > 0
          ? [`not carried over: ${[...new Set(missing)].join(', ')} (see the import report)`]
          : []),
      ],
      schedule: s.pattern,
      timezone: s.zone,
      ...(jitter !== undefined ? { jitter } : {}),
      policies: [...policies, ...parts.policies],
      command: parts.command,
      ...(parts.cwd !== undefined ? { cwd: parts.cwd } : {}),
      env: parts.env,
    });
  }
  for (const n of notes)
    if (n.outcome !== 'job' && n.outcome !== 'error' && schedules.length === 1) n.job = jobs[0]?.name;
  return { jobs, notes, service: service.path };
}
