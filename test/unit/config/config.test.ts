import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../../src/config/load-config.js';
import { type Config, ConfigError, formatProblem } from '../../../src/config/types.js';

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const EXAMPLE = fileURLToPath(new URL('../../../config/cronkeeper.yaml', import.meta.url));

const tempDirs: string[] = [];
after(() => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** A fresh directory holding the given files (name → text); returns its path. */
function tempDir(files: Record<string, string> = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cronkeeper-config-'));
  tempDirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

function load(file: string, env: NodeJS.ProcessEnv = {}): Promise<Config> {
  return loadConfig(file, { nowMs: NOW, env });
}

/** Loads a one-file config that must fail; returns its problems formatted, file names relative to the dir. */
async function problemsOf(text: string, file = 'cronkeeper.yaml'): Promise<string[]> {
  const dir = tempDir({ [file]: text });
  return problemsIn(dir, file);
}

async function problemsIn(dir: string, file = 'cronkeeper.yaml'): Promise<string[]> {
  try {
    await load(path.join(dir, file));
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    assert.equal(err.message, err.problems.map(formatProblem).join('\n'));
    return err.problems.map((p) => formatProblem({ ...p, file: path.relative(dir, p.file) || p.file }));
  }
  assert.fail('expected loadConfig to throw a ConfigError');
}

/** A valid job body, indented for a job under `jobs:`. */
const JOB = '    every: 10s\n    command: [/bin/true]\n';

describe('loadConfig: valid configs', () => {
  it('applies the built-in defaults to a minimal config', async () => {
    const dir = tempDir({ 'cronkeeper.yaml': 'jobs:\n  a:\n' + JOB });
    const config = await load(path.join(dir, 'cronkeeper.yaml'));
    assert.deepEqual(config, {
      file: path.join(dir, 'cronkeeper.yaml'),
      store: {
        url: undefined,
        path: path.join(dir, 'var', 'cronkeeper'),
        requireSynchronousReplication: false,
      },
      spool: { path: path.join(dir, 'var', 'runs') },
      snapshot: { intervalMs: 30_000, maxUpdates: 100, keep: 10 },
      ledger: { retentionMs: 30 * 86_400_000 },
      http: { listen: '127.0.0.1:9464', token: undefined, allowedHosts: [] },
      ha: { nodeId: undefined, leaseMs: 3_000, pollMs: 100, hostWaitMs: 300_000 },
      catchupConcurrency: 4,
      concurrency: { max: undefined, perJob: undefined },
      shutdownGraceMs: 30_000,
      jobs: [
        {
          name: 'a',
          source: { file: path.join(dir, 'cronkeeper.yaml'), line: 2, column: 3 },
          schedule: { kind: 'every', everyMs: 10_000, offsetMs: 0 },
          action: { kind: 'command', argv: ['/bin/true'], env: {}, cwd: undefined },
          catchup: 'latest',
          catchupWindowMs: 86_400_000,
          maxCatchup: 100,
          overlap: 'skip',
          timeoutMs: 3_600_000,
          killGraceMs: 10_000,
          onInterrupted: 'skip',
          onResume: 'skip',
          onScheduleChange: 'keep',
          formerNames: [],
          backfillFromMs: undefined,
          retries: { max: 0, backoffMs: 10_000, maxBackoffMs: 300_000 },
          jitterMs: 0,
          onFailure: undefined,
          onSuccess: undefined,
          outputKeepBytes: 16_384,
          logOutput: 'lines',
          logLineRate: 100,
          keepChildren: false,
        },
      ],
    });
    assert.deepEqual(
      (await load(path.join(dir, 'cronkeeper.yaml'), { STATE_DIRECTORY: '/var/lib/ck' })).spool,
      {
        path: '/var/lib/ck/runs',
      },
    );
  });

  it('accepts an empty jobs map and empty sections', async () => {
    for (const text of ['jobs:\n', 'jobs: {}\nha:\n', '# nothing yet\njobs: {}\n']) {
      const dir = tempDir({ 'c.yaml': text });
      const config = await load(path.join(dir, 'c.yaml'));
      assert.deepEqual(config.jobs, []);
      assert.equal(config.ha.nodeId, undefined);
    }
  });

  it('reads every setting and converts durations', async () => {
    const dir = tempDir({
      'etc/c.yaml': [
        'store: { url: postgres://u@db/ck, path: state, requireSynchronousReplication: true }',
        'spool: { path: ../spool }',
        'snapshot: { interval: 1m, maxUpdates: 5, keep: 3 }',
        'ledger: { retention: 7d }',
        "http: { listen: '[::1]:0' }",
        'ha: { nodeId: node-a, lease: 5s, poll: 250ms, hostWait: 90s }',
        'catchupConcurrency: 2',
        'concurrency: { max: 4, perJob: 1 }',
        'shutdownGrace: 1m30s',
        '',
      ].join('\n'),
    });
    const config = await load(path.join(dir, 'etc/c.yaml'));
    assert.deepEqual(config.store, {
      url: 'postgres://u@db/ck',
      path: path.join(dir, 'etc', 'state'),
      requireSynchronousReplication: true,
    });
    assert.deepEqual(config.spool, { path: path.join(dir, 'spool') });
    // Under systemd, StateDirectory= is where runs leave their traces by default.
    const underSystemd = await load(path.join(dir, 'etc/c.yaml'), {
      STATE_DIRECTORY: '/var/lib/ck:/var/lib/other',
    });
    assert.deepEqual(underSystemd.spool, { path: path.join(dir, 'spool') }, 'an explicit path wins');
    assert.deepEqual(config.snapshot, { intervalMs: 60_000, maxUpdates: 5, keep: 3 });
    assert.deepEqual(config.ledger, { retentionMs: 7 * 86_400_000 });
    assert.deepEqual(config.http, { listen: '[::1]:0', token: undefined, allowedHosts: [] });
    assert.deepEqual(config.ha, { nodeId: 'node-a', leaseMs: 5_000, pollMs: 250, hostWaitMs: 90_000 });
    assert.equal(config.catchupConcurrency, 2);
    assert.deepEqual(config.concurrency, { max: 4, perJob: 1 });
    assert.equal(config.shutdownGraceMs, 90_000);
  });

  it('reads concurrency limits one at a time (a missing one is no limit)', async () => {
    const cases: [string, Config['concurrency']][] = [
      ['concurrency: { max: 2 }\n', { max: 2, perJob: undefined }],
      ['concurrency: { perJob: 1 }\n', { max: undefined, perJob: 1 }],
      ['concurrency:\n', { max: undefined, perJob: undefined }],
    ];
    for (const [text, expected] of cases) {
      const dir = tempDir({ 'c.yaml': text });
      assert.deepEqual((await load(path.join(dir, 'c.yaml'))).concurrency, expected, text);
    }
  });

  it('parses run policies: retries, jitter, hooks and outputKeep, from the job, else defaults, else built in', async () => {
    const dir = tempDir({
      'etc/c.yaml': `include: jobs.d/*.yaml
defaults:
  retries: { max: 3, backoff: 20s }
  jitter: 30s
  outputKeep: 4KiB
  onFailure: { command: ["/usr/local/bin/alert", "--job"], env: { CHANNEL: ops, LEVEL: 2 }, cwd: alerts, timeout: 1m }
jobs:
  from-defaults:
${JOB}  own:
${JOB}    retries: { max: 2 }
    jitter: 0
    outputKeep: 0
    onFailure: { http: { url: "https://alerts.example/hook" } }
    onSuccess: { http: { url: "http://127.0.0.1:8080/ok", method: put, headers: { X-Job: own } }, timeout: 30s }
  all-retries:
${JOB}    retries: { max: 0, backoff: 1s, maxBackoff: 2s }
    jitter: 0s
`,
      'etc/jobs.d/more.yaml': `jobs:
  included:
${JOB}    retries: { maxBackoff: 1h }
    onSuccess: { command: [notify], cwd: here }
`,
    });
    const jobs = new Map((await load(path.join(dir, 'etc/c.yaml'))).jobs.map((j) => [j.name, j]));
    const policies = (name: string) => {
      const j = jobs.get(name);
      return {
        retries: j?.retries,
        jitterMs: j?.jitterMs,
        onFailure: j?.onFailure,
        onSuccess: j?.onSuccess,
        outputKeepBytes: j?.outputKeepBytes,
      };
    };
    const defaultHook = {
      action: {
        kind: 'command',
        argv: ['/usr/local/bin/alert', '--job'],
        env: { CHANNEL: 'ops', LEVEL: '2' },
        // Relative to the main file, which defines the default.
        cwd: path.join(dir, 'etc', 'alerts'),
      },
      timeoutMs: 60_000,
    };
    assert.deepEqual(policies('from-defaults'), {
      retries: { max: 3, backoffMs: 20_000, maxBackoffMs: 300_000 },
      jitterMs: 30_000,
      onFailure: defaultHook,
      onSuccess: undefined,
      outputKeepBytes: 4_096,
    });
    assert.deepEqual(policies('own'), {
      // A partial map: the rest from defaults.retries, then the built-ins.
      retries: { max: 2, backoffMs: 20_000, maxBackoffMs: 300_000 },
      jitterMs: 0,
      onFailure: {
        action: { kind: 'http', url: 'https://alerts.example/hook', method: 'POST', headers: {} },
        timeoutMs: 300_000,
      },
      onSuccess: {
        action: { kind: 'http', url: 'http://127.0.0.1:8080/ok', method: 'PUT', headers: { 'X-Job': 'own' } },
        timeoutMs: 30_000,
      },
      outputKeepBytes: 0,
    });
    assert.deepEqual(policies('all-retries'), {
      retries: { max: 0, backoffMs: 1_000, maxBackoffMs: 2_000 },
      jitterMs: 0,
      onFailure: defaultHook,
      onSuccess: undefined,
      outputKeepBytes: 4_096,
    });
    assert.deepEqual(policies('included'), {
      retries: { max: 3, backoffMs: 20_000, maxBackoffMs: 3_600_000 },
      jitterMs: 30_000,
      onFailure: defaultHook,
      // A job's hook cwd is relative to the file defining the job.
      onSuccess: {
        action: { kind: 'command', argv: ['notify'], env: {}, cwd: path.join(dir, 'etc', 'jobs.d', 'here') },
        timeoutMs: 300_000,
      },
      outputKeepBytes: 4_096,
    });
  });

  it('reads outputKeep in bytes and in every unit', async () => {
    const cases: [string, number][] = [
      ['0', 0],
      ['16384', 16_384],
      ["'100'", 100],
      ['512B', 512],
      ['16KB', 16_000],
      ['16KiB', 16_384],
      ['1.5KiB', 1_536],
      ['1.1KB', 1_100],
      ['"8 KiB"', 8_192],
      ['1MB', 1_000_000],
      ['0.5MiB', 524_288],
      ['1MiB', 1_048_576],
      ['1024KiB', 1_048_576],
      ['0B', 0],
    ];
    for (const [text, bytes] of cases) {
      const dir = tempDir({ 'c.yaml': `jobs:\n  a:\n${JOB}    outputKeep: ${text}\n` });
      assert.equal((await load(path.join(dir, 'c.yaml'))).jobs[0]?.outputKeepBytes, bytes, text);
    }
  });

  it('parses a full cron job: zone, policies, backfillFrom, cwd, env', async () => {
    const dir = tempDir({
      'conf/cronkeeper.yaml': `jobs:
  nightly-report:
    schedule: "30 2 * * *"
    timezone: Europe/Berlin
    catchup: all
    catchupWindow: 7d
    maxCatchup: 30
    overlap: queue
    timeout: 2h
    killGrace: 5s
    onInterrupted: rerun
    backfillFrom: "2026-01-01T01:00:00+01:00"
    command: ["/usr/local/bin/report", "--since", "yesterday"]
    cwd: ../srv
    env: { REPORT_DIR: /srv/reports, DAYS: 7, VERBOSE: true }
`,
    });
    const file = path.join(dir, 'conf', 'cronkeeper.yaml');
    const [job] = (await load(file)).jobs;
    assert.deepEqual(job, {
      name: 'nightly-report',
      source: { file, line: 2, column: 3 },
      schedule: { kind: 'cron', pattern: '30 2 * * *', timezone: 'Europe/Berlin' },
      action: {
        kind: 'command',
        argv: ['/usr/local/bin/report', '--since', 'yesterday'],
        env: { REPORT_DIR: '/srv/reports', DAYS: '7', VERBOSE: 'true' },
        cwd: path.join(dir, 'srv'),
      },
      catchup: 'all',
      catchupWindowMs: 7 * 86_400_000,
      maxCatchup: 30,
      overlap: 'queue',
      timeoutMs: 7_200_000,
      killGraceMs: 5_000,
      onInterrupted: 'rerun',
      onResume: 'skip',
      onScheduleChange: 'keep',
      formerNames: [],
      backfillFromMs: Date.UTC(2026, 0, 1, 0, 0, 0),
      retries: { max: 0, backoffMs: 10_000, maxBackoffMs: 300_000 },
      jitterMs: 0,
      onFailure: undefined,
      onSuccess: undefined,
      outputKeepBytes: 16_384,
      logOutput: 'lines',
      logLineRate: 100,
      keepChildren: false,
    });
  });

  it('parses backfillFrom with Z, fractions and negative offsets', async () => {
    const cases: [string, number][] = [
      ['2026-01-01T00:00:00Z', Date.UTC(2026, 0, 1)],
      ['2026-03-01T12:30:15.250Z', Date.UTC(2026, 2, 1, 12, 30, 15, 250)],
      ['2025-12-31T19:00:00-05:00', Date.UTC(2026, 0, 1)],
      ['2024-02-29T00:00Z', Date.UTC(2024, 1, 29)],
    ];
    for (const [text, ms] of cases) {
      const dir = tempDir({ 'c.yaml': `jobs:\n  a:\n${JOB}    backfillFrom: '${text}'\n` });
      assert.equal((await load(path.join(dir, 'c.yaml'))).jobs[0]?.backfillFromMs, ms, text);
    }
  });

  it('parses every/offset jobs and HTTP jobs', async () => {
    const dir = tempDir({
      'c.yaml': `jobs:
  heartbeat:
    every: 90s
    offset: 15s
    http: { url: "http://127.0.0.1:8080/hook", method: put, headers: { X-Token: abc, X-Num: 5 } }
  plain-hook:
    every: 1h
    http: { url: "https://example.com/" }
`,
    });
    const [heartbeat, hook] = (await load(path.join(dir, 'c.yaml'))).jobs;
    assert.deepEqual(heartbeat?.schedule, { kind: 'every', everyMs: 90_000, offsetMs: 15_000 });
    assert.deepEqual(heartbeat?.action, {
      kind: 'http',
      url: 'http://127.0.0.1:8080/hook',
      method: 'PUT',
      headers: { 'X-Token': 'abc', 'X-Num': '5' },
    });
    assert.deepEqual(hook?.schedule, { kind: 'every', everyMs: 3_600_000, offsetMs: 0 });
    assert.deepEqual(hook?.action, {
      kind: 'http',
      url: 'https://example.com/',
      method: 'POST',
      headers: {},
    });
  });

  it('takes job policies from the job, else from defaults, else built in', async () => {
    const dir = tempDir({
      'c.yaml': `defaults: { catchup: all, catchupWindow: 2d, maxCatchup: 0, overlap: allow }
jobs:
  from-defaults:
${JOB}  own:
${JOB}    catchup: none
    catchupWindow: 1h
    maxCatchup: 3
    overlap: replace
    timeout: 5m
    killGrace: 1s
`,
    });
    const [fromDefaults, own] = (await load(path.join(dir, 'c.yaml'))).jobs;
    const policies = (j: Config['jobs'][number] | undefined) => ({
      catchup: j?.catchup,
      catchupWindowMs: j?.catchupWindowMs,
      maxCatchup: j?.maxCatchup,
      overlap: j?.overlap,
      timeoutMs: j?.timeoutMs,
      killGraceMs: j?.killGraceMs,
    });
    assert.deepEqual(policies(fromDefaults), {
      catchup: 'all',
      catchupWindowMs: 2 * 86_400_000,
      maxCatchup: 0,
      overlap: 'allow',
      timeoutMs: 3_600_000,
      killGraceMs: 10_000,
    });
    assert.deepEqual(policies(own), {
      catchup: 'none',
      catchupWindowMs: 3_600_000,
      maxCatchup: 3,
      overlap: 'replace',
      timeoutMs: 300_000,
      killGraceMs: 1_000,
    });
  });

  it('accepts 6-field patterns and croner aliases, trimming the pattern', async () => {
    const ok = tempDir({
      'c.yaml': `jobs:
  seconds: { schedule: ' */30 * * * * * ', command: [x] }
  daily: { schedule: '@daily', timezone: America/New_York, command: [x] }
`,
    });
    const jobs = (await load(path.join(ok, 'c.yaml'))).jobs;
    assert.deepEqual(
      jobs.map((j) => j.schedule),
      [
        { kind: 'cron', pattern: '@daily', timezone: 'America/New_York' },
        { kind: 'cron', pattern: '*/30 * * * * *', timezone: 'UTC' },
      ],
    );
  });

  it('sorts jobs by name', async () => {
    const dir = tempDir({
      'c.yaml': `jobs:\n  zeta:\n${JOB}  Alpha:\n${JOB}  beta:\n${JOB}  alpha:\n${JOB}`,
    });
    const names = (await load(path.join(dir, 'c.yaml'))).jobs.map((j) => j.name);
    assert.deepEqual(names, ['Alpha', 'alpha', 'beta', 'zeta']);
  });

  it('takes the store URL from the file, else CRONKEEPER_DATABASE_URL, else DATABASE_URL', async () => {
    const withUrl = tempDir({ 'c.yaml': 'store: { url: postgres://file/db }\n' });
    const without = tempDir({ 'c.yaml': 'store: { path: /var/lib/ck }\n' });
    const both = { CRONKEEPER_DATABASE_URL: 'postgres://ck/db', DATABASE_URL: 'postgres://generic/db' };
    const url = async (dir: string, env: NodeJS.ProcessEnv) =>
      (await load(path.join(dir, 'c.yaml'), env)).store;

    assert.deepEqual(await url(withUrl, both), {
      url: 'postgres://file/db',
      path: path.join(withUrl, 'var/cronkeeper'),
      requireSynchronousReplication: false,
    });
    assert.equal((await url(without, both)).url, 'postgres://ck/db');
    assert.equal(
      (await url(without, { DATABASE_URL: 'postgres://generic/db' })).url,
      'postgres://generic/db',
    );
    assert.equal(
      (await url(without, { CRONKEEPER_DATABASE_URL: '', DATABASE_URL: 'postgres://g/db' })).url,
      'postgres://g/db',
    );
    assert.deepEqual(await url(without, {}), {
      url: undefined,
      path: '/var/lib/ck',
      requireSynchronousReplication: false,
    });
  });

  it('reads JSON', async () => {
    const json = JSON.stringify(
      {
        snapshot: { interval: '10s' },
        jobs: { 'json-job': { schedule: '0 */6 * * *', command: ['echo', 'hi'], env: { N: 1 } } },
      },
      null,
      '\t',
    );
    const dir = tempDir({ 'c.json': json });
    const config = await load(path.join(dir, 'c.json'));
    assert.equal(config.snapshot.intervalMs, 10_000);
    assert.equal(config.jobs[0]?.name, 'json-job');
    assert.deepEqual(config.jobs[0]?.schedule, { kind: 'cron', pattern: '0 */6 * * *', timezone: 'UTC' });
    assert.deepEqual(config.jobs[0]?.source, { file: path.join(dir, 'c.json'), line: 6, column: 3 });
  });

  it('loads the example config/cronkeeper.yaml cleanly', async () => {
    // Checked for validity, not file modes: a clone under umask 002 is group-writable.
    const config = await loadConfig(EXAMPLE, { nowMs: NOW, env: {}, insecure: true });
    const repo = path.dirname(path.dirname(EXAMPLE));
    assert.equal(config.store.path, path.join(repo, 'var', 'cronkeeper'));
    assert.equal(config.store.url, undefined);
    assert.deepEqual(
      config.jobs.map((j) => j.name),
      ['disk-report', 'heartbeat', 'nightly-report', 'quarter-hourly'],
    );
    const nightly = config.jobs.find((j) => j.name === 'nightly-report');
    assert.deepEqual(nightly?.schedule, { kind: 'cron', pattern: '30 2 * * *', timezone: 'Europe/Berlin' });
    assert.equal(nightly?.catchup, 'all');
    assert.equal(nightly?.catchupWindowMs, 7 * 86_400_000);
    assert.equal(nightly?.maxCatchup, 7);
    const heartbeat = config.jobs.find((j) => j.name === 'heartbeat');
    assert.deepEqual(heartbeat?.schedule, { kind: 'every', everyMs: 10_000, offsetMs: 0 });
    const included = config.jobs.find((j) => j.name === 'quarter-hourly');
    assert.equal(included?.source.file, path.join(repo, 'config', 'jobs.d', 'example.yaml'));
    assert.equal(included?.catchup, 'none');
  });
});

describe('loadConfig: shared parts', () => {
  it('jobs calling the same endpoint share one frozen action; each reading has its own', async () => {
    const hook = '    http: { url: "http://127.0.0.1:8080/run" }\n    every: 10s\n';
    const dir = tempDir({
      'cronkeeper.yaml': `jobs:\n  a:\n${hook}  b:\n${hook}  c:\n    every: 10s\n    http: { url: "http://127.0.0.1:8080/other" }\n`,
    });
    const first = await load(path.join(dir, 'cronkeeper.yaml'));
    const [a, b, c] = first.jobs;
    assert.equal(a!.action, b!.action);
    assert.notEqual(a!.action, c!.action);
    assert.ok(Object.isFrozen(a!.action));
    const again = await load(path.join(dir, 'cronkeeper.yaml'));
    assert.notEqual(again.jobs[0]!.action, a!.action, 'a reading keeps no action of an earlier one alive');
    assert.deepEqual(again.jobs[0]!.action, a!.action);
  });
});

describe('loadConfig: text stays the text written', () => {
  // The same config in block YAML, flow YAML, and with an anchor.
  const block = [
    'jobs:',
    '  1e3:',
    '    every: 1m',
    '    maxCatchup: 0x10',
    '    keepChildren: True',
    '    command: [/bin/chmod, 0644, 007]',
    '    env:',
    '      MODE: 0644',
    '      OCT: 007',
    '      HEX: 0x10',
    '      BIG: 12345678901234567890',
    '      FLOAT: 1.50',
    '      EXP: 1e3',
    '      NUM: 5',
    '      YES: true',
    '      TITLE: True',
    '      QUOTED: "0644"',
    '',
  ].join('\n');
  const flow =
    "{ jobs: { 1e3: { every: 1m, maxCatchup: 0x10, keepChildren: True, command: [/bin/chmod, 0644, 007], env: { MODE: 0644, OCT: 007, HEX: 0x10, BIG: 12345678901234567890, FLOAT: 1.50, EXP: 1e3, NUM: 5, YES: true, TITLE: True, QUOTED: '0644' } } } }\n";
  const anchored = block.replace('  1e3:\n', '  1e3: &job\n');
  for (const [shape, text] of [
    ['block YAML', block],
    ['flow YAML', flow],
    ['an anchor', anchored],
  ] as const) {
    it(`env values, job names and arguments keep what was written; number and boolean fields read YAML numbers (${shape})`, async () => {
      const dir = tempDir({ 'c.yaml': text });
      const config = await load(path.join(dir, 'c.yaml'));
      const job = config.jobs[0]!;
      assert.equal(job.name, '1e3');
      assert.equal(job.maxCatchup, 16);
      assert.equal(job.keepChildren, true);
      const action = job.action as { argv: string[]; env: Record<string, string> };
      assert.deepEqual(action.argv, ['/bin/chmod', '0644', '007']);
      assert.deepEqual(
        {
          MODE: action.env.MODE,
          OCT: action.env.OCT,
          HEX: action.env.HEX,
          BIG: action.env.BIG,
          FLOAT: action.env.FLOAT,
          EXP: action.env.EXP,
          NUM: action.env.NUM,
          YES: action.env.YES,
          TITLE: action.env.TITLE,
          QUOTED: action.env.QUOTED,
        },
        {
          MODE: '0644',
          OCT: '007',
          HEX: '0x10',
          BIG: '12345678901234567890',
          FLOAT: '1.50',
          EXP: '1e3',
          NUM: '5',
          YES: 'true',
          TITLE: 'True',
          QUOTED: '0644',
        },
      );
    });
  }
});

describe('loadConfig: aliases and nesting are bounded', () => {
  it('a job map shared by 4,000 aliases is read once per alias, each job its own copy', async () => {
    const lines = ['jobs:', '  j0: &job', '    every: 1m', '    command: ["true"]', '    env: { A: "1" }'];
    for (let i = 1; i < 4_000; i++) lines.push(`  j${i}: *job`);
    const dir = tempDir({ 'c.yaml': lines.join('\n') + '\n' });
    const config = await load(path.join(dir, 'c.yaml'));
    assert.equal(config.jobs.length, 4_000);
    const env = (j: number) => (config.jobs[j]!.action as { env: Record<string, string> }).env;
    assert.notEqual(env(0), env(1), 'no value is shared between two jobs');
  });

  it('an alias bomb is a config error at the alias that passes the budget', async () => {
    const lines = ['jobs: {}', 'x0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
    for (let i = 1; i < 9; i++)
      lines.push(
        `x${i}: &a${i} [${Array(10)
          .fill(`*a${i - 1}`)
          .join(', ')}]`,
      );
    const dir = tempDir({ 'c.yaml': lines.join('\n') + '\n' });
    const problems = await load(path.join(dir, 'c.yaml')).then(
      () => [],
      (e: ConfigError) => e.problems,
    );
    assert.equal(problems.length, 1, JSON.stringify(problems));
    assert.match(problems[0]!.message, /aliases expand the document past 2000000 values/);
    assert.equal(problems[0]!.line, 8);
  });

  it('nesting deeper than 64 levels is a config error where it passes the bound', async () => {
    const dir = tempDir({ 'c.yaml': `jobs: {}\nx: ${'['.repeat(100)}${']'.repeat(100)}\n` });
    const problems = await load(path.join(dir, 'c.yaml')).then(
      () => [],
      (e: ConfigError) => e.problems,
    );
    assert.equal(problems.length, 1, JSON.stringify(problems));
    assert.match(problems[0]!.message, /nested more than 64 levels deep/);
    assert.deepEqual([problems[0]!.line, problems[0]!.column], [2, 3 + 65]);
  });
});

describe('loadConfig: includes', () => {
  it('YAML and JSON job files both, in one include list (block, flow, pretty JSON)', async () => {
    const dir = tempDir({
      'c.yaml':
        'include: ["jobs.d/*.yaml", "jobs.d/*.json"]\njobs:\n  main:\n    every: 1m\n    command: ["true"]\n',
      'jobs.d/a.yaml': 'jobs:\n  from-yaml:\n    schedule: "0 3 * * *"\n    command: ["true"]\n',
      'jobs.d/b.json': JSON.stringify(
        { jobs: { 'from-json': { every: '5m', command: ['/bin/echo', '0644'], env: { MODE: '0644' } } } },
        null,
        2,
      ),
      'jobs.d/c.json': '{"jobs":{"one-line-json":{"every":"1h","command":["true"]}}}',
    });
    const config = await load(path.join(dir, 'c.yaml'));
    assert.deepEqual(
      config.jobs.map((j) => [j.name, path.basename(j.source.file)]),
      [
        ['from-json', 'b.json'],
        ['from-yaml', 'a.yaml'],
        ['main', 'c.yaml'],
        ['one-line-json', 'c.json'],
      ],
    );
    assert.deepEqual((config.jobs[0]!.action as { argv: string[] }).argv, ['/bin/echo', '0644']);
  });

  it('includes matching files sorted by name, relative to the including file', async () => {
    const dir = tempDir({
      'etc/c.yaml': `include: [jobs.d/*.yaml, ../extra/one.yml, none.d/*.yaml, jobs.d/n?match*]\njobs:\n  main:\n${JOB}`,
      'etc/jobs.d/b.yaml': `jobs:\n  from-b:\n${JOB}`,
      'etc/jobs.d/a.yaml': `jobs:\n  from-a:\n${JOB}    cwd: data\n`,
      'etc/jobs.d/c.yaml': 'jobs:\n',
      'etc/jobs.d/.hidden.yaml': `jobs:\n  hidden:\n${JOB}`,
      'etc/jobs.d/notes.txt': 'not yaml: [',
      'etc/jobs.d/dir.yaml/x': '',
      'extra/one.yml': `jobs:\n  extra:\n${JOB}`,
    });
    const config = await load(path.join(dir, 'etc/c.yaml'));
    assert.deepEqual(
      config.jobs.map((j) => [j.name, path.relative(dir, j.source.file)]),
      [
        ['extra', 'extra/one.yml'],
        ['from-a', 'etc/jobs.d/a.yaml'],
        ['from-b', 'etc/jobs.d/b.yaml'],
        ['main', 'etc/c.yaml'],
      ],
    );
    // A job's cwd is relative to the file that defines it.
    const fromA = config.jobs.find((j) => j.name === 'from-a');
    assert.equal(fromA?.action.kind === 'command' ? fromA.action.cwd : '', path.join(dir, 'etc/jobs.d/data'));
  });

  it('reads included files in name order (first definition wins a duplicate)', async () => {
    const dir = tempDir({
      'c.yaml': 'include: d/*.yaml\n',
      'd/2.yaml': `jobs:\n  same:\n${JOB}`,
      'd/10.yaml': `jobs:\n  same:\n${JOB}`,
    });
    assert.deepEqual(await problemsIn(dir, 'c.yaml'), [
      `d/2.yaml:2:3: jobs.same: duplicate job 'same'; first defined at ${path.join(dir, 'd/10.yaml')}:2:3`,
    ]);
  });

  it('reports a job name defined in two files at the second, naming the first', async () => {
    const dir = tempDir({
      'cronkeeper.yaml': `include: jobs.d/*.yaml\njobs:\n  other:\n${JOB}  nightly:\n${JOB}`,
      'jobs.d/a.yaml': `jobs:\n  fine:\n${JOB}\n  nightly:\n${JOB}`,
    });
    assert.deepEqual(await problemsIn(dir), [
      `jobs.d/a.yaml:6:3: jobs.nightly: duplicate job 'nightly'; first defined at ${path.join(dir, 'cronkeeper.yaml')}:6:3`,
    ]);
  });

  it('reports a job name defined twice in one file', async () => {
    const dir = tempDir({ 'cronkeeper.yaml': `jobs:\n  a:\n${JOB}  a:\n${JOB}` });
    assert.deepEqual(await problemsIn(dir), [
      `cronkeeper.yaml:5:3: jobs.a: duplicate job 'a'; first defined at ${path.join(dir, 'cronkeeper.yaml')}:2:3`,
    ]);
  });

  it('rejects a missing literal include, wildcards before the last segment and bad pattern types', async () => {
    const dir = tempDir({
      'c.yaml': 'include:\n  - nope.yaml\n  - "*/jobs.yaml"\n  - 5\n  - nothing/*.yaml\n',
    });
    assert.deepEqual(await problemsIn(dir, 'c.yaml'), [
      `c.yaml:2:5: include[0]: included file '${path.join(dir, 'nope.yaml')}' does not exist`,
      `c.yaml:3:5: include[1]: '*/jobs.yaml': wildcards ('*', '?') are only allowed in the last path segment`,
      'c.yaml:4:5: include[2]: expected a file pattern, got 5',
    ]);
  });

  it('allows only jobs: in an included file, and no nested includes', async () => {
    const dir = tempDir({
      'c.yaml': 'include: inc.yaml\n',
      'inc.yaml': `store: { path: x }\ninclude: more/*.yaml\njobs:\n  ok:\n${JOB}    schedul: x\n`,
    });
    assert.deepEqual(await problemsIn(dir, 'c.yaml'), [
      "inc.yaml:1:1: store: 'store' is not allowed in an included file; it may contain only 'jobs'",
      "inc.yaml:2:1: include: 'include' is not allowed in an included file (includes do not nest)",
      "inc.yaml:7:5: jobs.ok.schedul: unknown key 'schedul'; did you mean 'schedule'?",
    ]);
  });

  it('reports YAML errors in included files with their positions', async () => {
    const dir = tempDir({ 'c.yaml': 'include: "*.yml"\n', 'bad.yml': 'jobs:\n  a: [\n' });
    const problems = await problemsIn(dir, 'c.yaml');
    // At the '[' that is never closed, not at the end of the file where the parser noticed.
    assert.deepEqual(problems, [
      "bad.yml:2:6: this '[' is not closed by a ']' (or a line of the list is not indented enough)",
    ]);
  });
});

describe('loadConfig: problems', () => {
  it('reports a missing main file at 1:1 with the OS reason', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'missing.yaml');
    await assert.rejects(load(file), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.deepEqual(err.problems, [
        {
          file,
          line: 1,
          column: 1,
          path: '',
          message: `cannot read config file: ENOENT: no such file or directory, open '${file}'`,
        },
      ]);
      return true;
    });
  });

  it('reports an unreadable main file (a directory) at 1:1', async () => {
    const dir = tempDir();
    assert.deepEqual(await problemsIn(dir, ''), [
      `${dir}:1:1: cannot read config file: EISDIR: illegal operation on a directory, read`,
    ]);
  });

  it('reports YAML syntax errors with their positions', async () => {
    assert.deepEqual(await problemsOf('jobs:\n  a:\n    every: 10s\n   command: [x]\n'), [
      'cronkeeper.yaml:4:1: All mapping items must start at the same column',
    ]);
  });

  it('reports a config that is not a map', async () => {
    assert.deepEqual(await problemsOf('- a\n- b\n'), [
      'cronkeeper.yaml:1:1: the config must be a map of settings, got a list',
    ]);
  });

  it('reports duplicate keys in one map at the second, naming the first', async () => {
    assert.deepEqual(await problemsOf(`jobs:\n  a:\n${JOB}    every: 20s\nhttp: {}\nhttp: {}\n`), [
      "cronkeeper.yaml:5:5: jobs.a.every: duplicate key 'every' (first at line 3, column 5)",
      "cronkeeper.yaml:7:1: http: duplicate key 'http' (first at line 6, column 1)",
    ]);
  });

  it('reports unknown keys at the key, with a hint', async () => {
    assert.deepEqual(
      await problemsOf(
        `stor: {}\nsnapshot: { intervall: 1s }\njobs:\n  a:\n${JOB}    schedul: "* * * * *"\n    catchup_window: 1h\n    zzz: 1\n`,
      ),
      [
        "cronkeeper.yaml:1:1: stor: unknown key 'stor'; did you mean 'store'?",
        "cronkeeper.yaml:2:13: snapshot.intervall: unknown key 'intervall'; did you mean 'interval'?",
        "cronkeeper.yaml:7:5: jobs.a.schedul: unknown key 'schedul'; did you mean 'schedule'?",
        "cronkeeper.yaml:8:5: jobs.a.catchup_window: unknown key 'catchup_window'; did you mean 'catchupWindow'?",
        "cronkeeper.yaml:9:5: jobs.a.zzz: unknown key 'zzz'",
      ],
    );
  });

  it('reports a bad cron pattern at its value', async () => {
    assert.deepEqual(
      await problemsOf('jobs:\n  nightly-report:\n    schedule: "61 * * * *"\n    command: [x]\n'),
      [
        "cronkeeper.yaml:3:15: jobs.nightly-report.schedule: invalid cron pattern '61 * * * *': minute '61' is out of range 0-59",
      ],
    );
    assert.deepEqual(await problemsOf("jobs:\n  a:\n    schedule: '* * *'\n    command: [x]\n"), [
      "cronkeeper.yaml:3:15: jobs.a.schedule: '* * *' has 3 fields; a cron pattern has 5, or 6 with seconds first",
    ]);
  });

  it('reports an impossible date without searching forever', { timeout: 10_000 }, async () => {
    assert.deepEqual(await problemsOf("jobs:\n  feb31:\n    schedule: '0 0 31 2 *'\n    command: [x]\n"), [
      "cronkeeper.yaml:3:15: jobs.feb31.schedule: cron pattern '0 0 31 2 *' never matches a date (e.g. the 31st of February)",
    ]);
  });

  it('reports an unknown time zone and still checks the pattern', async () => {
    assert.deepEqual(
      await problemsOf(
        'jobs:\n  a:\n    schedule: "61 * * * *"\n    timezone: Mars/Olympus\n    command: [x]\n',
      ),
      [
        "cronkeeper.yaml:3:15: jobs.a.schedule: invalid cron pattern '61 * * * *': minute '61' is out of range 0-59",
        "cronkeeper.yaml:4:15: jobs.a.timezone: unknown time zone 'Mars/Olympus'",
      ],
    );
  });

  it('reports bad durations', async () => {
    assert.deepEqual(
      await problemsOf(
        `shutdownGrace: 5x\nledger: { retention: 0s }\njobs:\n  a:\n${JOB}    timeout: 30\n    killGrace: [1]\n    catchupWindow:\n`,
      ),
      [
        "cronkeeper.yaml:1:16: shutdownGrace: '5x' is not a duration; use e.g. 500ms, 90s, 15m, 24h, 7d",
        'cronkeeper.yaml:2:22: ledger.retention: must be greater than 0',
        'cronkeeper.yaml:7:14: jobs.a.timeout: 30 has no unit; use e.g. 500ms, 90s, 15m, 24h, 7d',
        'cronkeeper.yaml:8:16: jobs.a.killGrace: expected a duration such as 90s, got a list',
        'cronkeeper.yaml:9:5: jobs.a.catchupWindow: expected a duration such as 90s, got an empty value',
      ],
    );
  });

  it('requires exactly one of schedule or every', async () => {
    assert.deepEqual(
      await problemsOf(
        'jobs:\n  neither:\n    command: [x]\n  both:\n    schedule: "* * * * *"\n    every: 10s\n    command: [x]\n',
      ),
      [
        "cronkeeper.yaml:2:3: jobs.neither: exactly one of 'schedule' or 'every' is required",
        "cronkeeper.yaml:6:5: jobs.both.every: exactly one of 'schedule' or 'every' is required, not both",
      ],
    );
  });

  it('requires exactly one of command or http', async () => {
    assert.deepEqual(
      await problemsOf(
        'jobs:\n  neither:\n    every: 1m\n  both:\n    every: 1m\n    http: { url: "http://x/" }\n    command: [x]\n',
      ),
      [
        "cronkeeper.yaml:2:3: jobs.neither: exactly one of 'command' or 'http' is required",
        "cronkeeper.yaml:7:5: jobs.both.command: exactly one of 'command' or 'http' is required, not both",
      ],
    );
  });

  it('checks every, offset and timezone together', async () => {
    assert.deepEqual(
      await problemsOf(
        `jobs:
  a: { every: 1500ms, command: [x] }
  b: { every: 500ms, command: [x] }
  c: { every: 90s, offset: 90s, command: [x] }
  d: { every: 1m, timezone: UTC, command: [x] }
  e: { schedule: "* * * * *", offset: 1s, command: [x] }
  f: { every: 0s, command: [x] }
`,
      ),
      [
        "cronkeeper.yaml:2:15: jobs.a.every: '1500ms' is not a whole number of seconds",
        'cronkeeper.yaml:3:15: jobs.b.every: must be at least 1s',
        "cronkeeper.yaml:4:28: jobs.c.offset: must be less than 'every' (90s)",
        "cronkeeper.yaml:5:19: jobs.d.timezone: 'timezone' is only allowed with 'schedule'",
        "cronkeeper.yaml:6:31: jobs.e.offset: 'offset' is only allowed with 'every'",
        'cronkeeper.yaml:7:15: jobs.f.every: must be at least 1s',
      ],
    );
  });

  it('checks job names, policies, commands, env and HTTP settings', async () => {
    assert.deepEqual(
      await problemsOf(
        `jobs:
  bad name:
${JOB}  a:
    every: 1m
    catchup: sometimes
    maxCatchup: -1
    overlap: 3
    command: "df -h"
    env: { 1X: a, OK: null }
  b:
    every: 1m
    command: []
    cwd: ''
  c:
    every: 1m
    backfillFrom: "2026-02-30T00:00:00Z"
    http: { url: "ftp://x/", method: "GE T", headers: { "Bad Header": x }, body: y }
  d:
    every: 1m
    backfillFrom: "2026-01-01T00:00:00"
    http: { method: GET }
`,
      ),
      [
        "cronkeeper.yaml:2:3: jobs.bad name: invalid job name 'bad name': use 1 to 128 letters, digits, '.', '_' or '-', starting with a letter or digit",
        "cronkeeper.yaml:7:14: jobs.a.catchup: 'sometimes' is not one of: all, latest, none",
        'cronkeeper.yaml:8:17: jobs.a.maxCatchup: must be at least 0, got -1',
        'cronkeeper.yaml:9:14: jobs.a.overlap: 3 is not one of: skip, queue, allow, replace',
        'cronkeeper.yaml:10:14: jobs.a.command: expected a list of strings (argv), got a string; no shell is involved: write e.g. ["/bin/sh", "-c", "df -h"]',
        "cronkeeper.yaml:11:12: jobs.a.env.1X: invalid environment variable name '1X'; use letters, digits and '_'",
        'cronkeeper.yaml:11:23: jobs.a.env.OK: expected a string, number or boolean, got an empty value',
        'cronkeeper.yaml:14:14: jobs.b.command: must name at least the program to run',
        'cronkeeper.yaml:15:10: jobs.b.cwd: must not be empty',
        "cronkeeper.yaml:18:19: jobs.c.backfillFrom: '2026-02-30T00:00:00Z' is not an ISO 8601 instant with an offset; use e.g. 2026-01-01T00:00:00Z",
        "cronkeeper.yaml:19:18: jobs.c.http.url: 'ftp://x/' is not an http:// or https:// URL",
        "cronkeeper.yaml:19:38: jobs.c.http.method: invalid HTTP method 'GE T'",
        "cronkeeper.yaml:19:57: jobs.c.http.headers.Bad Header: invalid HTTP header name 'Bad Header'",
        "cronkeeper.yaml:19:76: jobs.c.http.body: unknown key 'body'",
        "cronkeeper.yaml:22:19: jobs.d.backfillFrom: '2026-01-01T00:00:00' is not an ISO 8601 instant with an offset; use e.g. 2026-01-01T00:00:00Z",
        "cronkeeper.yaml:23:5: jobs.d.http.url: missing required key 'url'",
      ],
    );
  });

  it('checks the global settings', async () => {
    assert.deepEqual(
      await problemsOf(
        `store: { url: mysql://x, path: 7 }
snapshot: { maxUpdates: 0, keep: 1.5 }
http: { listen: localhost }
ha: { nodeId: '' }
catchupConcurrency: 0
defaults: { overlap: never, maxCatchup: x, timeot: 1s }
include: { a: b }
`,
      ),
      [
        "cronkeeper.yaml:1:15: store.url: 'mysql://x' is not a postgres:// URL",
        'cronkeeper.yaml:1:32: store.path: expected a string, got 7',
        'cronkeeper.yaml:2:25: snapshot.maxUpdates: must be at least 1, got 0',
        'cronkeeper.yaml:2:34: snapshot.keep: expected an integer, got 1.5',
        "cronkeeper.yaml:3:17: http.listen: 'localhost' is not a listen address; use host:port, e.g. 127.0.0.1:9464",
        'cronkeeper.yaml:4:15: ha.nodeId: must not be empty',
        'cronkeeper.yaml:5:21: catchupConcurrency: must be at least 1, got 0',
        "cronkeeper.yaml:6:22: defaults.overlap: 'never' is not one of: skip, queue, allow, replace",
        "cronkeeper.yaml:6:41: defaults.maxCatchup: expected a number, got 'x'",
        "cronkeeper.yaml:6:44: defaults.timeot: unknown key 'timeot'; did you mean 'timeout'?",
        'cronkeeper.yaml:7:10: include: expected a file pattern or a list of them, got a map',
      ],
    );
  });

  it('checks the concurrency limits', async () => {
    assert.deepEqual(await problemsOf('concurrency: { max: 0, perJob: x, total: 3 }\n'), [
      'cronkeeper.yaml:1:21: concurrency.max: must be at least 1, got 0',
      "cronkeeper.yaml:1:32: concurrency.perJob: expected a number, got 'x'",
      "cronkeeper.yaml:1:35: concurrency.total: unknown key 'total'",
    ]);
    assert.deepEqual(await problemsOf('concurrency: { perJob: 0.5 }\n'), [
      'cronkeeper.yaml:1:24: concurrency.perJob: expected an integer, got 0.5',
    ]);
  });

  it('checks outputKeep sizes', async () => {
    assert.deepEqual(
      await problemsOf(
        `defaults: { outputKeep: 2MiB }
jobs:
  a: { every: 10s, command: [x], outputKeep: 16kb }
  b: { every: 10s, command: [x], outputKeep: -1 }
  c: { every: 10s, command: [x], outputKeep: 0.1KiB }
  d: { every: 10s, command: [x], outputKeep: 1.5 }
  e: { every: 10s, command: [x], outputKeep: [1] }
  f: { every: 10s, command: [x], outputKeep: 1048577 }
  g: { every: 10s, command: [x], outputKeep: '16 K' }
`,
      ),
      [
        "cronkeeper.yaml:1:25: defaults.outputKeep: must be at most 1MiB, got '2MiB'",
        "cronkeeper.yaml:3:46: jobs.a.outputKeep: '16kb' is not a size; use a number of bytes or e.g. 512B, 16KB, 16KiB, 1MiB",
        "cronkeeper.yaml:4:46: jobs.b.outputKeep: '-1' is not a size; use a number of bytes or e.g. 512B, 16KB, 16KiB, 1MiB",
        "cronkeeper.yaml:5:46: jobs.c.outputKeep: '0.1KiB' is not a whole number of bytes",
        "cronkeeper.yaml:6:46: jobs.d.outputKeep: '1.5' is not a whole number of bytes",
        'cronkeeper.yaml:7:46: jobs.e.outputKeep: expected a size such as 16KiB, got a list',
        "cronkeeper.yaml:8:46: jobs.f.outputKeep: must be at most 1MiB, got '1048577'",
        "cronkeeper.yaml:9:46: jobs.g.outputKeep: '16 K' is not a size; use a number of bytes or e.g. 512B, 16KB, 16KiB, 1MiB",
      ],
    );
  });

  it('checks retries and jitter', async () => {
    assert.deepEqual(
      await problemsOf(
        `defaults:
  retries: { max: -1, backoff: 30s, maxBackoff: 10s }
  jitter: 1x
jobs:
  a:
${JOB}    retries: 3
    jitter: -5s
  b:
${JOB}    retries: { max: 1.5, backoff: 0s, maxBackoff: x, tries: 2 }
`,
      ),
      [
        'cronkeeper.yaml:2:19: defaults.retries.max: must be at least 0, got -1',
        "cronkeeper.yaml:2:49: defaults.retries.maxBackoff: must be at least 'backoff' (30s)",
        "cronkeeper.yaml:3:11: defaults.jitter: '1x' is not a duration; use e.g. 500ms, 90s, 15m, 24h, 7d",
        'cronkeeper.yaml:8:14: jobs.a.retries: expected a map, got 3',
        "cronkeeper.yaml:9:13: jobs.a.jitter: '-5s' is not a duration; use e.g. 500ms, 90s, 15m, 24h, 7d",
        'cronkeeper.yaml:13:21: jobs.b.retries.max: expected an integer, got 1.5',
        'cronkeeper.yaml:13:35: jobs.b.retries.backoff: must be greater than 0',
        "cronkeeper.yaml:13:51: jobs.b.retries.maxBackoff: 'x' is not a duration; use e.g. 500ms, 90s, 15m, 24h, 7d",
        "cronkeeper.yaml:13:54: jobs.b.retries.tries: unknown key 'tries'",
      ],
    );
  });

  it('requires maxBackoff >= backoff, for the values in effect after merging', async () => {
    assert.deepEqual(
      await problemsOf(
        `defaults:
  retries: { backoff: 1m }
jobs:
  both: { every: 10s, command: [x], retries: { backoff: 1m30s, maxBackoff: 1m } }
  own-backoff: { every: 10s, command: [x], retries: { max: 1, backoff: 10m } }
  own-max: { every: 10s, command: [x], retries: { maxBackoff: 30s } }
  equal: { every: 10s, command: [x], retries: { maxBackoff: 1m } }
`,
      ),
      [
        "cronkeeper.yaml:4:76: jobs.both.retries.maxBackoff: must be at least 'backoff' (1m30s)",
        "cronkeeper.yaml:5:72: jobs.own-backoff.retries.backoff: must be at most the 'maxBackoff' it inherits (5m); set 'maxBackoff' too",
        "cronkeeper.yaml:6:63: jobs.own-max.retries.maxBackoff: must be at least the 'backoff' it inherits (1m)",
      ],
    );
    // defaults.retries against the built-in maxBackoff (5m).
    assert.deepEqual(await problemsOf('defaults:\n  retries: { backoff: 10m }\n'), [
      "cronkeeper.yaml:2:23: defaults.retries.backoff: must be at most the 'maxBackoff' it inherits (5m); set 'maxBackoff' too",
    ]);
  });

  it('checks hooks like job actions', async () => {
    assert.deepEqual(
      await problemsOf(
        `defaults:
  onFailure: { command: [x], http: { url: "http://x/" } }
  onSuccess: { timeout: 1m }
jobs:
  a:
${JOB}    onFailure:
      http: { url: "ftp://x/" }
      env: { A: b }
      cwd: /tmp
      timout: 1m
    onSuccess:
      command: "alert"
      env: { CRONKEEPER_JOB: y }
      timeout: 0s
  b: { every: 10s, command: [x], onFailure: alert, onSuccess: { http: { url: "http://x/" }, command: [y] } }
  c: { every: 10s, command: [x], onSuccess: {} }
`,
      ),
      [
        "cronkeeper.yaml:2:30: defaults.onFailure.http: exactly one of 'command' or 'http' is required, not both",
        "cronkeeper.yaml:3:3: defaults.onSuccess: exactly one of 'command' or 'http' is required",
        "cronkeeper.yaml:9:20: jobs.a.onFailure.http.url: 'ftp://x/' is not an http:// or https:// URL",
        "cronkeeper.yaml:10:7: jobs.a.onFailure.env: 'env' is only allowed with 'command'",
        "cronkeeper.yaml:11:7: jobs.a.onFailure.cwd: 'cwd' is only allowed with 'command'",
        "cronkeeper.yaml:12:7: jobs.a.onFailure.timout: unknown key 'timout'; did you mean 'timeout'?",
        'cronkeeper.yaml:14:16: jobs.a.onSuccess.command: expected a list of strings (argv), got a string; no shell is involved: write e.g. ["/bin/sh", "-c", "alert"]',
        "cronkeeper.yaml:15:14: jobs.a.onSuccess.env.CRONKEEPER_JOB: 'CRONKEEPER_JOB' is reserved: the daemon sets the CRONKEEPER_* variables",
        'cronkeeper.yaml:16:16: jobs.a.onSuccess.timeout: must be greater than 0',
        "cronkeeper.yaml:17:45: jobs.b.onFailure: expected a map, got 'alert'",
        "cronkeeper.yaml:17:93: jobs.b.onSuccess.command: exactly one of 'command' or 'http' is required, not both",
        "cronkeeper.yaml:18:34: jobs.c.onSuccess: exactly one of 'command' or 'http' is required",
      ],
    );
  });

  it('reports all problems of all files at once', async () => {
    const dir = tempDir({
      'cronkeeper.yaml': `include: [jobs.d/*.yaml, missing.yaml]
snapshot: { interval: 5x }
jobs:
  nightly-report:
    schedul: "30 2 * * *"
    schedule: "61 * * * *"
    timezone: Europe/Nowhere
    command: [x]
  feb:
    schedule: "0 0 31 2 *"
    command: [x]
`,
      'jobs.d/more.yaml': 'jobs:\n  feb:\n    every: 1x\n    command: [x]\n',
    });
    const mainFile = path.join(dir, 'cronkeeper.yaml');
    assert.deepEqual(await problemsIn(dir), [
      `cronkeeper.yaml:1:26: include[1]: included file '${path.join(dir, 'missing.yaml')}' does not exist`,
      "cronkeeper.yaml:2:23: snapshot.interval: '5x' is not a duration; use e.g. 500ms, 90s, 15m, 24h, 7d",
      "cronkeeper.yaml:5:5: jobs.nightly-report.schedul: unknown key 'schedul'; did you mean 'schedule'?",
      "cronkeeper.yaml:6:15: jobs.nightly-report.schedule: invalid cron pattern '61 * * * *': minute '61' is out of range 0-59",
      "cronkeeper.yaml:7:15: jobs.nightly-report.timezone: unknown time zone 'Europe/Nowhere'",
      "cronkeeper.yaml:10:15: jobs.feb.schedule: cron pattern '0 0 31 2 *' never matches a date (e.g. the 31st of February)",
      `jobs.d/more.yaml:2:3: jobs.feb: duplicate job 'feb'; first defined at ${mainFile}:9:3`,
      "jobs.d/more.yaml:3:12: jobs.feb.every: '1x' is not a duration; use e.g. 500ms, 90s, 15m, 24h, 7d",
    ]);
  });

  it('locates problems in JSON input', async () => {
    const json = '{\n  "jobs": {\n    "a": { "every": "10s", "command": "true", "shedule": 1 }\n  }\n}\n';
    assert.deepEqual(await problemsOf(json, 'c.json'), [
      'c.json:3:39: jobs.a.command: expected a list of strings (argv), got a string; no shell is involved: write e.g. ["/bin/sh", "-c", "true"]',
      "c.json:3:47: jobs.a.shedule: unknown key 'shedule'; did you mean 'schedule'?",
    ]);
  });

  it('reports unknown aliases', async () => {
    assert.deepEqual(await problemsOf(`jobs:\n  a:\n${JOB}    timeout: *t\n`), [
      "cronkeeper.yaml:5:14: jobs.a.timeout: unknown alias '*t'",
    ]);
  });

  it('follows aliases when locating problems', async () => {
    const config = `jobs:\n  a: &base\n${JOB}    timeout: 5x\n  b: *base\n`;
    assert.deepEqual(await problemsOf(config), [
      "cronkeeper.yaml:5:14: jobs.a.timeout: '5x' is not a duration; use e.g. 500ms, 90s, 15m, 24h, 7d",
      "cronkeeper.yaml:5:14: jobs.b.timeout: '5x' is not a duration; use e.g. 500ms, 90s, 15m, 24h, 7d",
    ]);
  });
});

