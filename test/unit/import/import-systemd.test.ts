// `cronkeeper import systemd` (src/import/systemd*.ts; the calendar events are
// in import-systemd-calendar.test.ts): the service's command lines,
// environment and limits; the real units of Debian and application-shaped
// ones (test/fixtures/import/systemd) as exact config text and notes; and
// what is refused (the rest is in import-systemd-refusals.test.ts). Every
// config is loaded by the config loader.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { loadConfig } from '../../../src/config/load-config.js';
import type { SourceNote } from '../../../src/import/import-notes.js';
import {
  parseExecLine,
  startCommand,
  substituteVariables,
  unitSpecifiers,
} from '../../../src/import/systemd-exec.js';
import {
  configDuration,
  parseTimeSpan,
  parseUnitFile,
  splitWords,
} from '../../../src/import/systemd-unit-file.js';
import { type UnitSource, importSystemd, wantedService } from '../../../src/import/systemd.js';
import { ROOT } from '../../support/daemon.js';

const FIXTURES = path.join(ROOT, 'test/fixtures/import/systemd');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cronkeeper-import-systemd-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A unit of a fixture folder, named in notes `folder/unit`; `foo@bar.timer` is read from `foo@.timer`. */
function fixture(folder: string, unit: string): UnitSource {
  const file = path.join(FIXTURES, folder, unit.replace(/@[^.]+\./, '@.'));
  return { path: `${folder}/${unit}`, unit, text: fs.readFileSync(file, 'utf8') };
}

/** Timers of a fixture folder with the services they start, imported on a host in Europe/Berlin. */
function importFixtures(folder: string, timers: string[]) {
  const units = timers.map((t) => fixture(folder, t));
  return importSystemd(
    units,
    units.map((t) => fixture(folder, wantedService(t))),
    { localZone: 'Europe/Berlin' },
  );
}

function noteLines(report: readonly SourceNote[]): string[] {
  return report.map(
    (n) => `${n.file}:${n.line} ${n.outcome}${n.job ? ` ${n.job}` : ''}${n.message ? `: ${n.message}` : ''}`,
  );
}

let files = 0;
async function load(yaml: string) {
  const file = path.join(dir, `config-${++files}.yaml`);
  fs.writeFileSync(file, yaml, { mode: 0o600 });
  return loadConfig(file, { insecure: true });
}

