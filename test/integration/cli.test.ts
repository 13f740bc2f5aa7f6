// The command line, end to end with the built `dist/cli.js`: exit codes
// (sysexits: 64 usage, 78 config), config problems at file:line:column, the
// catch-up plan as JSON, and the store commands (runs, snapshots) on an
// embedded store that a real daemon run populated.
import assert from 'node:assert/strict';
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { snapshotCodec } from '../../src/snapshot/snapshot-codec.js';
import { after, describe, test } from 'node:test';
import { CLI, ROOT, readOutput, recordingCommand, startDaemon, tempDir, waitFor } from '../support/daemon.js';

const dir = tempDir('cli');
after(() => {
  if (!process.env.KEEP_TEST_DIRS) fs.rmSync(dir, { recursive: true, force: true });
});

/** The environment of every CLI call: no DATABASE_URL (it would replace the embedded store), no default config. */
function cliEnv(): NodeJS.ProcessEnv {
  const { DATABASE_URL: _a, CRONKEEPER_DATABASE_URL: _b, CRONKEEPER_CONFIG: _c, ...inherited } = process.env;
  return inherited;
}

function cli(...args: string[]): SpawnSyncReturns<string> {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: dir,
    env: cliEnv(),
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (r.error) throw r.error;
  return r;
}

