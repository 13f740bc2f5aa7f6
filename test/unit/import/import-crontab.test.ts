// `cronkeeper import crontab` (src/import): fixed crontabs → the exact config
// text and report. Environment lines apply to the lines below them, aliases
// become five fields, `%` becomes standard input (run through sh here to show
// it), @reboot and mail are reported, the comments above a line stay with its
// job, the system format's user column is reported, bad lines are errors with
// their line numbers, and repeated programs get distinct names. Every config
// produced is loaded by the config loader itself.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { loadConfig } from '../../../src/config/load-config.js';
import type { Config } from '../../../src/config/types.js';
import { yamlComment, yamlString } from '../../../src/import/config-yaml.js';
import { type ImportNote, importCrontab } from '../../../src/import/crontab.js';
import {
  checkCronFields,
  isSystemFormat,
  parseEnvLine,
  schedulePattern,
  splitPercent,
} from '../../../src/import/crontab-lines.js';
import { jobNames } from '../../../src/import/job-names.js';
import { createSlotCalculator } from '../../../src/schedule/slot-calculator.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cronkeeper-import-crontab-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
let files = 0;

/** The config as cronkeeper reads it (the loader, not a YAML parser of our own). */
async function load(yaml: string): Promise<Config> {
  const file = path.join(dir, `config-${++files}.yaml`);
  fs.writeFileSync(file, yaml, { mode: 0o600 });
  return loadConfig(file, { insecure: true });
}

/** What the config has from `jobs:` on. */
function jobsSection(yaml: string): string {
  return yaml.slice(yaml.indexOf('\njobs:') + 1);
}

function importText(lines: string[], source = '-') {
  return importCrontab(lines.join('\n') + '\n', source, { localZone: 'Europe/Berlin' });
}

/** The command of a loaded job. */
function argvOf(config: Config, name: string): string[] {
  const job = config.jobs.find((j) => j.name === name);
  assert.ok(job, `no job ${name} in ${config.jobs.map((j) => j.name).join(', ')}`);
  assert.equal(job.action.kind, 'command');
  return job.action.kind === 'command' ? job.action.argv : [];
}

const ALICE = [
  "# Alice's crontab", // 1
  'SHELL=/bin/bash', // 2
  'PATH = "/home/alice/bin:/usr/bin:/bin"', // 3
  'MAILTO=alice@example.com', // 4
  '', // 5
  '# Dump the database, dated', // 6
  '30 2 * * * pg_dump app > /backup/app-$(date +\\%F).sql', // 7
  '@daily mail -s "Daily" alice%Hi,%%all is well: 100\\% done.%', // 8
  '@reboot /home/alice/bin/tunnel', // 9
];

