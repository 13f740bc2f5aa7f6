// `cronkeeper import systemd`, end to end with the built `dist/cli.js`, on
// Debian's own timer units and application-shaped ones
// (test/fixtures/import/systemd): the config written with --out passes
// `cronkeeper validate`, and `cronkeeper next` gives, job by job, the instants
// `systemd-analyze calendar` gives for the OnCalendar= line it came from
// (through DST changes; skipped where systemd-analyze is not installed).
// Errors are exit 78 with FILE:LINE, usage errors exit 64.
import assert from 'node:assert/strict';
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { CLI, ROOT, tempDir } from '../support/daemon.js';
import { SYSTEMD_ANALYZE, systemdInstants } from '../support/systemd-analyze.js';

const FIXTURES = path.join(ROOT, 'test/fixtures/import/systemd');
const dir = tempDir('import-systemd');
after(() => {
  if (!process.env.KEEP_TEST_DIRS) fs.rmSync(dir, { recursive: true, force: true });
});

/** No store URL and no default config from the test's environment; the host's zone given. */
function cli(args: string[], zone: string): SpawnSyncReturns<string> {
  const { DATABASE_URL: _a, CRONKEEPER_DATABASE_URL: _b, CRONKEEPER_CONFIG: _c, ...inherited } = process.env;
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: dir,
    env: { ...inherited, TZ: zone },
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (r.error) throw r.error;
  return r;
}