describe('import systemd: command lines', () => {
  const specifiers = unitSpecifiers('pg_dump@15-main.service', '/lib/systemd/system/pg_dump@.service');
  const argv = (line: string, env: Record<string, string> = {}) => {
    const commands = parseExecLine(line, specifiers);
    if (typeof commands === 'string') return commands;
    return commands.map((c) => {
      const words = substituteVariables(c, (name) => ({ value: env[name] ?? '' }));
      return typeof words === 'string'
        ? words
        : { words, ignoreFailure: c.ignoreFailure, privileged: c.privileged };
    });
  };

  it('unquotes, expands specifiers and variables as systemd does', () => {
    assert.deepEqual(argv('/usr/bin/pg_backupcluster %i dump'), [
      { words: ['/usr/bin/pg_backupcluster', '15-main', 'dump'], ignoreFailure: false, privileged: '' },
    ]);
    assert.deepEqual(argv('/bin/echo %I %n %N %p %% %t'), [
      {
        words: ['/bin/echo', '15/main', 'pg_dump@15-main.service', 'pg_dump@15-main', 'pg_dump', '%', '/run'],
        ignoreFailure: false,
        privileged: '',
      },
    ]);
    // systemd.service(5)'s own examples.
    const env = { ONE: 'one', TWO: 'two two', THREE: '' };
    assert.deepEqual(argv('echo $ONE $TWO ${TWO}', env), [
      { words: ['echo', 'one', 'two', 'two', 'two two'], ignoreFailure: false, privileged: '' },
    ]);
    const quoted = { ONE: "'one'", TWO: "'two two' too", THREE: '' };
    assert.deepEqual(argv('/bin/echo ${ONE} ${TWO} ${THREE}', quoted), [
      { words: ['/bin/echo', "'one'", "'two two' too", ''], ignoreFailure: false, privileged: '' },
    ]);
    assert.deepEqual(argv('/bin/echo $ONE $TWO $THREE', quoted), [
      { words: ['/bin/echo', 'one', 'two two', 'too'], ignoreFailure: false, privileged: '' },
    ]);
    assert.deepEqual(argv('echo one ; echo "two two"'), [
      { words: ['echo', 'one'], ignoreFailure: false, privileged: '' },
      { words: ['echo', 'two two'], ignoreFailure: false, privileged: '' },
    ]);
    assert.deepEqual(argv('echo / >/dev/null & \\; ls'), [
      { words: ['echo', '/', '>/dev/null', '&', ';', 'ls'], ignoreFailure: false, privileged: '' },
    ]);
    assert.deepEqual(argv('-+/bin/true "a\\tb" \'c d\' $$HOME x${NOPE}y'), [
      { words: ['/bin/true', 'a\tb', 'c d', '$HOME', 'xy'], ignoreFailure: true, privileged: '+' },
    ]);
    assert.equal(argv('/bin/echo "open'), 'a " is not closed');
    assert.equal(argv('/bin/echo %H'), 'the specifier %H depends on the host: cronkeeper cannot know it');
  });

  it('runs one command as it is, several through sh, stopping at the first that fails', () => {
    assert.deepEqual(
      startCommand([{ argv: ['/usr/sbin/logrotate', '/etc/logrotate.conf'], ignoreFailure: false }]),
      ['/usr/sbin/logrotate', '/etc/logrotate.conf'],
    );
    assert.deepEqual(
      startCommand([
        { argv: ['/usr/lib/apt/apt-helper', 'wait-online'], ignoreFailure: true },
        { argv: ['/usr/bin/find', '/var/cache/man', '-name', '*.gz', '-delete'], ignoreFailure: false },
        { argv: ['/usr/bin/mandb', '--quiet'], ignoreFailure: false },
      ]),
      [
        '/bin/sh',
        '-c',
        "/usr/lib/apt/apt-helper wait-online || :\n/usr/bin/find /var/cache/man -name '*.gz' -delete || exit\nexec /usr/bin/mandb --quiet",
      ],
    );
    assert.deepEqual(startCommand([{ argv: ['/bin/false'], ignoreFailure: true }]), [
      '/bin/sh',
      '-c',
      '/bin/false || :',
    ]);
  });

  it('reads unit files, words, time spans as systemd.syntax(7) says', () => {
    const unit = parseUnitFile(
      '[Timer]\n# a comment\nOnCalendar=Mon \\\n; ignored\n  09:00\n\nPersistent = true\nnonsense\n[Broken\n',
    );
    assert.deepEqual(
      unit.directives.map((d) => [d.section, d.key, d.value, d.line]),
      [
        ['Timer', 'OnCalendar', 'Mon  09:00', 3],
        ['Timer', 'Persistent', 'true', 7],
      ],
    );
    assert.deepEqual(unit.problems, [
      { line: 8, source: 'nonsense', message: 'neither a section header, a comment nor a KEY=value line' },
      { line: 9, source: '[Broken', message: 'not a section header ([Name])' },
    ]);
    assert.deepEqual(splitWords('"PGHOST=db" A=\'x y\' B=\\x41\\101'), ['PGHOST=db', 'A=x y', 'B=AA']);
    assert.equal(splitWords('A=\\q'), "'\\q' is no escape systemd knows (write \\\\ for a backslash)");
    assert.deepEqual(
      ['50', '2min 200ms', '1h30min', '5min 20s', '1d', 'infinity', '0', '10 seconds', 'soon'].map(
        parseTimeSpan,
      ),
      [50_000, 120_200, 5_400_000, 320_000, 86_400_000, Infinity, 0, 10_000, undefined],
    );
    assert.deepEqual([50_000, 120_200, 5_400_000, 86_400_000, 90_061_001, 0.5].map(configDuration), [
      '50s',
      '2m200ms',
      '1h30m',
      '1d',
      '1d1h1m1s1ms',
      undefined,
    ]);
  });
});