const ALICE_YAML = `# cronkeeper config imported from standard input by 'cronkeeper import crontab'.
# Read as a user crontab: five time fields, then the command.
# Each job has the crontab line it came from in a comment above it.
#
# What cron does differently, and what was chosen here:
# - Time zone: cron follows the host's local time. Each job names the zone it
#   was imported in (Europe/Berlin), or the one CRON_TZ (or TZ) set above its line.
# - Directory and environment: cron starts a command in the home directory with
#   a small environment (PATH=/usr/bin:/bin unless the crontab sets it). A job
#   here starts in the daemon's directory (or its cwd:, from the crontab's HOME)
#   with the daemon's environment and its env:.
# - Commands: each runs as [SHELL, -c, LINE], as under cron (SHELL is /bin/sh
#   unless the crontab sets it); text after an unescaped % goes to its stdin.
# - Mail: cronkeeper sends none: see onFailure under defaults.

# The state (run ledger and snapshots) in the embedded store: a directory,
# relative to this file. For a Postgres server, set url: postgres://... instead.
store:
  path: ./var/cronkeeper

# Policies for every job that does not set its own.
defaults:
  # As cron: a run missed while the daemon was down is not made up. To make
  # missed runs up after downtime, set latest (the newest one, once: the
  # built-in default) or all, here or per job.
  catchup: none
  # As cron: a run starts even while the previous one still runs (or: skip, queue).
  overlap: allow
  # cron never stops a job; cronkeeper stops a run after this long: raise it for a long job.
  timeout: 1h
  # cron mails a job's output (MAILTO alice@example.com); cronkeeper keeps it
  # ('cronkeeper logs JOB', and the daemon's log) and can run a hook when a run fails, e.g.:
  # onFailure:
  #   command: ["/bin/sh", "-c", "printf '%s\\\\n' \\"$CRONKEEPER_OUTPUT_TAIL\\" | mail -s \\"cronkeeper: $CRONKEEPER_JOB failed\\" alice@example.com"]

jobs:
  # Alice's crontab

  # crontab line 4 not imported: MAILTO=alice@example.com
  # MAILTO: cronkeeper sends no mail; a run's output is in 'cronkeeper logs JOB' and the daemon's log, and an onFailure hook can alert (see the example under defaults)

  # Dump the database, dated
  # crontab line 7: 30 2 * * * pg_dump app > /backup/app-$(date +\\%F).sql
  pg_dump:
    schedule: "30 2 * * *"
    timezone: Europe/Berlin
    command: ["/bin/bash", "-c", "pg_dump app > /backup/app-$(date +%F).sql"]
    env:
      PATH: /home/alice/bin:/usr/bin:/bin

  # crontab line 8: @daily mail -s "Daily" alice%Hi,%%all is well: 100\\% done.%
  # note: the text after % is the command's standard input (each further % a line break): printf '%s' TEXT | { COMMAND } feeds it
  mail:
    schedule: "0 0 * * *"
    timezone: Europe/Berlin
    command: ["/bin/bash", "-c", "printf '%s' 'Hi,\\n\\nall is well: 100% done.\\n' | {\\nmail -s \\"Daily\\" alice\\n}"]
    env:
      PATH: /home/alice/bin:/usr/bin:/bin

  # crontab line 9 not imported: @reboot /home/alice/bin/tunnel
  # @reboot: cronkeeper has no boot-time jobs; start it from a systemd unit (or your init system) instead
`;

const STDIN_NOTE =
  "the text after % is the command's standard input (each further % a line break): printf '%s' TEXT | { COMMAND } feeds it";
const MAIL_NOTE =
  "MAILTO: cronkeeper sends no mail; a run's output is in 'cronkeeper logs JOB' and the daemon's log, and an onFailure hook can alert (see the example under defaults)";
const REBOOT_NOTE =
  '@reboot: cronkeeper has no boot-time jobs; start it from a systemd unit (or your init system) instead';