function show(r: SpawnSyncReturns<string>): string {
  return `exit ${r.status} (signal ${r.signal})\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
}

/** Imports into a new config file; asserts it went through and that validate accepts it with `jobs` jobs. */
function importUnits(
  args: string[],
  name: string,
  jobs: number,
  zone: string,
): { config: string; stderr: string } {
  const config = path.join(dir, `${name}.yaml`);
  const r = cli(['import', 'systemd', ...args, '--out', config], zone);
  assert.equal(r.status, 0, show(r));
  assert.equal(r.stdout, '');
  assert.equal(fs.statSync(config).mode & 0o777, 0o600);
  const valid = cli(['validate', '--config', config], zone);
  assert.equal(valid.status, 0, show(valid));
  assert.equal(valid.stdout, `${config}: valid, ${jobs} job(s)\n`);
  return { config, stderr: r.stderr.replaceAll(FIXTURES, 'FIXTURES') };
}

/** `cronkeeper next JOB` as UTC ISO strings. */
function next(config: string, job: string, from: string, n: number): string[] {
  const r = cli(['next', job, '-n', String(n), '--from', from, '--json', '--config', config], 'UTC');
  assert.equal(r.status, 0, show(r));
  return (JSON.parse(r.stdout) as { slots: Array<{ utc: string }> }).slots.map((s) => s.utc);
}

describe('import systemd: the built CLI on real units', () => {
  test("Debian's timers: four jobs; the template and the monotonic timer are refused", () => {
    const { config, stderr } = importUnits([path.join(FIXTURES, 'debian')], 'debian', 4, 'Europe/Berlin');
    const lines = stderr.split('\n');
    for (const line of [
      'FIXTURES/debian/pg_dump@.timer:2: not imported: a template: import an instance of it, e.g. pg_dump@NAME.timer',
      'FIXTURES/debian/systemd-tmpfiles-clean.timer:16: a monotonic timer (after boot): no cron pattern means it; the timer has no OnCalendar=, so no job',
      "FIXTURES/debian/apt-daily.timer:6: job 'apt-daily': jitter: 12h: a delay in [0, 12h) fixed for each slot and the same on every node (systemd drew a new delay for each run, a catch-up run too)",
      "FIXTURES/debian/man-db.service:14: job 'man-db': systemd ran it as user 'man'; cronkeeper runs it as the daemon's (to keep it, start the command with runuser -u man --)",
      `cronkeeper: 4 job(s), 6 directive(s) approximated, 44 not carried over, 0 error(s); wrote ${config} (check it: cronkeeper validate --config ${config})`,
    ]) {
      assert.ok(lines.includes(line), `missing: ${line}\n${stderr}`);
    }
    const text = fs.readFileSync(config, 'utf8');
    assert.match(
      text,
      /\n {2}apt-daily:\n {4}schedule: "0 6,18 \* \* \*"\n {4}timezone: Europe\/Berlin\n {4}jitter: 12h\n {4}catchup: latest\n/,
    );
    assert.match(
      text,
      /\n {2}catchup: none\n {2}# As systemd: a timer that elapses while its service still runs starts nothing.\n {2}overlap: skip\n/,
    );
  });

  test('pg_dump@15-main.timer is read from the template, %i the instance', () => {
    const { config } = importUnits(
      [path.join(FIXTURES, 'debian', 'pg_dump@15-main.timer')],
      'pg-dump',
      1,
      'Europe/Berlin',
    );
    const r = cli(['jobs', '--commands', '--json', '--config', config], 'UTC');
    assert.equal(r.status, 0, show(r));
    const [job] = JSON.parse(r.stdout) as Array<{ name: string; runs: string }>;
    assert.equal(job?.name, 'pg_dump-15-main');
    assert.match(
      job?.runs ?? '',
      /pg_backupcluster 15-main createdirectory \|\| exit\n\/usr\/bin\/pg_backupcluster 15-main dump \|\| exit\nexec /,
    );
  });

  test('application units: five jobs, two refused timers', () => {
    const { config, stderr } = importUnits([path.join(FIXTURES, 'app')], 'app', 5, 'America/New_York');
    assert.match(
      stderr,
      /\nFIXTURES\/app\/tidy\.timer:5: not imported: no cron pattern means the same instants: days counted from the end of the month/,
    );
    assert.match(
      stderr,
      /\nFIXTURES\/app\/legacy-daemon\.timer:2: not imported: FIXTURES\/app\/legacy-daemon\.service: Type=forking/,
    );
    assert.match(
      fs.readFileSync(config, 'utf8'),
      /\n {2}metrics-push-2:\n {4}schedule: "30 7 \* \* \* \*"\n {4}timezone: America\/New_York\n/,
    );
  });
});

describe(
  'import systemd: next gives the instants systemd-analyze gives',
  { skip: !SYSTEMD_ANALYZE && 'systemd-analyze is not installed' },
  () => {
    // [job, its OnCalendar=, from, count]; the windows cross DST changes in the host's zone.
    const debian: Array<[string, string, string, number]> = [
      ['apt-daily', '*-*-* 6,18:00', '2027-03-20T00:00:00Z', 30],
      ['logrotate', 'daily', '2027-10-25T00:00:00Z', 15],
      ['man-db', 'daily', '2027-03-20T00:00:00Z', 15],
      ['e2scrub_all', 'Sun *-*-* 03:10:00', '2027-03-01T00:00:00Z', 10],
      ['e2scrub_all', 'Sun *-*-* 03:10:00', '2027-10-15T00:00:00Z', 5],
    ];
    const app: Array<[string, string, string, number]> = [
      ['db-backup', 'Mon..Fri *-*-* 02:30:00 Europe/Berlin', '2027-03-22T00:00:00Z', 15],
      ['metrics-push', '*:0/15', '2027-03-14T05:00:00Z', 40],
      ['metrics-push-2', '*-*-* *:07:30', '2027-03-14T05:00:00Z', 10],
      ['monthly-report', 'Mon *-*-1..7 09:00 UTC', '2026-12-01T00:00:00Z', 12],
      ['monthly-report-2', '*-*~01 18:00 UTC', '2026-12-01T00:00:00Z', 14],
    ];
    test("Debian's timers, on a host in Europe/Berlin", () => {
      const { config } = importUnits([path.join(FIXTURES, 'debian')], 'debian-next', 4, 'Europe/Berlin');
      for (const [job, event, from, n] of debian) {
        assert.deepEqual(
          next(config, job, from, n),
          systemdInstants(event, from, n, 'Europe/Berlin'),
          `${job}: ${event}`,
        );
      }
    });
    test('application timers, on a host in America/New_York', () => {
      const { config } = importUnits([path.join(FIXTURES, 'app')], 'app-next', 5, 'America/New_York');
      for (const [job, event, from, n] of app) {
        assert.deepEqual(
          next(config, job, from, n),
          systemdInstants(event, from, n, 'America/New_York'),
          `${job}: ${event}`,
        );
      }
    });
  },
);

describe('import systemd: errors, --json and usage', () => {
  const broken = path.join(dir, 'broken');
  fs.mkdirSync(broken, { recursive: true });
  fs.writeFileSync(
    path.join(broken, 'report.timer'),
    '[Timer]\nOnCalendar=Mon..Fri..Sun 09:00\nPersistent=maybe\n',
  );
  fs.writeFileSync(path.join(broken, 'report.service'), '[Service]\nExecStart=/usr/bin/report\n');

  test('a timer systemd refuses: exit 78 with its lines, nothing written; --json says the same', () => {
    const out = path.join(dir, 'broken.yaml');
    const r = cli(['import', 'systemd', broken, '--out', out], 'UTC');
    assert.equal(r.status, 78, show(r));
    assert.equal(r.stdout, '');
    const timer = path.join(broken, 'report.timer');
    assert.equal(
      r.stderr,
      [
        `${timer}:2: error: 'Mon..Fri..Sun 09:00' is not a calendar event systemd accepts (see systemd.time(7), or try systemd-analyze calendar)`,
        `${timer}:3: error: 'maybe' is no boolean`,
        'cronkeeper: 0 job(s), 0 directive(s) approximated, 0 not carried over, 2 error(s): nothing written',
        '',
      ].join('\n'),
    );
    assert.equal(fs.existsSync(out), false);
    const json = cli(['import', 'systemd', broken, '--json'], 'UTC');
    assert.equal(json.status, 78);
    const doc = JSON.parse(json.stdout) as { config: unknown; report: Array<Record<string, unknown>> };
    assert.equal(doc.config, null);
    assert.deepEqual(doc.report[0], {
      file: timer,
      line: 2,
      source: 'OnCalendar=Mon..Fri..Sun 09:00',
      outcome: 'error',
      message:
        "'Mon..Fri..Sun 09:00' is not a calendar event systemd accepts (see systemd.time(7), or try systemd-analyze calendar)",
    });
  });

  test('--json: the config and a note for every directive', () => {
    const timer = path.join(FIXTURES, 'debian', 'logrotate.timer');
    const r = cli(['import', 'systemd', timer, '--json'], 'Europe/Berlin');
    assert.equal(r.status, 0, show(r));
    assert.equal(r.stderr, '');
    const doc = JSON.parse(r.stdout) as {
      config: string;
      report: Array<{ file: string; line: number; outcome: string }>;
    };
    assert.equal(doc.config, cli(['import', 'systemd', timer], 'Europe/Berlin').stdout);
    assert.deepEqual(
      doc.report.filter((n) => n.file === timer).map((n) => `${n.line} ${n.outcome}`),
      ['2 skipped', '3 skipped', '6 job', '7 approximated', '8 converted', '11 skipped'],
    );
  });

  test('usage errors are exit 64; a missing unit is exit 78', () => {
    for (const [args, message] of [
      [['import', 'systemd'], /import systemd needs UNIT\.timer files or a directory of them/],
      [['import', 'systemd', '-'], /import systemd reads unit files, not stdin/],
      [
        ['import', 'systemd', 'cron.conf'],
        /takes \.timer and \.service files and directories, not 'cron\.conf'/,
      ],
    ] as const) {
      const r = cli([...args], 'UTC');
      assert.equal(r.status, 64, `${args.join(' ')}: ${show(r)}`);
      assert.match(r.stderr, message);
    }
    const missing = cli(['import', 'systemd', path.join(dir, 'nope.timer')], 'UTC');
    assert.equal(missing.status, 78, show(missing));
    assert.match(missing.stderr, /^cronkeeper: cannot read the unit .*nope\.timer: ENOENT/);
    const help = cli(['import', '--help'], 'UTC');
    assert.match(
      help.stdout,
      /\n {7}cronkeeper import systemd UNIT\.timer\|DIR\.\.\. \[--out FILE\] \[--json\]\n/,
    );
  });
});