/** "exit N" with the output, for assertion messages. */
function show(r: SpawnSyncReturns<string>): string {
  return `exit ${r.status} (signal ${r.signal})\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
}

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}

describe('validate and run on a bad config', () => {
  // Line numbers are 1-based: the comments give each problem's line:column.
  const bad = write(
    'bad/cronkeeper.yaml',
    [
      'store:', // 1
      '  path: ./store', // 2
      'jobs:', // 3
      '  alpha:', // 4
      '    schedule: "61 * * * *"', // 5: value at column 15
      '    command: ["true"]', // 6
      '  beta:', // 7
      '    schedule: "0 0 31 2 *"', // 8: value at column 15
      '    command: ["true"]', // 9
      '  gamma:', // 10
      '    schedule: "0 * * * *"', // 11
      '    timezone: Mars/Olympus', // 12: value at column 15
      '    command: ["true"]', // 13
      '  delta:', // 14
      '    schedule: "0 * * * *"', // 15
      '    comand: ["true"]', // 16: key at column 5
      '    command: ["true"]', // 17
      '',
    ].join('\n'),
  );
  const expected = [
    { at: '5:15', path: 'jobs.alpha.schedule', mentions: '61 * * * *' },
    { at: '8:15', path: 'jobs.beta.schedule', mentions: '0 0 31 2 *' },
    { at: '12:15', path: 'jobs.gamma.timezone', mentions: 'Mars/Olympus' },
    { at: '16:5', path: 'jobs.delta.comand', mentions: 'comand' },
  ];

  function assertProblems(r: SpawnSyncReturns<string>): void {
    assert.equal(r.status, 78, show(r));
    const lines = r.stderr.split('\n').filter((l) => l.startsWith(`${bad}:`));
    assert.equal(lines.length, expected.length, `one line per problem:\n${r.stderr}`);
    expected.forEach((e, i) => {
      const line = lines[i]!;
      const prefix = `${bad}:${e.at}: ${e.path}: `;
      assert.ok(line.startsWith(prefix), `expected '${prefix}...', got '${line}'`);
      assert.ok(line.slice(prefix.length).includes(e.mentions), `the message names '${e.mentions}': ${line}`);
    });
    assert.match(r.stderr, /4 problem\(s\)/);
  }

  test('validate exits 78 listing every problem at file:line:column', () => {
    assertProblems(cli('validate', '--config', bad));
  });

  test('validate --json: the same problems as data on stdout, exit 78', () => {
    const r = cli('validate', '--config', bad, '--json');
    assert.equal(r.status, 78, show(r));
    const doc = JSON.parse(r.stdout) as {
      valid: boolean;
      problems: Array<{ file: string; line: number; column: number; path: string; message: string }>;
    };
    assert.equal(doc.valid, false);
    assert.deepEqual(
      doc.problems.map((p) => [p.file, `${p.line}:${p.column}`, p.path]),
      expected.map((e) => [bad, e.at, e.path]),
    );
    expected.forEach((e, i) =>
      assert.ok(doc.problems[i]!.message.includes(e.mentions), doc.problems[i]!.message),
    );
  });

  test('run exits 78 too and starts nothing', () => {
    const r = cli('run', '--config', bad);
    assertProblems(r);
    assert.equal(fs.existsSync(path.join(dir, 'bad', 'store')), false, 'the store directory was not created');
  });
});

describe('validate on good configs', () => {
  test('a small valid config', () => {
    const good = write(
      'good/cronkeeper.yaml',
      `store: { path: ./store }
jobs:
  one:
    schedule: "*/5 * * * *"
    timezone: Europe/Berlin
    command: ["true"]
  two:
    every: 90s
    http: { url: "http://127.0.0.1:1/hook" }
`,
    );
    const r = cli('validate', '--config', good);
    assert.equal(r.status, 0, show(r));
    assert.equal(r.stdout, `${good}: valid, 2 job(s)\n`);
    assert.equal(fs.existsSync(path.join(dir, 'good', 'store')), false, 'validate opens no store');
    const json = cli('validate', '--config', good, '--json');
    assert.equal(json.status, 0, show(json));
    assert.deepEqual(JSON.parse(json.stdout), {
      valid: true,
      file: good,
      jobs: 2,
      problems: [],
      warnings: [],
    });
  });

  test('jobs --commands: what each job runs, like crontab -l, with no value of its environment', () => {
    const config = write(
      'commands/cronkeeper.yaml',
      `store: { path: ./store }
jobs:
  billing:
    schedule: "30 2 * * *"
    timezone: Europe/Berlin
    cwd: /tmp
    command: ["/usr/bin/billing", "--night", "it's here"]
    env: { DB_PASSWORD: hunter2-secret, MODE: "0644" }
  hook:
    every: 1m
    http:
      url: "https://user:pw-secret@example.com/hook?token=tok-secret"
      method: POST
      headers: { Authorization: "Bearer hdr-secret" }
`,
    );
    const r = cli('jobs', '--commands', '--config', config);
    assert.equal(r.status, 0, show(r));
    assert.ok(
      r.stdout.includes(`30 2 * * * (Europe/Berlin)  /usr/bin/billing --night 'it'\\''s here'\n`),
      r.stdout,
    );
    assert.match(r.stdout, /^# billing \(.*:3\): .*cwd \/tmp; env DB_PASSWORD MODE$/m);
    assert.match(r.stdout, /^every 1m {2}POST https:\/\/user:\*\*\*@example\.com\/hook\?token=\*\*\*$/m);
    assert.match(r.stdout, /headers Authorization$/m);
    assert.doesNotMatch(r.stdout, /secret/);
    assert.equal(fs.existsSync(path.join(dir, 'commands', 'store')), false, 'it reads the config only');
    const one = JSON.parse(
      cli('jobs', '--commands', 'billing', '--json', '--config', config).stdout,
    ) as Array<{
      name: string;
      envKeys: string[];
    }>;
    assert.deepEqual(
      one.map((j) => [j.name, j.envKeys]),
      [['billing', ['DB_PASSWORD', 'MODE']]],
    );
    assert.equal(cli('jobs', '--commands', 'bililng', '--config', config).status, 64);
  });

  test("the repo's example config", () => {
    const r = cli('validate', '--config', path.join(ROOT, 'config/cronkeeper.yaml'));
    assert.equal(r.status, 0, show(r));
  });
});