describe('import crontab: a user crontab', () => {
  it('gives the exact config and a note for every line', async () => {
    const result = importText(ALICE);
    assert.equal(result.yaml, ALICE_YAML);
    assert.equal(result.errors, 0);
    assert.deepEqual(result.report, [
      { line: 1, source: ALICE[0], outcome: 'comment' },
      { line: 2, source: ALICE[1], outcome: 'env' },
      { line: 3, source: ALICE[2], outcome: 'env' },
      { line: 4, source: ALICE[3], outcome: 'unsupported', message: MAIL_NOTE },
      { line: 5, source: '', outcome: 'skipped' },
      { line: 6, source: ALICE[5], outcome: 'comment' },
      { line: 7, source: ALICE[6], outcome: 'job', job: 'pg_dump' },
      { line: 8, source: ALICE[7], outcome: 'job', job: 'mail', message: STDIN_NOTE },
      { line: 9, source: ALICE[8], outcome: 'unsupported', message: REBOOT_NOTE },
    ] as ImportNote[]);
  });

  it('is a config cronkeeper loads, with cron policies and the commands as cron ran them', async () => {
    const config = await load(importText(ALICE).yaml);
    assert.deepEqual(
      config.jobs.map((j) => [j.name, j.schedule, j.catchup, j.overlap, j.timeoutMs]),
      [
        [
          'mail',
          { kind: 'cron', pattern: '0 0 * * *', timezone: 'Europe/Berlin' },
          'none',
          'allow',
          3_600_000,
        ],
        [
          'pg_dump',
          { kind: 'cron', pattern: '30 2 * * *', timezone: 'Europe/Berlin' },
          'none',
          'allow',
          3_600_000,
        ],
      ],
    );
    assert.deepEqual(argvOf(config, 'pg_dump'), [
      '/bin/bash',
      '-c',
      'pg_dump app > /backup/app-$(date +%F).sql',
    ]);
    const job = config.jobs.find((j) => j.name === 'pg_dump')!;
    assert.deepEqual(job.action.kind === 'command' && job.action.env, {
      PATH: '/home/alice/bin:/usr/bin:/bin',
    });
  });

  it('an environment line applies to the lines below it only, and a later one replaces an earlier one', () => {
    const result = importText([
      '0 1 * * * first',
      'A=1',
      'B = two words ',
      "C='quoted # text'",
      '0 2 * * * second',
      'A="changed"',
      'CRON_TZ=Asia/Tokyo',
      'HOME=/srv/app',
      '0 3 * * * third',
      'TZ=America/New_York',
      'CRON_TZ=',
      '0 4 * * * fourth',
    ]);
    assert.equal(result.errors, 0);
    assert.equal(
      jobsSection(result.yaml),
      `jobs:
  # crontab line 1: 0 1 * * * first
  first:
    schedule: "0 1 * * *"
    timezone: Europe/Berlin
    command: ["/bin/sh", "-c", "first"]

  # crontab line 5: 0 2 * * * second
  second:
    schedule: "0 2 * * *"
    timezone: Europe/Berlin
    command: ["/bin/sh", "-c", "second"]
    env:
      A: "1"
      B: "two words"
      C: "quoted # text"

  # crontab line 9: 0 3 * * * third
  third:
    schedule: "0 3 * * *"
    timezone: Asia/Tokyo
    command: ["/bin/sh", "-c", "third"]
    cwd: /srv/app
    env:
      A: changed
      B: "two words"
      C: "quoted # text"
      HOME: /srv/app

  # crontab line 10: TZ=America/New_York
  # TZ: the schedules below follow America/New_York, and the jobs get TZ in their env (Vixie and Debian cron schedule by the host's zone whatever TZ says: if yours did, remove their timezone:)

  # crontab line 12: 0 4 * * * fourth
  fourth:
    schedule: "0 4 * * *"
    timezone: Europe/Berlin
    command: ["/bin/sh", "-c", "fourth"]
    cwd: /srv/app
    env:
      A: changed
      B: "two words"
      C: "quoted # text"
      HOME: /srv/app
      TZ: America/New_York
`,
    );
  });

  it('reads NAME=value lines as cron does', () => {
    assert.deepEqual(parseEnvLine('PATH=/bin'), { name: 'PATH', value: '/bin' });
    assert.deepEqual(parseEnvLine('  X  =  a b  '), { name: 'X', value: 'a b' });
    assert.deepEqual(parseEnvLine('X=""'), { name: 'X', value: '' });
    assert.deepEqual(parseEnvLine('X="a" b'), { name: 'X', value: '"a" b' });
    assert.deepEqual(parseEnvLine("'Y'='1=2'"), { name: 'Y', value: '1=2' });
    assert.equal(parseEnvLine('0 * * * * A=b cmd'), undefined);
    assert.equal(parseEnvLine('=value'), undefined);
  });

  it('turns every alias into its five fields', () => {
    const aliases = [
      '@yearly',
      '@annually',
      '@monthly',
      '@weekly',
      '@daily',
      '@midnight',
      '@hourly',
      '@DAILY',
    ];
    const result = importText(aliases.map((a, i) => `${a} job${i}`));
    assert.equal(result.errors, 0);
    const schedules = [...result.yaml.matchAll(/^ {4}schedule: "(.*)"$/gm)].map((m) => m[1]);
    assert.deepEqual(schedules, [
      '0 0 1 1 *',
      '0 0 1 1 *',
      '0 0 1 * *',
      '0 0 * * 0',
      '0 0 * * *',
      '0 0 * * *',
      '0 * * * *',
      '0 0 * * *',
    ]);
  });
});

