// The header and the defaults of the configs that `import systemd` and
// `import cronjob` write: what the source system does differently, and the
// policies that make cronkeeper behave as it did. Pure.
import type { YamlConfig } from './config-yaml.js';

export const SYSTEMD_DEFAULTS: YamlConfig['defaults'] = [
  {
    comments: [
      'As a timer without Persistent=true: a run missed while the daemon was down is',
      'not made up (the jobs of Persistent=true timers say catchup: latest).',
    ],
    key: 'catchup',
    value: 'none',
  },
  {
    comments: ['As systemd: a timer that elapses while its service still runs starts nothing.'],
    key: 'overlap',
    value: 'skip',
  },
  {
    comments: [
      'A Type=oneshot service has no time limit unless TimeoutStartSec= sets one;',
      'cronkeeper stops a run after this long: raise it for a long job.',
    ],
    key: 'timeout',
    value: '1h',
  },
  {
    comments: ["As systemd's TimeoutStopSec= default: SIGKILL this long after SIGTERM."],
    key: 'killGrace',
    value: '90s',
  },
];

export function systemdHeader(timers: readonly string[], localZone: string): string[] {
  // One timer on the first line; several, one a line below it.
  const from =
    timers.length === 1
      ? [`cronkeeper config imported from ${timers[0]} by 'cronkeeper import systemd'.`]
      : ["cronkeeper config imported by 'cronkeeper import systemd' from:", ...timers.map((t) => `  ${t}`)];
  return [
    ...from,
    'Each timer is a job named after it; the timer line and the service it came from',
    'are in a comment above it, with what differs.',
    '',
    'What systemd does differently, and what was chosen here:',
    "- Time zone: OnCalendar= without a zone follows the host's local time; those jobs",
    `  name the zone they were imported in (${localZone}).`,
    '- Accuracy: systemd starts a service within AccuracySec= (1min by default) after',
    '  its time; cronkeeper starts a run at its slot.',
    "- User, sandbox, resources: a command runs as the daemon's user, in its environment",
    "  plus the service's Environment= and WorkingDirectory=, without the service's",
    '  sandboxing, limits and dependencies (each is named in the import report).',
    '- Commands: one ExecStart= runs as it is, without a shell; several commands',
    '  (ExecStartPre=, ExecStart=, ExecStartPost=) run through /bin/sh one after the',
    '  other, stopping at the first that fails, as under systemd. A program without a',
    "  path is looked up in the daemon's PATH.",
  ];
}

export const CRONJOB_DEFAULTS: YamlConfig['defaults'] = [
  {
    comments: [
      'As Kubernetes: after downtime, the newest missed run starts, however late (a',
      "CronJob's startingDeadlineSeconds is its catchupWindow).",
    ],
    key: 'catchup',
    value: 'latest',
  },
  { comments: [], key: 'catchupWindow', value: '3650d' },
  { comments: ['concurrencyPolicy Allow, the default: runs may overlap.'], key: 'overlap', value: 'allow' },
  {
    comments: [
      'A Job without activeDeadlineSeconds has no time limit; cronkeeper stops a run',
      'after this long: raise it for a long job.',
    ],
    key: 'timeout',
    value: '1h',
  },
  {
    comments: ["terminationGracePeriodSeconds' default: SIGKILL this long after SIGTERM."],
    key: 'killGrace',
    value: '30s',
  },
  {
    comments: ["backoffLimit's default: a failed run is tried 6 more times, after 10s, 20s, ... at most 6m."],
    key: 'retries',
    value: [
      ['max', '6'],
      ['backoff', '10s'],
      ['maxBackoff', '6m'],
    ],
  },
];

export function cronJobHeader(source: string): string[] {
  return [
    `cronkeeper config imported from ${source === '<stdin>' ? 'standard input' : source} by 'cronkeeper import cronjob'.`,
    'Each CronJob is a job named after it, with what differs in a comment above it.',
    '',
    'What Kubernetes does differently, and what was chosen here:',
    "- Containers: cronkeeper runs a job's command as it is, on its own host, not in a",
    '  pod: the image, volumes, resources and the rest of the pod template are not',
    '  carried over (each is named in the import report).',
    "- Time zone: a CronJob without timeZone follows the controller manager's local",
    '  time (UTC in most clusters): those jobs say UTC.',
    '- Environment: literal env values are carried over; values from Secrets and',
    "  ConfigMaps are not. A job also gets the daemon's environment (but its secrets).",
  ];
}