describe('plan', () => {
  const config = write(
    'plan/cronkeeper.yaml',
    `store: { path: ./store }
jobs:
  nightly:
    schedule: "30 2 * * *"
    timezone: Europe/Berlin
    catchup: all
    catchupWindow: 7d
    command: ["true"]
  minutely:
    schedule: "* * * * *"
    catchup: all
    maxCatchup: 2
    command: ["true"]
  hourly-latest:
    schedule: "15 * * * *"
    catchup: latest
    command: ["true"]
  skipper:
    schedule: "*/5 * * * *"
    catchup: none
    command: ["true"]
  newcomer:
    schedule: "0 3 * * *"
    catchup: all
    command: ["true"]
`,
  );
  const state = write(
    'plan/state.json',
    JSON.stringify({
      nightly: '2026-03-27T01:30:00Z',
      minutely: '2026-03-30T11:50:00Z',
      'hourly-latest': '2026-03-30T07:15:00Z',
      skipper: '2026-03-30T11:00:00Z',
      // newcomer: missing, seen for the first time
    }),
  );
  const now = '2026-03-30T12:00:00Z';
  const expectedRuns = [
    // 02:30 CET
    { job: 'nightly', scheduledAt: '2026-03-28T01:30:00.000Z' },
    // spring forward: 02:30 does not exist on 2026-03-29, the run is at 03:00 CEST
    { job: 'nightly', scheduledAt: '2026-03-29T01:00:00.000Z' },
    // 02:30 CEST
    { job: 'nightly', scheduledAt: '2026-03-30T00:30:00.000Z' },
    // latest: only the newest of 08:15 .. 11:15
    { job: 'hourly-latest', scheduledAt: '2026-03-30T11:15:00.000Z' },
    // all, maxCatchup 2: the newest two of 11:51 .. 12:00, 8 dropped
    { job: 'minutely', scheduledAt: '2026-03-30T11:59:00.000Z' },
    { job: 'minutely', scheduledAt: '2026-03-30T12:00:00.000Z' },
  ];

  test('--json prints exactly the expected plan and opens no store', () => {
    const r = cli('plan', '--config', config, '--state', state, '--now', now, '--json');
    assert.equal(r.status, 0, show(r));
    assert.deepEqual(JSON.parse(r.stdout), {
      now: '2026-03-30T12:00:00.000Z',
      runs: expectedRuns,
      dropped: [{ job: 'minutely', count: 8 }],
      jobs: [
        // latest: 08:15, 09:15, 10:15 left out, 11:15 runs
        {
          job: 'hourly-latest',
          catchup: 'latest',
          firstSeen: false,
          runs: 1,
          dropped: 0,
          skipped: 3,
          expired: 0,
          exact: true,
        },
        {
          job: 'minutely',
          catchup: 'all',
          firstSeen: false,
          runs: 2,
          dropped: 8,
          skipped: 0,
          expired: 0,
          exact: true,
        },
        {
          job: 'newcomer',
          catchup: 'all',
          firstSeen: true,
          runs: 0,
          dropped: 0,
          skipped: 0,
          expired: 0,
          exact: true,
        },
        {
          job: 'nightly',
          catchup: 'all',
          firstSeen: false,
          runs: 3,
          dropped: 0,
          skipped: 0,
          expired: 0,
          exact: true,
        },
        // none: 11:05 .. 12:00, twelve slots, none run
        {
          job: 'skipper',
          catchup: 'none',
          firstSeen: false,
          runs: 0,
          dropped: 0,
          skipped: 12,
          expired: 0,
          exact: true,
        },
      ],
    });
    assert.equal(fs.existsSync(path.join(dir, 'plan', 'store')), false, '--state: the store is not opened');
  });

  test('without --json prints a table naming every run', () => {
    const r = cli('plan', '--config', config, '--state', state, '--now', now);
    assert.equal(r.status, 0, show(r));
    const lines = r.stdout.split('\n');
    for (const run of expectedRuns) {
      assert.ok(
        lines.some((l) => l.includes(run.scheduledAt) && l.includes(run.job)),
        `the table shows ${run.job} at ${run.scheduledAt}:\n${r.stdout}`,
      );
    }
    assert.equal(fs.existsSync(path.join(dir, 'plan', 'store')), false, '--state: the store is not opened');
  });
});