describe('import crontab: % in a command', () => {
  it('splits the command from its standard input as cron does', () => {
    const cases: Array<[string, string, string | undefined]> = [
      ['cmd arg', 'cmd arg', undefined],
      ['cat%a%b', 'cat', 'a\nb'],
      ['cat%a%b%', 'cat', 'a\nb\n'],
      ['cmd%', 'cmd', undefined],
      ['date +\\%Y-\\%m', 'date +%Y-%m', undefined],
      ['cat%100\\% sure%', 'cat', '100% sure\n'],
      // A backslash before another character stays, and does not escape a % after it.
      ['echo a\\\\%b', 'echo a\\\\', 'b'],
      ['echo \\n%x\\y', 'echo \\n', 'x\\y'],
    ];
    for (const [command, shell, stdin] of cases) {
      assert.deepEqual(splitPercent(command), { command: shell, stdin }, command);
    }
  });

  it('feeds the text to every command of the line, byte for byte, when sh runs the job', async () => {
    const result = importText([
      '* * * * * read first; echo "1:$first"; cat; echo \'pct: 50\\%\'%line one%it\'s "two" $HOME `x`%%',
    ]);
    const config = await load(result.yaml);
    const argv = argvOf(config, 'read');
    assert.equal(
      argv[2],
      "printf '%s' 'line one\nit'\\''s \"two\" $HOME `x`\n\n' | {\nread first; echo \"1:$first\"; cat; echo 'pct: 50%'\n}",
    );
    const output = execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
    assert.equal(output, '1:line one\nit\'s "two" $HOME `x`\n\npct: 50%\n');
    assert.deepEqual(result.report[0], {
      line: 1,
      source:
        '* * * * * read first; echo "1:$first"; cat; echo \'pct: 50\\%\'%line one%it\'s "two" $HOME `x`%%',
      outcome: 'job',
      job: 'read',
      message: STDIN_NOTE,
    });
  });

  it('says when the SHELL may not read the sh syntax that feeds the text', () => {
    const result = importText(['SHELL=/usr/bin/fish', '0 * * * * cat%x']);
    assert.equal(
      result.report[1]!.message,
      `${STDIN_NOTE}; that is sh syntax: check that /usr/bin/fish reads it`,
    );
  });
});

