// `cronkeeper import cronjob`, end to end with the built `dist/cli.js`, on
// the Kubernetes docs' example, a namespace's backup jobs and a `kubectl get
// -o yaml` List (test/fixtures/import/cronjob): the config written with --out
// passes `cronkeeper validate`, and `cronkeeper next` gives the times the
// CronJob controller means, found here by walking the wall clock minute by
// minute with robfig/cron's day rule (both day fields must match when one
// holds an unstepped * or ?: its star bit, which a step over 1 clears). Errors are exit 78 with FILE:LINE, usage errors exit 64.
import assert from 'node:assert/strict';
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { CLI, ROOT, tempDir } from '../support/daemon.js';

const FIXTURES = path.join(ROOT, 'test/fixtures/import/cronjob');
const dir = tempDir('import-cronjob');
after(() => {
  if (!process.env.KEEP_TEST_DIRS) fs.rmSync(dir, { recursive: true, force: true });
});

function cli(args: string[], input?: string): SpawnSyncReturns<string> {
  const { DATABASE_URL: _a, CRONKEEPER_DATABASE_URL: _b, CRONKEEPER_CONFIG: _c, ...inherited } = process.env;
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: dir,
    env: { ...inherited, TZ: 'UTC' },
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

function importFixture(name: string, jobs: number): { config: string; stderr: string } {
  const config = path.join(dir, `${name}.yaml`);
  const r = cli(['import', 'cronjob', path.join(FIXTURES, name), '--out', config]);
  assert.equal(r.status, 0, show(r));
  assert.equal(r.stdout, '');
  assert.equal(fs.statSync(config).mode & 0o777, 0o600);
  const valid = cli(['validate', '--config', config]);
  assert.equal(valid.status, 0, show(valid));
  assert.equal(valid.stdout, `${config}: valid, ${jobs} job(s)\n`);
  return { config, stderr: r.stderr.replaceAll(FIXTURES, 'FIXTURES') };
}

function next(config: string, job: string, from: string, n: number): string[] {
  const r = cli(['next', job, '-n', String(n), '--from', from, '--json', '--config', config]);
  assert.equal(r.status, 0, show(r));
  return (JSON.parse(r.stdout) as { slots: Array<{ utc: string }> }).slots.map((s) => s.utc);
}

interface Fields {
  minute: number[];
  hour?: number[];
  dom?: number[];
  dow?: number[];
  /** robfig's rule: a day field with an unstepped * or ? (its star bit) makes both day fields required. */
  domStar?: boolean;
}

/** The first `n` minutes after `from` whose wall clock in `zone` the CronJob controller would run (windows without DST changes). */
function controllerTimes(f: Fields, zone: string, from: string, n: number): string[] {
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
  for (let i = 0; found.length < n && i < 500_000; i++, ms += 60_000) {
    const p = Object.fromEntries(format.formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
    const domOk = f.dom?.includes(Number(p.day)) ?? true;
    const dowOk = f.dow?.includes(weekdays.indexOf(p.weekday!)) ?? true;
    const dayOk = f.dom === undefined || f.dow === undefined || f.domStar ? domOk && dowOk : domOk || dowOk;
    if (f.minute.includes(Number(p.minute)) && (f.hour?.includes(Number(p.hour)) ?? true) && dayOk) {
      found.push(new Date(ms).toISOString());
    }
  }
  return found;
}

const ODD_DAYS = Array.from({ length: 16 }, (_, i) => 1 + 2 * i);

describe('import cronjob: the built CLI on real manifests', () => {
  test('the Kubernetes docs example: every minute, UTC', () => {
    const { config, stderr } = importFixture('hello.yaml', 1);
    assert.equal(
      stderr,
      [
        "FIXTURES/hello.yaml:7: job 'hello': no timeZone: the controller manager's local time, UTC in most clusters: written as UTC",
        "FIXTURES/hello.yaml:14: job 'hello': the command ran in this image; cronkeeper runs it as it is on its own host (install what it needs there, or start it with docker run or podman run)",
        "FIXTURES/hello.yaml:15: job 'hello': a container setting: cronkeeper runs the command as a process on its own host, without it",
        `cronkeeper: 1 job(s), 1 field(s) approximated, 1 not carried over, 0 error(s); wrote ${config} (check it: cronkeeper validate --config ${config})`,
        '',
      ].join('\n'),
    );
    const from = '2027-01-31T23:58:30Z';
    assert.deepEqual(next(config, 'hello', from, 3), [
      '2027-01-31T23:59:00.000Z',
      '2027-02-01T00:00:00.000Z',
      '2027-02-01T00:01:00.000Z',
    ]);
  });

  test('backups: */2 with a weekday range is either (robfig: a step clears the star), in Europe/Berlin; the ConfigMap is skipped', () => {
    const { config, stderr } = importFixture('backups.yaml', 2);
    assert.match(stderr, /^FIXTURES\/backups\.yaml:2: a ConfigMap, not a CronJob\n/);
    const june = '2027-06-01T00:00:00Z';
    const expected = controllerTimes(
      { minute: [30], hour: [2], dom: ODD_DAYS, dow: [1, 2, 3, 4, 5] },
      'Europe/Berlin',
      june,
      12,
    );
    assert.deepEqual(next(config, 'db-backup', june, 12), expected);
    // Mondays to Fridays and odd days: the Saturday 2027-06-05 (odd), the Tuesday 2027-06-08 (even).
    assert.ok(
      expected.some((t) => t.startsWith('2027-06-05')) && expected.some((t) => t.startsWith('2027-06-08')),
    );
    assert.deepEqual(
      next(config, 'cache-warmup', june, 3),
      controllerTimes({ minute: [0], hour: [2] }, 'Europe/Berlin', june, 3),
    );
  });

  test("the List: log-shipper's CRON_TZ, ? and MON-FRI; the two refused CronJobs are named", () => {
    const { config, stderr } = importFixture('cronjob-list.yaml', 1);
    assert.match(
      stderr,
      /\nFIXTURES\/cronjob-list\.yaml:47: CronJob ops\/report-with-sidecar: not imported: 2 containers: a cronkeeper job runs one command\n/,
    );
    assert.match(
      stderr,
      /\nFIXTURES\/cronjob-list\.yaml:59: CronJob ops\/entrypoint-only: not imported: '@every 90m'/,
    );
    assert.match(
      stderr,
      /\ncronkeeper: 1 job\(s\), 2 field\(s\) approximated, 3 not carried over, 0 error\(s\); wrote /,
    );
    const from = '2027-01-08T00:00:00Z';
    assert.deepEqual(
      next(config, 'log-shipper', from, 10),
      controllerTimes(
        { minute: [15], hour: [0, 6, 12, 18], dom: undefined, dow: [1, 2, 3, 4, 5] },
        'America/New_York',
        from,
        10,
      ),
    );
  });
});

describe('import cronjob: stdin, --json, errors and usage', () => {
  const manifest = fs.readFileSync(path.join(FIXTURES, 'hello.yaml'), 'utf8');

  test('stdin (- or no FILE): the YAML on stdout; --json the config and every note', () => {
    const dash = cli(['import', 'cronjob', '-'], manifest);
    assert.equal(dash.status, 0, show(dash));
    assert.equal(cli(['import', 'cronjob'], manifest).stdout, dash.stdout);
    assert.match(
      dash.stdout,
      /^# cronkeeper config imported from standard input by 'cronkeeper import cronjob'\.\n/,
    );
    assert.match(dash.stderr, /^<stdin>:7: job 'hello': no timeZone/);
    const json = cli(['import', 'cronjob', '--json'], manifest);
    assert.equal(json.status, 0, show(json));
    assert.equal(json.stderr, '');
    const doc = JSON.parse(json.stdout) as { config: string; report: Array<Record<string, unknown>> };
    assert.equal(doc.config, dash.stdout);
    assert.deepEqual(doc.report[2], {
      file: '<stdin>',
      line: 7,
      source: "  schedule: '* * * * *'",
      outcome: 'job',
      job: 'hello',
      message: "no timeZone: the controller manager's local time, UTC in most clusters: written as UTC",
    });
  });

  test('what Kubernetes refuses: exit 78 with the line, nothing written', () => {
    const bad = path.join(dir, 'bad.yaml');
    fs.writeFileSync(
      bad,
      manifest
        .replace("'* * * * *'", "'0 0 * * 7'")
        .replace('restartPolicy: OnFailure', 'restartPolicy: [OnFailure'),
    );
    const out = path.join(dir, 'bad-out.yaml');
    const r = cli(['import', 'cronjob', bad, '--out', out]);
    assert.equal(r.status, 78, show(r));
    assert.equal(r.stdout, '');
    assert.match(
      r.stderr,
      new RegExp(
        `^${bad}:21: error: Flow sequence in block collection must be sufficiently indented and end with a \\]\n`,
      ),
    );
    assert.match(
      r.stderr,
      /\ncronkeeper: 0 job\(s\), 0 field\(s\) approximated, 0 not carried over, 1 error\(s\): nothing written\n$/,
    );
    assert.equal(fs.existsSync(out), false);
    fs.writeFileSync(bad, manifest.replace("'* * * * *'", "'0 0 * * 7'"));
    const seven = cli(['import', 'cronjob', bad]);
    assert.equal(seven.status, 78, show(seven));
    assert.match(
      seven.stderr,
      new RegExp(`^${bad}:7: error: CronJob hello: day of week '7': 7 is out of range 0-6 for Kubernetes\n`),
    );
  });

  test('usage errors are exit 64; a missing manifest is exit 78', () => {
    const r = cli(['import', 'cronjob', 'a.yaml', 'b.yaml']);
    assert.equal(r.status, 64, show(r));
    assert.match(r.stderr, /import cronjob takes one FILE, got 'a\.yaml' and 'b\.yaml'/);
    const missing = cli(['import', 'cronjob', path.join(dir, 'nope.yaml')]);
    assert.equal(missing.status, 78, show(missing));
    assert.match(missing.stderr, /^cronkeeper: cannot read the manifest .*nope\.yaml: ENOENT/);
    assert.match(cli(['--help']).stdout, /\n {2}import cronjob \[FILE\|-\]\n/);
  });
});