describe('loadConfig: security', () => {
  it('binding off loopback requires http.token', async () => {
    assert.deepEqual(await problemsOf('http: { listen: "0.0.0.0:9464" }\n'), [
      "cronkeeper.yaml:1:17: http.listen: '0.0.0.0:9464' is not a loopback address: set http.token, which every request must then present",
    ]);
    assert.deepEqual(await problemsOf('http: { listen: "0.0.0.0:9464", token: short }\n'), [
      'cronkeeper.yaml:1:40: http.token: must be at least 16 characters',
    ]);
    const dir = tempDir({ 'c.yaml': 'http: { listen: "[::]:9464", token: 0123456789abcdef0123 }\n' });
    assert.deepEqual((await load(path.join(dir, 'c.yaml'))).http, {
      listen: '[::]:9464',
      token: '0123456789abcdef0123',
      allowedHosts: [],
    });
    for (const listen of ['127.0.0.1:0', 'localhost:9464', '[::1]:9464', '127.1.2.3:80']) {
      const ok = tempDir({ 'c.yaml': `http: { listen: "${listen}" }\n` });
      assert.equal((await load(path.join(ok, 'c.yaml'))).http.token, undefined, listen);
    }
  });

  it('http.allowedHosts: host names or addresses without a port', async () => {
    const dir = tempDir({
      'c.yaml': 'http: { allowedHosts: [cron.example.org, 10.0.0.5, "[fd00::1]", my_host] }\n',
    });
    assert.deepEqual((await load(path.join(dir, 'c.yaml'))).http.allowedHosts, [
      'cron.example.org',
      '10.0.0.5',
      '[fd00::1]',
      'my_host',
    ]);
    assert.deepEqual(await problemsOf('http: { allowedHosts: ["cron.example.org:9464"] }\n'), [
      "cronkeeper.yaml:1:24: http.allowedHosts[0]: 'cron.example.org:9464' is not a host name; use a name or address without a port, e.g. cron.example.org",
    ]);
  });

  it('CRONKEEPER_HTTP_LISTEN overrides http.listen, under the same rules', async () => {
    const dir = tempDir({ 'c.yaml': 'http: { listen: "127.0.0.1:9464" }\n' });
    const file = path.join(dir, 'c.yaml');
    assert.equal(
      (await load(file, { CRONKEEPER_HTTP_LISTEN: '127.0.0.1:9470' })).http.listen,
      '127.0.0.1:9470',
    );
    assert.equal((await load(file, { CRONKEEPER_HTTP_LISTEN: '' })).http.listen, '127.0.0.1:9464');
    await assert.rejects(
      load(file, { CRONKEEPER_HTTP_LISTEN: '0.0.0.0:9470' }),
      /CRONKEEPER_HTTP_LISTEN: '0\.0\.0\.0:9470' \(from the environment\) is not a loopback address: set http\.token/,
    );
    await assert.rejects(
      load(file, { CRONKEEPER_HTTP_LISTEN: 'nope' }),
      /CRONKEEPER_HTTP_LISTEN: 'nope' \(from the environment\) is not a listen address/,
    );
  });

  it('refuses config files that others could have written, unless insecure', async () => {
    const dir = tempDir({
      'c.yaml': 'jobs: {}\n',
      'jobs.d/x.yaml': 'jobs: {}\n',
      'main.yaml': 'include: jobs.d/*.yaml\n',
    });
    fs.chmodSync(path.join(dir, 'c.yaml'), 0o664);
    assert.deepEqual(await problemsIn(dir, 'c.yaml'), [
      'c.yaml:1:1: config file is writable by group (mode 0664; chmod go-w): it defines the commands cronkeeper runs; fix it, or pass --insecure-config for development',
    ]);
    fs.chmodSync(path.join(dir, 'c.yaml'), 0o646);
    assert.match((await problemsIn(dir, 'c.yaml'))[0]!, /writable by others \(mode 0646/);
    const insecure = await loadConfig(path.join(dir, 'c.yaml'), { nowMs: NOW, env: {}, insecure: true });
    assert.deepEqual(insecure.jobs, []);

    // An included file is checked too.
    fs.chmodSync(path.join(dir, 'jobs.d/x.yaml'), 0o666);
    assert.match(
      (await problemsIn(dir, 'main.yaml'))[0]!,
      /^jobs\.d\/x\.yaml:1:1: config file is writable by group/,
    );
  });

  it('refuses a config file owned by another user', async (t) => {
    if (process.getuid?.() !== 0) return t.skip('needs root to chown');
    const dir = tempDir({ 'c.yaml': 'jobs: {}\n' });
    fs.chownSync(path.join(dir, 'c.yaml'), 65534, 65534);
    assert.match(
      (await problemsIn(dir, 'c.yaml'))[0]!,
      /^c\.yaml:1:1: config file is owned by uid 65534, not by root or the daemon's user/,
    );
  });

  it('never prints a database password', async () => {
    const problems = await problemsOf('store: { url: "mysql://admin:s3cret-pw@db/ck" }\n');
    assert.equal(problems.length, 1);
    assert.ok(!problems[0]!.includes('s3cret-pw'), problems[0]);
    assert.match(problems[0]!, /admin:\*\*\*@/);
  });
});