describe('import crontab: the system format', () => {
  const SYSTEM = [
    'SHELL=/bin/sh', // 1
    '# Hourly jobs', // 2
    '# (run-parts runs every script of the directory)', // 3
    '17 *\t* * *\troot\tcd / && run-parts --report /etc/cron.hourly', // 4
    '25 6\t* * *\troot\ttest -x /usr/sbin/anacron || { cd / && run-parts --report /etc/cron.daily; }', // 5
    '@weekly www-data php /srv/app/artisan cache:prune', // 6
    '@reboot root /usr/local/sbin/warm-up', // 7
  ];
  const asUser = (user: string) =>
    `cron ran it as user '${user}'; cronkeeper has no per-job user and runs it as the daemon's user (to run it as ${user}, start the command with runuser -u ${user} --)`;

  it('reports the user column and keeps the command, with the comments above it', async () => {
    const result = importText(SYSTEM);
    assert.equal(
      jobsSection(result.yaml),
      `jobs:
  # Hourly jobs
  # (run-parts runs every script of the directory)
  # crontab line 4: 17 *\t* * *\troot\tcd / && run-parts --report /etc/cron.hourly
  # note: ${asUser('root')}
  run-parts-cron.hourly:
    schedule: "17 * * * *"
    timezone: Europe/Berlin
    command: ["/bin/sh", "-c", "cd / && run-parts --report /etc/cron.hourly"]

  # crontab line 5: 25 6\t* * *\troot\ttest -x /usr/sbin/anacron || { cd / && run-parts --report /etc/cron.daily; }
  # note: ${asUser('root')}
  run-parts-cron.daily:
    schedule: "25 6 * * *"
    timezone: Europe/Berlin
    command: ["/bin/sh", "-c", "test -x /usr/sbin/anacron || { cd / && run-parts --report /etc/cron.daily; }"]

  # crontab line 6: @weekly www-data php /srv/app/artisan cache:prune
  # note: ${asUser('www-data')}
  php:
    schedule: "0 0 * * 0"
    timezone: Europe/Berlin
    command: ["/bin/sh", "-c", "php /srv/app/artisan cache:prune"]

  # crontab line 7 not imported: @reboot root /usr/local/sbin/warm-up
  # ${REBOOT_NOTE}
`,
    );
    assert.deepEqual(
      result.report.filter((n) => n.message !== undefined),
      [
        { line: 4, source: SYSTEM[3], outcome: 'job', job: 'run-parts-cron.hourly', message: asUser('root') },
        { line: 5, source: SYSTEM[4], outcome: 'job', job: 'run-parts-cron.daily', message: asUser('root') },
        { line: 6, source: SYSTEM[5], outcome: 'job', job: 'php', message: asUser('www-data') },
        { line: 7, source: SYSTEM[6], outcome: 'unsupported', message: REBOOT_NOTE },
      ],
    );
    assert.equal((await load(result.yaml)).jobs.length, 3);
  });

  it('is read in /etc/crontab and /etc/cron.d, and elsewhere when the lines look it', () => {
    const userLines = ['0 * * * * php /srv/app/artisan schedule:run', '5 * * * * backup.sh'];
    assert.equal(isSystemFormat(SYSTEM, '-'), true, 'a root column');
    assert.equal(
      isSystemFormat(['0 * * * * alice backup'], '-'),
      false,
      'a word that may be a user or a program',
    );
    assert.equal(isSystemFormat(['# m h dom mon dow user  command', '0 * * * * alice backup'], '-'), true);
    assert.equal(isSystemFormat(['0 * * * * alice backup'], '/etc/cron.d/backup'), true);
    assert.equal(isSystemFormat(['0 * * * * alice backup'], '/etc/crontab'), true);
    assert.equal(isSystemFormat(userLines, '-'), false);
    assert.equal(isSystemFormat(['0 * * * * root /bin/a', '0 * * * * /usr/bin/b'], '-'), false);
    assert.equal(isSystemFormat([], '-'), false);
  });
});