describe('import systemd: real units', () => {
  it("Debian's apt-daily and the pg_dump@ template: the exact jobs and notes", async () => {
    const result = importFixtures('debian', ['apt-daily.timer', 'pg_dump@15-main.timer']);
    assert.equal(result.errors, 0);
    assert.equal(
      result.yaml.slice(result.yaml.indexOf('\njobs:') + 1),
      fs.readFileSync(path.join(FIXTURES, 'debian-jobs.expected'), 'utf8'),
    );
    assert.deepEqual(noteLines(result.report), [
      'debian/apt-daily.timer:2 skipped apt-daily',
      'debian/apt-daily.timer:5 job apt-daily',
      'debian/apt-daily.timer:6 approximated apt-daily: jitter: 12h: a delay in [0, 12h) fixed for each slot and the same on every node (systemd drew a new delay for each run, a catch-up run too)',
      'debian/apt-daily.timer:7 converted apt-daily: catchup: latest: the newest run missed while the daemon was down runs when it starts (systemd: however long ago; here within catchupWindow: 3650d)',
      'debian/apt-daily.timer:10 skipped apt-daily',
      'debian/apt-daily.service:2 skipped apt-daily',
      'debian/apt-daily.service:3 skipped apt-daily',
      'debian/apt-daily.service:4 unsupported apt-daily: not checked: the command runs whatever this condition says (test it in the command if it matters)',
      'debian/apt-daily.service:5 unsupported apt-daily: cronkeeper starts the command alone: the units named are neither started nor waited for',
      'debian/apt-daily.service:8 converted apt-daily',
      'debian/apt-daily.service:9 converted apt-daily',
      'debian/apt-daily.service:10 converted apt-daily',
      'debian/pg_dump@15-main.timer:2 skipped pg_dump-15-main',
      'debian/pg_dump@15-main.timer:3 unsupported pg_dump-15-main: not checked: the command runs whatever this condition says (test it in the command if it matters)',
      'debian/pg_dump@15-main.timer:6 job pg_dump-15-main',
      'debian/pg_dump@15-main.timer:7 approximated pg_dump-15-main: jitter: 1h: a delay in [0, 1h) fixed for each slot and the same on every node (systemd drew a new delay for each run, a catch-up run too)',
      "debian/pg_dump@15-main.timer:8 approximated pg_dump-15-main: systemd kept one delay for every run of the timer; cronkeeper's jitter differs from slot to slot",
      'debian/pg_dump@15-main.timer:12 skipped pg_dump-15-main',
      'debian/pg_dump@15-main.service:2 skipped pg_dump-15-main',
      'debian/pg_dump@15-main.service:3 unsupported pg_dump-15-main: not checked: the command runs whatever this condition says (test it in the command if it matters)',
      'debian/pg_dump@15-main.service:4 unsupported pg_dump-15-main: cronkeeper starts the command alone: the units named are neither started nor waited for',
      'debian/pg_dump@15-main.service:5 unsupported pg_dump-15-main: cronkeeper starts the command alone: the units named are neither started nor waited for',
      'debian/pg_dump@15-main.service:6 unsupported pg_dump-15-main: cronkeeper starts the command alone: the units named are neither started nor waited for',
      'debian/pg_dump@15-main.service:9 converted pg_dump-15-main',
      "debian/pg_dump@15-main.service:10 approximated pg_dump-15-main: systemd ran it as user 'postgres'; cronkeeper runs it as the daemon's (to keep it, start the command with runuser -u postgres --)",
      'debian/pg_dump@15-main.service:11 converted pg_dump-15-main',
      "debian/pg_dump@15-main.service:12 approximated pg_dump-15-main: '+': systemd ran it with full privileges; cronkeeper runs it as the daemon's user",
      'debian/pg_dump@15-main.service:13 converted pg_dump-15-main',
      'debian/pg_dump@15-main.service:14 converted pg_dump-15-main',
    ]);
    const config = await load(result.yaml);
    assert.deepEqual(
      config.jobs.map((j) => j.name),
      ['apt-daily', 'pg_dump-15-main'],
    );
  });

  it('man-db, logrotate, e2scrub_all load as jobs (sorted by name); systemd-tmpfiles-clean (monotonic) is refused', async () => {
    const result = importFixtures('debian', [
      'man-db.timer',
      'logrotate.timer',
      'e2scrub_all.timer',
      'systemd-tmpfiles-clean.timer',
    ]);
    assert.equal(result.errors, 0);
    const config = await load(result.yaml);
    assert.deepEqual(
      config.jobs.map((j) => [
        j.name,
        j.schedule.kind === 'cron' ? j.schedule.pattern : '',
        j.action.kind === 'command' ? j.action.argv : [],
      ]),
      [
        ['e2scrub_all', '10 3 * * 0', ['/sbin/e2scrub_all']],
        ['logrotate', '0 0 * * *', ['/usr/sbin/logrotate', '/etc/logrotate.conf']],
        [
          'man-db',
          '0 0 * * *',
          [
            '/bin/sh',
            '-c',
            "/usr/bin/install -d -o man -g man -m 0755 /var/cache/man || exit\n/usr/bin/find /var/cache/man -type f -name '*.gz' -atime +6 -delete || exit\nexec /usr/bin/mandb --quiet",
          ],
        ],
      ],
    );
    const messages = result.report.filter((n) => n.message !== undefined && n.file.includes('tmpfiles'));
    assert.deepEqual(noteLines(messages), [
      'debian/systemd-tmpfiles-clean.timer:16 unsupported: a monotonic timer (after boot): no cron pattern means it; the timer has no OnCalendar=, so no job',
      'debian/systemd-tmpfiles-clean.timer:17 unsupported: a monotonic timer (after an activation): no cron pattern means it (a fixed rate is every: 1d, on a grid from the Unix epoch); the timer has no OnCalendar=, so no job',
    ]);
    // Switched-off protections ask for nothing; MemoryDenyWriteExecute is sandboxing, not a memory limit.
    const logrotate = result.report.filter(
      (n) => n.file === 'debian/logrotate.service' && n.source.startsWith('MemoryDeny'),
    );
    assert.equal(
      logrotate[0]?.message,
      "sandboxing and credentials: cronkeeper runs the command as the daemon's user, without them",
    );
  });
});

