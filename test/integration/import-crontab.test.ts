// `cronkeeper import crontab`, end to end with the built `dist/cli.js`, on
// real-world crontabs (test/fixtures/import: Debian's stock /etc/crontab, the
// e2scrub_all and php files of /etc/cron.d, a user crontab with environment
// lines and % in commands): the config it writes with --out passes
// `cronkeeper validate`, and `cronkeeper next` gives the times the cron line
// means, found here by walking the wall clock minute by minute.
import assert from 'node:assert/strict';
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { CLI, ROOT, tempDir } from '../support/daemon.js';

const FIXTURES = path.join(ROOT, 'test/fixtures/import');
const dir = tempDir('import-crontab');
after(() => {
  if (!process.env.KEEP_TEST_DIRS) fs.rmSync(dir, { recursive: true, force: true });
});

/** The host zone cron would follow: the CLI writes it on each job without CRON_TZ. */
const HOST_ZONE = 'America/New_York';

/** No store URL and no default config from the test's environment; a fixed host zone. */
function cliEnv(): NodeJS.ProcessEnv {
  const { DATABASE_URL: _a, CRONKEEPER_DATABASE_URL: _b, CRONKEEPER_CONFIG: _c, ...inherited } = process.env;
  return { ...inherited, TZ: HOST_ZONE };
}

function cli(args: string[], input?: string): SpawnSyncReturns<string> {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: dir,
    env: cliEnv(),
    encoding: 'utf8',
    input,
    timeout: 60_000,
  });
  if (r.error) throw r.error;
  return r;
}