describe('import crontab: bad lines', () => {
  it('are errors with their line numbers, and the rest is still reported', () => {
    const lines = [
      'FOO=bar', // 1
      '61 * * * * x', // 2
      'garbage line', // 3
      '0 0 31 2 * y', // 4
      '* * * * *', // 5
      '5/10 * * * * z', // 6
      'CRON_TZ=Mars/Base', // 7
      '@every 5m q', // 8
      '0 0 1-32 * * r', // 9
      '0 0 * foo * s', // 10
      '0 0 * * 6-1 t', // 11
      '* * * * * %only stdin', // 12
      '0 0 * * * fine', // 13
    ];
    const result = importText(lines);
    assert.equal(result.errors, 11);
    assert.deepEqual(
      result.report.map((n) => [n.line, n.outcome, n.message]),
      [
        [1, 'env', undefined],
        [2, 'error', "minute '61' is out of range 0-59"],
        [
          3,
          'error',
          'neither an environment setting (NAME=value), a comment, nor a cron line (5 time fields and a command)',
        ],
        [4, 'error', "cron pattern '0 0 31 2 *' never matches a date (e.g. the 31st of February)"],
        [5, 'error', 'no command after the schedule'],
        [6, 'error', "minute '5/10': a step needs * or a range before it ('*/10' or '5-59/10')"],
        [7, 'error', "CRON_TZ: unknown time zone 'Mars/Base'"],
        [
          8,
          'error',
          "'@every' is not a cron schedule (@reboot, @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly)",
        ],
        [9, 'error', "day of month '32' is out of range 1-31 (in '1-32')"],
        [10, 'error', "month 'foo': 'foo' is neither a number nor a name"],
        [11, 'error', "day of week '6-1': the range '6-1' goes backwards"],
        [12, 'error', 'no command before the first %'],
        [13, 'job', undefined],
      ],
    );
  });

  it('cron field syntax: names, 7 for Sunday, steps over ranges', () => {
    assert.equal(checkCronFields(['*/15', '0-23/2', '1,15', 'jan-MAR', 'Mon-fri']), undefined);
    assert.equal(checkCronFields(['0', '0', '*', '*', '7']), undefined);
    assert.equal(checkCronFields(['0', '0', '*', '*', '8']), "day of week '8' is out of range 0-7");
    assert.equal(
      checkCronFields(['0', '0', '*', 'mon', '*']),
      "month 'mon': 'mon' is neither a number nor a name",
    );
    assert.equal(checkCronFields(['*/0', '*', '*', '*', '*']), "minute '*/0': a step of 0");
    assert.equal(
      checkCronFields(['1,,2', '*', '*', '*', '*'])?.startsWith("minute '1,,2' is not a cron field"),
      true,
    );
  });

  it('a day field starting with * beside a restricted one restricts by both, as cron does', async () => {
    assert.deepEqual(schedulePattern('0 0 */1 * 1'), { pattern: '0 0 * * 1' });
    assert.deepEqual(schedulePattern('0 0 1,15 * 1'), { pattern: '0 0 1,15 * 1' });
    assert.deepEqual(schedulePattern('0 0 */2 * *'), { pattern: '0 0 */2 * *' });
    assert.deepEqual(schedulePattern('0 0 */2 * 1'), { pattern: '0 0 */2 * +1' });
    assert.deepEqual(schedulePattern('0 0 1 * */2'), { pattern: '0 0 1 * +*/2' });
    const result = importText(['0 0 */2 * 1 backup']);
    assert.equal(result.errors, 0);
    assert.deepEqual(result.report, [
      { line: 1, source: '0 0 */2 * 1 backup', outcome: 'job', job: 'backup' },
    ]);
    const config = await load(result.yaml);
    const backup = config.jobs[0]!;
    // Mondays that are odd days of the month (cron: both fields), not every Monday and every odd day.
    const calc = createSlotCalculator(backup.schedule);
    const days: string[] = [];
    for (let t = Date.parse('2026-12-01T00:00:00+01:00'), i = 0; i < 4; i++) {
      t = calc.next(t)!;
      days.push(new Date(t).toISOString());
    }
    assert.deepEqual(days, [
      '2026-12-06T23:00:00.000Z',
      '2026-12-20T23:00:00.000Z',
      '2027-01-10T23:00:00.000Z',
      '2027-01-24T23:00:00.000Z',
    ]);
  });

  it('mail settings, names env cannot take and RANDOM_DELAY are reported', async () => {
    const result = importText([
      'MAILTO=""',
      'MAILFROM=cron@example.org',
      'my-var=1',
      'CRONKEEPER_JOB=x',
      'RANDOM_DELAY=30',
      '-0 1 * * * quiet',
    ]);
    assert.deepEqual(
      result.report.map((n) => [n.line, n.outcome, n.message]),
      [
        [1, 'skipped', 'MAILTO is empty: cron mailed nothing, and cronkeeper sends no mail either'],
        [2, 'unsupported', MAIL_NOTE.replace('MAILTO', 'MAILFROM')],
        [
          3,
          'unsupported',
          "'my-var' is no name a job's env takes (letters, digits and _, not starting with a digit): not carried over",
        ],
        [4, 'unsupported', 'CRONKEEPER_JOB is set by cronkeeper itself for every run: not carried over'],
        [
          5,
          'env',
          'RANDOM_DELAY: the jobs below get jitter: 30m, a delay in [0, 30m) fixed for each slot (cronie draws one delay when it starts)',
        ],
        [6, 'job', "cronie's leading '-' (no syslog line for the run) has no counterpart: ignored"],
      ],
    );
    const job = (await load(result.yaml)).jobs[0]!;
    assert.equal(job.jitterMs, 30 * 60_000);
    assert.deepEqual(job.action.kind === 'command' && job.action.env, {});
  });
});