describe('version, help and usage errors', () => {
  test('--version and -v print the version of package.json', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-v']) {
      const r = cli(flag);
      assert.equal(r.status, 0, show(r));
      assert.equal(r.stdout, `${pkg.version}\n`);
    }
  });

  test('--help, and --help of every command, exit 0', () => {
    const top = cli('--help');
    assert.equal(top.status, 0, show(top));
    assert.match(top.stdout, /Usage: cronkeeper <command>/);
    for (const command of ['run', 'validate', 'plan', 'snapshots', 'runs', 'migrate']) {
      const r = cli(command, '--help');
      assert.equal(r.status, 0, `${command} --help: ${show(r)}`);
      assert.match(r.stdout, new RegExp(`Usage: cronkeeper ${command}`), `${command} --help`);
      const h = cli('help', command);
      assert.equal(h.status, 0, `help ${command}: ${show(h)}`);
      assert.equal(h.stdout, r.stdout, `help ${command} prints the same as ${command} --help`);
    }
  });

  test('an unknown command exits 64 with a message on stderr', () => {
    const r = cli('frobnicate');
    assert.equal(r.status, 64, show(r));
    assert.match(r.stderr, /unknown command 'frobnicate'/);
    assert.equal(r.stdout, '');
  });

  test('an unknown option exits 64 with a message on stderr', () => {
    const r = cli('validate', '--frobnicate');
    assert.equal(r.status, 64, show(r));
    assert.match(r.stderr, /--frobnicate/);
    assert.equal(r.stdout, '');
  });

  test('did you mean: a misspelt command, option or job name; an option the command does not take', () => {
    const config = write(
      'mean/cronkeeper.yaml',
      'store: { path: ./store }\njobs:\n  nightly-report:\n    schedule: "0 2 * * *"\n    command: ["true"]\n',
    );
    const cases: Array<[string[], RegExp]> = [
      [['stauts'], /unknown command 'stauts' \(did you mean 'status'\?\)/],
      [['help', 'simulat'], /unknown command 'simulat' \(did you mean 'simulate'\?\)/],
      [['validate', '--confgi', config], /unknown option '--confgi' \(did you mean '--config'\?\)/],
      [['status', '--job', 'nightly-report', '--config', config], /status does not take --job/],
      [
        ['next', 'nightly-reprot', '--config', config],
        /no job named 'nightly-reprot' .*did you mean 'nightly-report'/,
      ],
      [
        [
          'simulate',
          '--job',
          'nosuch',
          '--from',
          '2026-01-01T00:00:00Z',
          '--to',
          '2026-01-02T00:00:00Z',
          '--config',
          config,
        ],
        /no job named 'nosuch'/,
      ],
      [
        [
          'plan',
          '--state',
          write('mean/state.json', '{"nightly-reprot": "2026-01-01T00:00:00Z"}'),
          '--config',
          config,
        ],
        /--state .*no job named 'nightly-reprot'/,
      ],
    ];
    for (const [args, message] of cases) {
      const r = cli(...args);
      assert.equal(r.status, 64, `${args.join(' ')}: ${show(r)}`);
      assert.match(r.stderr, message, args.join(' '));
      assert.equal(r.stdout, '', args.join(' '));
    }
    assert.equal(fs.existsSync(path.join(dir, 'mean', 'store')), false, 'no store opened for a bad name');
    // History commands also know the names the ledger or the audit holds (a job renamed or removed
    // since): they look in the store before calling a name unknown.
    for (const [args, message] of [
      [['runs', '--job', 'nightly', '--config', config], /no job named 'nightly' in /],
      [['audit', '--job', 'nosuch', '--config', config], /no job named 'nosuch' in /],
      [['logs', 'nosuch', '--config', config], /no job named 'nosuch' in /],
    ] as const) {
      const r = cli(...args);
      assert.equal(r.status, 64, `${args.join(' ')}: ${show(r)}`);
      assert.match(r.stderr, message, args.join(' '));
    }
  });

  test('the config is looked for at --config, $CRONKEEPER_CONFIG, ./config/cronkeeper.yaml, /etc/cronkeeper; none: where it looked', () => {
    const empty = path.join(dir, 'lookup-empty');
    fs.mkdirSync(empty, { recursive: true });
    const none = spawnSync(process.execPath, [CLI, 'validate'], {
      cwd: empty,
      env: cliEnv(),
      encoding: 'utf8',
    });
    if (!fs.existsSync('/etc/cronkeeper/cronkeeper.yaml')) {
      assert.equal(none.status, 78, show(none));
      assert.match(none.stderr, /no config file: none given \(--config FILE, or \$CRONKEEPER_CONFIG\)/);
      assert.ok(none.stderr.includes(path.join(empty, 'config/cronkeeper.yaml')), none.stderr);
      assert.ok(none.stderr.includes('/etc/cronkeeper/cronkeeper.yaml'), none.stderr);
    }
    write('lookup/config/cronkeeper.yaml', 'jobs: {}\n');
    const found = spawnSync(process.execPath, [CLI, 'validate'], {
      cwd: path.join(dir, 'lookup'),
      env: cliEnv(),
      encoding: 'utf8',
    });
    assert.equal(found.status, 0, show(found));
    assert.match(found.stdout, /lookup\/config\/cronkeeper\.yaml: valid/);
  });

  test('a config others can write is read by every command, refused only by run', () => {
    const config = write(
      'lax/cronkeeper.yaml',
      'store: { path: ./store }\njobs:\n  tick:\n    every: 1h\n    command: ["true"]\n',
    );
    fs.chmodSync(config, 0o664);
    const validate = cli('validate', '--config', config);
    assert.equal(validate.status, 0, show(validate));
    assert.match(
      validate.stderr,
      /warning: 'cronkeeper run' would refuse it: config file is writable by group/,
    );
    const next = cli('next', 'tick', '-n', '1', '--config', config);
    assert.equal(next.status, 0, show(next));
    const run = cli('run', '--config', config);
    assert.equal(run.status, 78, show(run));
    assert.match(run.stderr + run.stdout, /writable by group/);
  });

  test('calendar: an expression with no config, in its zone and UTC, across a DST change; errors say why', () => {
    const r = cli(
      'calendar',
      '30 2 * * *',
      '--timezone',
      'Europe/Berlin',
      '-n',
      '3',
      '--from',
      '2026-03-27T00:00:00Z',
      '--json',
    );
    assert.equal(r.status, 0, show(r));
    const doc = JSON.parse(r.stdout) as { zone: string; slots: Array<{ utc: string; local: string }> };
    assert.equal(doc.zone, 'Europe/Berlin');
    // 02:30 does not exist on 29 March in Berlin: the slot is the first instant after the gap.
    assert.deepEqual(
      doc.slots.map((s) => [s.utc, s.local]),
      [
        ['2026-03-27T01:30:00.000Z', '2026-03-27 02:30:00 +01:00'],
        ['2026-03-28T01:30:00.000Z', '2026-03-28 02:30:00 +01:00'],
        ['2026-03-29T01:00:00.000Z', '2026-03-29 03:00:00 +02:00'],
      ],
    );
    const every = cli('calendar', 'every 15m', '-n', '2', '--from', '2026-01-01T00:07:00Z');
    assert.equal(every.status, 0, show(every));
    assert.match(every.stdout, /^2026-01-01T00:15:00\.000Z/m);
    assert.match(every.stdout, /^2026-01-01T00:30:00\.000Z/m);
    for (const [expr, message] of [
      ['0 0 31 2 *', /never matches a date/],
      ['61 * * * *', /minute '61' is out of range 0-59/],
      // Numbers as the user wrote them (croner counts months and days from 0 inside).
      ['0 0 1 13 *', /month '13' is out of range 1-12/],
      ['0 0 0 * *', /day of month '0' is out of range 1-31/],
      ['0 0 1-32 * *', /day of month '32' is out of range 1-31 \(in '1-32'\)/],
      ['every 0s', /not a duration of a second or more/],
    ] as const) {
      const bad = cli('calendar', expr);
      assert.equal(bad.status, 64, `${expr}: ${show(bad)}`);
      assert.match(bad.stderr, message);
    }
  });

  test('next without a job: the next slots of every job, merged in time order', () => {
    const config = write(
      'merged/cronkeeper.yaml',
      'jobs:\n  hourly:\n    schedule: "0 * * * *"\n    command: ["true"]\n  quarter:\n    every: 15m\n    command: ["true"]\n',
    );
    const r = cli('next', '-n', '6', '--from', '2026-01-01T00:50:00Z', '--json', '--config', config);
    assert.equal(r.status, 0, show(r));
    const doc = JSON.parse(r.stdout) as { slots: Array<{ job: string; utc: string }> };
    assert.deepEqual(
      doc.slots.map((s) => `${s.utc.slice(11, 16)} ${s.job}`),
      ['01:00 hourly', '01:00 quarter', '01:15 quarter', '01:30 quarter', '01:45 quarter', '02:00 hourly'],
    );
  });

  test('snapshots show without an ID exits 64 and opens no store', () => {
    const config = write('usage/cronkeeper.yaml', 'store: { path: ./store }\n');
    const r = cli('snapshots', 'show', '--config', config);
    assert.equal(r.status, 64, show(r));
    assert.match(r.stderr, /ID/);
    assert.equal(fs.existsSync(path.join(dir, 'usage', 'store')), false, 'a usage error opens no store');
  });

  test('plan --now with an impossible date exits 64 instead of rolling over', () => {
    const config = write('usage/cronkeeper.yaml', 'store: { path: ./store }\n');
    const state = write('usage/state.json', '{}');
    // 2026-02-31 does not exist; it must not be read as 2026-03-03.
    const r = cli('plan', '--config', config, '--state', state, '--now', '2026-02-31T00:00:00Z', '--json');
    assert.equal(r.status, 64, show(r));
    assert.match(r.stderr, /--now/);
  });
});