describe('import systemd: application units', () => {
  it('db-backup: a zone suffix, Persistent=, jitter, ExecStartPre=, variables, limits, the exact job and notes', async () => {
    const result = importFixtures('app', ['db-backup.timer']);
    assert.equal(
      result.yaml.slice(result.yaml.indexOf('\njobs:') + 1),
      [
        'jobs:',
        '  # Nightly database backup (weekdays, Berlin time)',
        '  # from app/db-backup.timer:6 (OnCalendar=Mon..Fri *-*-* 02:30:00 Europe/Berlin) and app/db-backup.service',
        '  # note: RandomizedDelaySec=5min: jitter: 5m: a delay in [0, 5m) fixed for each slot and the same on every node (systemd drew a new delay for each run, a catch-up run too)',
        '  # note: AccuracySec=1s: cronkeeper starts a run at its slot, not somewhere within an accuracy window: runs may start earlier than under systemd',
        "  # note: User=backup: systemd ran it as user 'backup'; cronkeeper runs it as the daemon's (to keep it, start the command with runuser -u backup --)",
        '  # not carried over: After=, Wants=, Nice=, ProtectSystem=, ReadWritePaths= (see the import report)',
        '  db-backup:',
        '    schedule: "30 2 * * 1-5"',
        '    timezone: Europe/Berlin',
        '    jitter: 5m',
        '    catchup: latest',
        '    catchupWindow: 3650d',
        '    timeout: 45m',
        '    killGrace: 2m',
        '    command: ["/bin/sh", "-c", "/usr/bin/mkdir -p /var/lib/backup/db-backup || exit\\nexec /usr/bin/pg_dump --format=custom --compress=9 --file=/var/lib/backup/db-backup/app.dump"]',
        '    cwd: /var/lib/backup',
        '    env:',
        '      PGHOST: db.internal',
        '      PGDATABASE: app',
        '      DUMP_OPTS: "--format=custom --compress=9"',
        '',
      ].join('\n'),
    );
    assert.deepEqual(noteLines(result.report), [
      'app/db-backup.timer:2 skipped db-backup',
      'app/db-backup.timer:6 job db-backup',
      'app/db-backup.timer:7 converted db-backup: catchup: latest: the newest run missed while the daemon was down runs when it starts (systemd: however long ago; here within catchupWindow: 3650d)',
      'app/db-backup.timer:8 approximated db-backup: jitter: 5m: a delay in [0, 5m) fixed for each slot and the same on every node (systemd drew a new delay for each run, a catch-up run too)',
      'app/db-backup.timer:9 approximated db-backup: cronkeeper starts a run at its slot, not somewhere within an accuracy window: runs may start earlier than under systemd',
      'app/db-backup.timer:12 skipped db-backup',
      'app/db-backup.service:2 skipped db-backup',
      'app/db-backup.service:3 unsupported db-backup: cronkeeper starts the command alone: the units named are neither started nor waited for',
      'app/db-backup.service:4 unsupported db-backup: cronkeeper starts the command alone: the units named are neither started nor waited for',
      'app/db-backup.service:7 converted db-backup',
      "app/db-backup.service:8 approximated db-backup: systemd ran it as user 'backup'; cronkeeper runs it as the daemon's (to keep it, start the command with runuser -u backup --)",
      ...[9, 10, 11, 12, 13, 14, 15].map((line) => `app/db-backup.service:${line} converted db-backup`),
      'app/db-backup.service:16 unsupported db-backup: no resource settings in cronkeeper: start the command with nice, ionice or prlimit, or under systemd-run',
      "app/db-backup.service:17 unsupported db-backup: sandboxing and credentials: cronkeeper runs the command as the daemon's user, without them",
      "app/db-backup.service:18 unsupported db-backup: sandboxing and credentials: cronkeeper runs the command as the daemon's user, without them",
    ]);
    const [job] = (await load(result.yaml)).jobs;
    assert.equal(job?.timeoutMs, 45 * 60_000);
    assert.equal(job?.killGraceMs, 120_000);
    assert.equal(job?.jitterMs, 300_000);
    assert.equal(job?.catchup, 'latest');
  });

  it('metrics-push: two OnCalendar= lines are two jobs, one with seconds; the DST difference is reported', async () => {
    const result = importFixtures('app', ['metrics-push.timer']);
    const jobs = result.report.filter((n) => n.outcome === 'job');
    const both =
      "one job for each of the timer's 2 OnCalendar= lines: where two meet, each job runs, and overlap: skip holds per job (systemd starts the service once and never while it runs)";
    assert.deepEqual(noteLines(jobs), [
      `app/metrics-push.timer:5 job metrics-push: on the days the clock goes back in Europe/Berlin (e.g. 2026-10-25, 02:00 to 03:00 twice), systemd runs 02:00 once; cronkeeper runs it at both times; ${both}`,
      `app/metrics-push.timer:6 job metrics-push-2: on the days the clock goes back in Europe/Berlin (e.g. 2026-10-25, 02:00 to 03:00 twice), systemd runs 02:07:30 once; cronkeeper runs it at both times; ${both}`,
    ]);
    const config = await load(result.yaml);
    assert.deepEqual(
      config.jobs.map((j) => [j.name, j.schedule.kind === 'cron' ? j.schedule.pattern : '', j.timeoutMs]),
      [
        ['metrics-push', '*/15 * * * *', 600_000],
        ['metrics-push-2', '30 7 * * * *', 600_000],
      ],
    );
  });

  it('monthly-report: the first Monday (+, AND) and the last day (L); OnFailure= is reported', async () => {
    const result = importFixtures('app', ['monthly-report.timer']);
    const config = await load(result.yaml);
    assert.deepEqual(
      config.jobs.map((j) => [
        j.name,
        j.schedule.kind === 'cron' ? `${j.schedule.pattern} ${j.schedule.timezone}` : '',
      ]),
      [
        ['monthly-report', '0 9 1-7 * +1 UTC'],
        ['monthly-report-2', '0 18 L * * UTC'],
      ],
    );
    assert.deepEqual(config.jobs[0]?.action.kind === 'command' ? config.jobs[0].action.argv : [], [
      '/bin/sh',
      '-c',
      '/opt/reports/bin/monthly --out /srv/reports || exit\n/usr/bin/logger -t monthly-report done || :',
    ]);
    assert.ok(
      noteLines(result.report).includes(
        'app/monthly-report.service:3 unsupported: starts a unit: give the job an onFailure hook with its command instead',
      ),
    );
  });

  it('tidy (~03) and legacy-daemon (Type=forking) are refused, saying why and nothing else', () => {
    const result = importFixtures('app', ['tidy.timer', 'legacy-daemon.timer']);
    assert.equal(result.jobs, 0);
    assert.equal(result.errors, 0);
    assert.deepEqual(noteLines(result.report), [
      'app/tidy.timer:2 skipped',
      'app/tidy.timer:5 unsupported: not imported: no cron pattern means the same instants: days counted from the end of the month other than the last (~01): a cronkeeper pattern names only the last day (L)',
      'app/legacy-daemon.timer:2 unsupported: not imported: app/legacy-daemon.service: Type=forking: the service goes on in the background after its command exits, where a run ends',
      'app/legacy-daemon.service:2 unsupported: Type=forking: the service goes on in the background after its command exits, where a run ends',
      'app/legacy-daemon.service:3 unsupported',
      'app/legacy-daemon.service:4 converted',
    ]);
    assert.match(result.yaml, /\njobs: \{\}\n$/);
  });
});