describe('import crontab: job names', () => {
  it('names a job after the program it is about; repeated programs by their last argument, then by number', () => {
    assert.deepEqual(
      jobNames([
        'cd / && run-parts --report /etc/cron.hourly',
        'test -x /usr/sbin/anacron || { cd / && run-parts --report /etc/cron.daily; }',
        '/usr/local/bin/backup.sh',
        '/usr/local/bin/backup.sh',
        'cd /srv && ./backup.sh',
        '/usr/bin/sync-inbox --quiet',
        '/usr/bin/sync-inbox --full',
        'nice -n 10 ionice -c3 /usr/bin/updatedb.mlocate',
        'FOO=1 /opt/tool/bin/tool --flag >/dev/null 2>&1',
        '[ -x /usr/lib/php/sessionclean ] && if [ ! -d /run/systemd/system ]; then /usr/lib/php/sessionclean; fi',
        'echo "report" | mail -s "a b" root',
        "'my script!' arg",
        ': nothing',
        'cd /tmp',
      ]),
      [
        'run-parts-cron.hourly',
        'run-parts-cron.daily',
        'backup.sh',
        'backup.sh-2',
        'backup.sh-3',
        'sync-inbox-quiet',
        'sync-inbox-full',
        'updatedb.mlocate',
        'tool',
        'sessionclean',
        'mail',
        'my-script',
        'job',
        'cd',
      ],
    );
  });

  it('every name is a valid job name, and unique', () => {
    const names = jobNames(['-x', '!!!', '...', 'a'.repeat(300), 'a'.repeat(300), '€uro', '007']);
    assert.deepEqual(names, ['x', 'job', 'job-2', 'a'.repeat(60), `${'a'.repeat(60)}-2`, 'uro', '007']);
    for (const name of names) assert.match(name, /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/);
  });
});

describe('import crontab: YAML text', () => {
  it('writes a string plain only when it reads back as the same string', async () => {
    const values = [
      '/usr/bin:/bin',
      'true',
      'no',
      '007',
      '1e3',
      '0x1f',
      '2026-01-01',
      'a: b',
      '#x',
      'x #y',
      '',
      ' lead',
      "it's",
      '"q"',
      'tab\there',
      'bell\u0007',
      'del\u007f',
      'nel\u0085',
      'ok.value-1',
    ];
    assert.deepEqual(values.map(yamlString), [
      '/usr/bin:/bin',
      '"true"',
      '"no"',
      '"007"',
      '"1e3"',
      '"0x1f"',
      '"2026-01-01"',
      '"a: b"',
      '"#x"',
      '"x #y"',
      '""',
      '" lead"',
      '"it\'s"',
      '"\\"q\\""',
      '"tab\\there"',
      '"bell\\u0007"',
      '"del\\u007f"',
      '"nel\\u0085"',
      'ok.value-1',
    ]);
    const result = importText(
      // In quotes, which cron takes off: the value is the text between them.
      values.map((v, i) => `V${i}="${v}"`).concat('0 0 * * * true'),
    );
    const job = (await load(result.yaml)).jobs[0]!;
    assert.deepEqual(
      job.action.kind === 'command' && job.action.env,
      Object.fromEntries(values.map((v, i) => [`V${i}`, v])),
    );
  });

  it('a comment cannot break out of its line', () => {
    assert.equal(yamlComment('a\nb\rc\u0000d\te', 2), '  # a\\nb\\rc\\u0000d\te');
    assert.equal(yamlComment('# kept as written ', 0), '# kept as written');
  });
});

describe('import crontab: a pure module', () => {
  it('the linter refuses I/O and the modules above the store in src/import', async () => {
    const root = fileURLToPath(new URL('../../..', import.meta.url));
    const [result] = await new ESLint({ cwd: root }).lintText(
      [
        "import fs from 'node:fs';",
        "import { out } from '../commands/cli-io.js';",
        "import { shellQuote } from '../text/shell-words.js';",
        "import { checkCronPattern } from '../schedule/pattern-check.js';",
        'export const x = [fs, out, shellQuote, checkCronPattern];',
        '',
      ].join('\n'),
      { filePath: path.join(root, 'src/import/boundary-probe.ts') },
    );
    const restricted = result!.messages
      .filter((m) => m.ruleId === 'no-restricted-imports')
      .map((m) => m.message);
    assert.equal(restricted.length, 2, restricted.join('; '));
    assert.match(restricted[0]!, /pure module does no I\/O/);
  });
});