function show(r: SpawnSyncReturns<string>): string {
  return `exit ${r.status} (signal ${r.signal})\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
}

/** Imports a fixture into a new config file; asserts it went through and passes validate. */
function importFixture(name: string, jobs: number): { config: string; stderr: string } {
  const config = path.join(dir, `${name}.yaml`);
  const fixture = path.join(FIXTURES, name);
  const r = cli(['import', 'crontab', fixture, '--out', config]);
  assert.equal(r.status, 0, show(r));
  assert.equal(r.stdout, '');
  assert.equal(fs.statSync(config).mode & 0o777, 0o600);
  const valid = cli(['validate', '--config', config]);
  assert.equal(valid.status, 0, show(valid));
  assert.equal(valid.stdout, `${config}: valid, ${jobs} job(s)\n`);
  assert.equal(valid.stderr, '', 'a config only its owner can write: no warning');
  return { config, stderr: r.stderr.replaceAll(fixture, 'FIXTURE') };
}

/** `cronkeeper next JOB` as UTC ISO strings. */
function next(config: string, job: string, from: string, n: number): string[] {
  const r = cli(['next', job, '-n', String(n), '--from', from, '--json', '--config', config]);
  assert.equal(r.status, 0, show(r));
  const doc = JSON.parse(r.stdout) as { job: string; slots: Array<{ utc: string }> };
  assert.equal(doc.job, job);
  return doc.slots.map((s) => s.utc);
}

/**
 * The first `n` instants after `from` whose wall clock in `zone` matches the numeric
 * cron fields (undefined: any), day of week 0 or 7 = Sunday: cron's meaning, found
 * by walking every minute. For windows without a DST change, where that is exact.
 */
function cronTimes(
  fields: { minute: number[]; hour?: number[]; dom?: number[]; dow?: number[] },
  zone: string,
  from: string,
  n: number,
): string[] {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    minute: 'numeric',
    hour: 'numeric',
    day: 'numeric',
    weekday: 'short',
  });
  const weekdays = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const found: string[] = [];
  let ms = Math.floor(Date.parse(from) / 60_000) * 60_000 + 60_000;
  for (let i = 0; found.length < n && i < 200_000; i++, ms += 60_000) {
    const parts = Object.fromEntries(format.formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
    const dow = weekdays.indexOf(parts.weekday!);
    const ok =
      fields.minute.includes(Number(parts.minute)) &&
      (fields.hour?.includes(Number(parts.hour)) ?? true) &&
      (fields.dom?.includes(Number(parts.day)) ?? true) &&
      (fields.dow === undefined || fields.dow.includes(dow) || (dow === 0 && fields.dow.includes(7)));
    if (ok) found.push(new Date(ms).toISOString());
  }
  return found;
}

const HOUR_MS = 3_600_000;

describe('import crontab: real-world crontabs', () => {
  test("Debian's /etc/crontab: four run-parts jobs as root, at the times cron runs them", () => {
    const { config, stderr } = importFixture('debian-crontab', 4);
    const asRoot =
      "cron ran it as user 'root'; cronkeeper has no per-job user and runs it as the daemon's user (to run it as root, start the command with runuser -u root --)";
    assert.equal(
      stderr,
      [
        `FIXTURE:19: job 'run-parts-cron.hourly': ${asRoot}`,
        `FIXTURE:20: job 'run-parts-cron.daily': ${asRoot}`,
        `FIXTURE:21: job 'run-parts-cron.weekly': ${asRoot}`,
        `FIXTURE:22: job 'run-parts-cron.monthly': ${asRoot}`,
        `cronkeeper: 4 job(s), 0 line(s) not imported, 0 error(s); wrote ${config} (check it: cronkeeper validate --config ${config})`,
        '',
      ].join('\n'),
    );
    const text = fs.readFileSync(config, 'utf8');
    assert.match(
      text,
      /\n {2}# \* {2}\* {2}\* {2}\* {2}\* user-name command to be executed\n {2}# crontab line 19: 17 \*\t\* \* \*\troot\tcd \/ && run-parts --report \/etc\/cron.hourly\n/,
    );
    assert.match(
      text,
      /\n {2}run-parts-cron.daily:\n {4}schedule: "25 6 \* \* \*"\n {4}timezone: America\/New_York\n {4}command: \["\/bin\/sh", "-c", "test -x \/usr\/sbin\/anacron \|\| \{ cd \/ && run-parts --report \/etc\/cron.daily; \}"\]\n/,
    );
    assert.match(text, /\n {2}catchup: none\n/);

    // 17 * * * *: every hour at :17, through the spring-forward night in New York too.
    const from = '2026-03-08T05:00:00Z';
    const hourly = Array.from({ length: 5 }, (_, i) =>
      new Date(Date.parse(from) + 17 * 60_000 + i * HOUR_MS).toISOString(),
    );
    assert.deepEqual(next(config, 'run-parts-cron.hourly', from, 5), hourly);
    // 25 6 * * *, 47 6 * * 7, 52 6 1 * *: in the host's zone.
    const winter = '2026-01-05T12:00:00Z';
    assert.deepEqual(
      next(config, 'run-parts-cron.daily', winter, 3),
      cronTimes({ minute: [25], hour: [6] }, HOST_ZONE, winter, 3),
    );
    assert.deepEqual(next(config, 'run-parts-cron.daily', winter, 1), ['2026-01-06T11:25:00.000Z']);
    assert.deepEqual(
      next(config, 'run-parts-cron.weekly', winter, 3),
      cronTimes({ minute: [47], hour: [6], dow: [7] }, HOST_ZONE, winter, 3),
    );
    assert.deepEqual(
      next(config, 'run-parts-cron.monthly', '2026-04-15T00:00:00Z', 2),
      cronTimes({ minute: [52], hour: [6], dom: [1] }, HOST_ZONE, '2026-04-15T00:00:00Z', 2),
    );
  });

  test('/etc/cron.d/e2scrub_all: two jobs named after their programs', () => {
    const { config } = importFixture('cron.d-e2scrub_all', 2);
    const from = '2026-06-01T00:00:00Z';
    assert.deepEqual(
      next(config, 'e2scrub_all_cron', from, 3),
      cronTimes({ minute: [30], hour: [3], dow: [0] }, HOST_ZONE, from, 3),
    );
    assert.deepEqual(
      next(config, 'e2scrub_all', from, 3),
      cronTimes({ minute: [10], hour: [3] }, HOST_ZONE, from, 3),
    );
  });

  test('/etc/cron.d/php: the comment above the line stays with its job; 09,39 * * * *', () => {
    const { config } = importFixture('cron.d-php', 1);
    assert.match(
      fs.readFileSync(config, 'utf8'),
      /\n {2}# Look for and purge old sessions every 30 minutes\n {2}# crontab line 14: [^\n]*\n {2}# note: [^\n]*\n {2}sessionclean:\n/,
    );
    const from = '2026-01-10T00:00:00Z';
    assert.deepEqual(next(config, 'sessionclean', from, 4), [
      '2026-01-10T00:09:00.000Z',
      '2026-01-10T00:39:00.000Z',
      '2026-01-10T01:09:00.000Z',
      '2026-01-10T01:39:00.000Z',
    ]);
  });

  test('a user crontab: SHELL, PATH, CRON_TZ, MAILTO, % as stdin, an alias and @reboot', () => {
    const { config, stderr } = importFixture('user-crontab', 4);
    assert.equal(
      stderr,
      [
        "FIXTURE:5: MAILTO: cronkeeper sends no mail; a run's output is in 'cronkeeper logs JOB' and the daemon's log, and an onFailure hook can alert (see the example under defaults)",
        "FIXTURE:11: job 'mail': the text after % is the command's standard input (each further % a line break): printf '%s' TEXT | { COMMAND } feeds it",
        'FIXTURE:14: @reboot: cronkeeper has no boot-time jobs; start it from a systemd unit (or your init system) instead',
        `cronkeeper: 4 job(s), 2 line(s) not imported, 0 error(s); wrote ${config} (check it: cronkeeper validate --config ${config})`,
        '',
      ].join('\n'),
    );
    // What each job runs, as `jobs --commands` shows it (sh-quoted), read back by sh into argv.
    const commands = cli(['jobs', '--commands', '--json', '--config', config]);
    assert.equal(commands.status, 0, show(commands));
    const runs = new Map(
      (JSON.parse(commands.stdout) as Array<{ name: string; runs: string }>).map((j) => [j.name, j.runs]),
    );
    const argv = (job: string): string[] => {
      const r = spawnSync('/bin/sh', ['-c', 'eval "set -- $RUNS"; printf \'%s\\0\' "$@"'], {
        env: { RUNS: runs.get(job) },
        encoding: 'utf8',
      });
      return r.stdout.split('\0').slice(0, -1);
    };
    assert.deepEqual(argv('pg_dump'), [
      '/bin/bash',
      '-c',
      'pg_dump -Fc app > /var/backups/app-$(date +%Y%m%d).dump',
    ]);
    assert.deepEqual(argv('mail'), [
      '/bin/bash',
      '-c',
      "printf '%s' 'Hello Alice,\n\nthe report is ready: 100% done.\n' | {\nmail -s \"Weekly report\" alice\n}",
    ]);
    // ... and the text reaches the command's stdin (cat in place of mail).
    const fed = spawnSync(
      '/bin/bash',
      ['-c', argv('mail')[2]!.replace('mail -s "Weekly report" alice', 'cat')],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(fed.stdout, 'Hello Alice,\n\nthe report is ready: 100% done.\n');
    // CRON_TZ=Europe/Berlin: 17 * * * * is every hour at :17, also on the fall-back night there.
    const from = '2026-10-24T23:30:00Z';
    assert.deepEqual(
      next(config, 'sync-inbox-quiet', from, 4),
      Array.from({ length: 4 }, (_, i) =>
        new Date(Date.parse('2026-10-25T00:17:00Z') + i * HOUR_MS).toISOString(),
      ),
    );
    const june = '2026-06-01T00:00:00Z';
    assert.deepEqual(
      next(config, 'pg_dump', june, 2),
      cronTimes({ minute: [30], hour: [2] }, 'Europe/Berlin', june, 2),
    );
    // @hourly, and 0 9 * * mon.
    assert.deepEqual(next(config, 'sync-inbox-full', june, 2), [
      '2026-06-01T01:00:00.000Z',
      '2026-06-01T02:00:00.000Z',
    ]);
    assert.deepEqual(
      next(config, 'mail', june, 2),
      cronTimes({ minute: [0], hour: [9], dow: [1] }, 'Europe/Berlin', june, 2),
    );
  });
});

describe('import crontab: input, output and errors', () => {
  const fixture = path.join(FIXTURES, 'user-crontab');

  test('stdin (- or no FILE) gives the YAML on stdout; --json the config and the whole report', () => {
    const crontab = fs.readFileSync(fixture, 'utf8');
    const dash = cli(['import', 'crontab', '-'], crontab);
    assert.equal(dash.status, 0, show(dash));
    const bare = cli(['import', 'crontab'], crontab);
    assert.equal(bare.stdout, dash.stdout);
    assert.match(
      dash.stdout,
      /^# cronkeeper config imported from standard input by 'cronkeeper import crontab'\.\n/,
    );
    assert.match(dash.stderr, /^<stdin>:5: MAILTO: /);

    const json = cli(['import', 'crontab', '--json'], crontab);
    assert.equal(json.status, 0, show(json));
    assert.equal(json.stderr, '');
    const doc = JSON.parse(json.stdout) as { config: string; report: Array<Record<string, unknown>> };
    assert.equal(doc.config, dash.stdout);
    assert.equal(doc.report.length, crontab.split('\n').length - 1);
    assert.deepEqual(
      doc.report.map((n) => `${n.line} ${n.outcome}${n.job ? ` ${n.job}` : ''}`),
      [
        '1 comment',
        '2 comment',
        '3 env',
        '4 env',
        '5 unsupported',
        '6 env',
        '7 skipped',
        '8 comment',
        '9 job pg_dump',
        '10 comment',
        '11 job mail',
        '12 job sync-inbox-quiet',
        '13 job sync-inbox-full',
        '14 unsupported',
      ],
    );
  });

  test('an error line: exit 78 with the line number, and nothing written', () => {
    const bad = path.join(dir, 'bad-crontab');
    fs.writeFileSync(bad, '0 * * * * fine\n61 * * * * late\nnot a cron line\n@reboot x\n');
    const out = path.join(dir, 'bad.yaml');
    const r = cli(['import', 'crontab', bad, '--out', out]);
    assert.equal(r.status, 78, show(r));
    assert.equal(r.stdout, '');
    assert.equal(
      r.stderr,
      [
        `${bad}:2: error: minute '61' is out of range 0-59`,
        `${bad}:3: error: neither an environment setting (NAME=value), a comment, nor a cron line (5 time fields and a command)`,
        `${bad}:4: @reboot: cronkeeper has no boot-time jobs; start it from a systemd unit (or your init system) instead`,
        'cronkeeper: 1 job(s), 1 line(s) not imported, 2 error(s): nothing written',
        '',
      ].join('\n'),
    );
    assert.equal(fs.existsSync(out), false);
    const json = cli(['import', 'crontab', bad, '--json']);
    assert.equal(json.status, 78);
    const doc = JSON.parse(json.stdout) as {
      config: unknown;
      report: Array<{ line: number; outcome: string }>;
    };
    assert.equal(doc.config, null);
    assert.deepEqual(
      doc.report.map((n) => [n.line, n.outcome]),
      [
        [1, 'job'],
        [2, 'error'],
        [3, 'error'],
        [4, 'unsupported'],
      ],
    );
  });

  test('--out never overwrites; a missing crontab is exit 78; usage errors are exit 64', () => {
    const out = path.join(dir, 'exists.yaml');
    fs.writeFileSync(out, 'mine\n');
    const r = cli(['import', 'crontab', fixture, '--out', out]);
    assert.equal(r.status, 1, show(r));
    assert.equal(
      r.stderr,
      `cronkeeper: ${out} exists: not overwritten (remove it or choose another --out)\n`,
    );
    assert.equal(fs.readFileSync(out, 'utf8'), 'mine\n');

    const missing = cli(['import', 'crontab', path.join(dir, 'nope')]);
    assert.equal(missing.status, 78, show(missing));
    assert.match(missing.stderr, /^cronkeeper: cannot read the crontab .*nope: ENOENT/);

    for (const [args, message] of [
      [['import'], /import needs a source kind: cronkeeper import crontab/],
      [['import', 'systemd'], /import systemd needs UNIT\.timer files or a directory of them/],
      [['import', 'cronjob', 'x', 'y'], /import cronjob takes one FILE, got 'x' and 'y'/],
      [['import', 'fstab'], /unknown source kind 'fstab'/],
      [['import', 'crontab', 'a', 'b'], /takes one FILE, got 'a' and 'b'/],
      [['import', 'crontab', fixture, '--config', 'x.yaml'], /import reads no config/],
      [['import', 'crontab', fixture, '-n', '3'], /import does not take -n/],
    ] as const) {
      const usage = cli([...args]);
      assert.equal(usage.status, 64, `${args.join(' ')}: ${show(usage)}`);
      assert.match(usage.stderr, message);
    }
    const help = cli(['import', '--help']);
    assert.equal(help.status, 0);
    assert.match(help.stdout, /^Usage: cronkeeper import crontab \[FILE\|-\] \[--out FILE\] \[--json\]/);
    assert.match(cli(['--help']).stdout, /\n {2}import crontab \[FILE\|-\]/);
  });
});