interface RunJson {
  id: number;
  job: string;
  scheduledAt: string;
  catchup: boolean;
  startedAt: string | null;
  outcome: string | null;
}

interface SnapshotMetaJson {
  id: number;
  formatVersion: number;
  highWater: number;
  jobCount: number;
}

describe('runs and snapshots on a store a daemon populated', () => {
  const storeDir = path.join(dir, 'store-cmds', 'store');
  const out = path.join(dir, 'store-cmds', 'out.txt');
  const config = write(
    'store-cmds/cronkeeper.yaml',
    `store: { path: "${storeDir}" }
snapshot: { interval: 1s, maxUpdates: 1, keep: 10 }
shutdownGrace: 10s
jobs:
  tick:
    schedule: "* * * * * *"
    catchup: all
    catchupWindow: 1h
    maxCatchup: 1000
    # Every slot must run for the check below: a slot due while a late run still runs waits for it.
    overlap: queue
    command: ${JSON.stringify(recordingCommand(out))}
`,
  );
  const json = <T>(r: SpawnSyncReturns<string>): T => {
    assert.equal(r.status, 0, show(r));
    return JSON.parse(r.stdout) as T;
  };

  test('runs, snapshots list/show/compact/clear, and a restart from the ledger alone', async () => {
    const first = startDaemon(config);
    try {
      await first.waitForLog((l) => l.msg === 'ready: scheduling', 60_000);
      await waitFor(() => readOutput(out).length >= 2, 30_000, 'two runs');
      first.proc.kill('SIGTERM');
      assert.equal(await first.exited, 0, `graceful stop; stderr: ${first.stderr()}`);
    } finally {
      first.proc.kill('SIGKILL');
    }
    const ran = readOutput(out);

    // runs: every run the job saw, with outcome success under its own run id.
    const runs = json<RunJson[]>(cli('runs', '--config', config, '--json'));
    assert.ok(runs.length >= 2, `runs: ${JSON.stringify(runs)}`);
    const byTime = new Map(runs.map((r) => [r.scheduledAt, r]));
    for (const o of ran) {
      const row = byTime.get(o.scheduledAt);
      assert.ok(row, `the ledger lists the run of ${o.scheduledAt}: ${JSON.stringify(runs)}`);
      assert.equal(row.job, 'tick');
      assert.equal(row.id, o.runId);
      assert.equal(row.outcome, 'success', `outcome of ${o.scheduledAt}: ${JSON.stringify(row)}`);
    }
    // A slot whose claim was in flight at the SIGTERM may stay claimed and
    // unstarted (owed to the next start), but nothing else is without its run.
    const ranTimes = new Set(ran.map((o) => o.scheduledAt));
    const others = runs.filter((r) => !ranTimes.has(r.scheduledAt));
    for (const r of others)
      assert.ok(r.outcome === null && r.startedAt === null, `a ledger row with no run: ${JSON.stringify(r)}`);
    assert.ok(others.length <= 1, `at most the claim in flight at the stop: ${JSON.stringify(others)}`);
    const newest = runs
      .map((r) => r.scheduledAt)
      .sort()
      .at(-1)!;

    // snapshots list / show
    const list = json<SnapshotMetaJson[]>(cli('snapshots', 'list', '--config', config, '--json'));
    // maxUpdates: 1 writes one per claim, and one more at the stop: compact has something to remove.
    assert.ok(list.length >= 2, `snapshots: ${JSON.stringify(list)}`);
    for (let i = 1; i < list.length; i++) assert.ok(list[i - 1]!.id > list[i]!.id, 'newest first');
    assert.equal(list[0]!.formatVersion, snapshotCodec.writeVersion, 'written in the newest format');
    const shown = json<{ id: number; format: number; jobs: Record<string, string | null> }>(
      cli('snapshots', 'show', String(list[0]!.id), '--config', config, '--json'),
    );
    assert.equal(shown.id, list[0]!.id);
    assert.equal(shown.format, snapshotCodec.writeVersion);
    assert.deepEqual(shown.jobs, { tick: newest }, 'the newest snapshot covers the newest claimed slot');
    const missing = cli('snapshots', 'show', '999999', '--config', config, '--json');
    assert.equal(missing.status, 1, show(missing));

    // compact --keep 1
    const compacted = json<{ removed: number; keep: number }>(
      cli('snapshots', 'compact', '--keep', '1', '--config', config, '--json'),
    );
    assert.deepEqual(compacted, { removed: list.length - 1, keep: 1 });
    const afterCompact = json<SnapshotMetaJson[]>(cli('snapshots', 'list', '--config', config, '--json'));
    assert.equal(afterCompact.length, 1);
    assert.equal(afterCompact[0]!.id, list[0]!.id, 'compact keeps the newest');

    // clear
    assert.deepEqual(json(cli('snapshots', 'clear', '--config', config, '--json')), { removed: 1 });
    assert.deepEqual(json(cli('snapshots', 'list', '--config', config, '--json')), []);

    // A restart with no snapshot restores from the ledger and runs no slot twice.
    const second = startDaemon(config);
    try {
      const restored = await second.waitForLog(
        (l) => l.msg === 'restored from the run ledger alone (no usable snapshot)',
        60_000,
      );
      assert.equal(restored.snapshotId, null);
      await second.waitForLog((l) => l.msg === 'ready: scheduling', 60_000);
      const before = readOutput(out).length;
      await waitFor(() => readOutput(out).length >= before + 2, 30_000, 'two runs after the restart');
      second.proc.kill('SIGTERM');
      assert.equal(await second.exited, 0, `graceful stop; stderr: ${second.stderr()}`);
    } finally {
      second.proc.kill('SIGKILL');
    }
    const times = readOutput(out)
      .map((o) => o.scheduledAt)
      .sort();
    assert.equal(new Set(times).size, times.length, `a slot ran twice: ${times.join(', ')}`);
    // catchup: all — the slots missed while the daemon was down ran as catch-up.
    for (let i = 1; i < times.length; i++)
      assert.equal(
        Date.parse(times[i]!) - Date.parse(times[i - 1]!),
        1000,
        `slots missing between ${times[i - 1]} and ${times[i]}`,
      );
    const rerun = json<RunJson[]>(cli('runs', '--config', config, '--json', '--limit', '1000'));
    assert.equal(
      new Set(rerun.map((r) => r.scheduledAt)).size,
      rerun.length,
      'the ledger holds each slot once',
    );
  });
});
