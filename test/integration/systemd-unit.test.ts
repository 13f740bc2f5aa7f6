// The systemd units in systemd/: `systemd-analyze verify` finds nothing to
// complain about, `systemd-analyze security --offline=true` rates their
// exposure at most 2.0 ("OK"), and the sysusers.d file creates the user.
//
// `verify` checks that ExecStart='s program exists and is executable, and
// /usr/bin/cronkeeper exists only where the package is installed. Rather than
// filtering that one message out (and with it, maybe, a real one), a copy of
// each unit whose ExecStart= names an existing program (this node binary) is
// verified; nothing else in the copy differs. A template is verified as an
// instance (cronkeeper@node-a.service), as systemd would load it.
//
// The tools come with the systemd package, which CI installs: there, a missing
// tool fails the test; elsewhere it skips it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test, type TestContext } from 'node:test';
import { ROOT, tempDir } from '../support/daemon.js';

const UNITS = [
  { file: 'cronkeeper.service', as: 'cronkeeper.service' },
  { file: 'cronkeeper@.service', as: 'cronkeeper@node-a.service' },
  { file: 'cronkeeper-worker@.service', as: 'cronkeeper-worker@etl.service' },
];
const MAX_EXPOSURE = 2.0;

const dirs: string[] = [];
after(() => {
  if (!process.env.KEEP_TEST_DIRS) for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function missing(t: TestContext, tool: string): boolean {
  if (spawnSync(tool, ['--version'], { stdio: 'ignore' }).error === undefined) return false;
  if (process.env.CI === 'true') assert.fail(`${tool} not installed (CI installs the systemd package)`);
  t.skip(`${tool} not installed`);
  return true;
}

function run(cmd: string, args: string[], cwd?: string): { status: number | null; output: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, SYSTEMD_COLORS: '0' } });
  if (r.error) throw r.error;
  return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
}

/** The unit, copied under the name systemd would load it by, its ExecStart= program replaced by one that exists. */
function verifiableCopy(unit: (typeof UNITS)[number]): string {
  const dir = tempDir('systemd-unit');
  dirs.push(dir);
  const text = fs.readFileSync(path.join(ROOT, 'systemd', unit.file), 'utf8');
  assert.match(text, /^ExecStart=\/usr\/bin\/cronkeeper /m);
  const copy = path.join(dir, unit.as);
  fs.writeFileSync(
    copy,
    text.replace(/^ExecStart=\/usr\/bin\/cronkeeper /m, `ExecStart=${process.execPath} `),
  );
  return copy;
}

function setting(text: string, key: string): string[] {
  return [...text.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => m[1]!.trim());
}

function seconds(value: string): number {
  const m = /^(\d+)(s|min)?$/.exec(value);
  assert.ok(m, `unexpected time span '${value}'`);
  return Number(m[1]) * (m[2] === 'min' ? 60 : 1);
}

describe('systemd units', () => {
  for (const unit of UNITS) {
    test(`${unit.file}: systemd-analyze verify reports nothing`, (t) => {
      if (missing(t, 'systemd-analyze')) return;
      const copy = verifiableCopy(unit);
      const r = run('systemd-analyze', ['verify', `./${path.basename(copy)}`], path.dirname(copy));
      assert.equal(r.output, '', r.output);
      assert.equal(r.status, 0);
    });

    test(`${unit.file}: systemd-analyze security rates the exposure ≤ ${MAX_EXPOSURE.toFixed(1)}`, (t) => {
      if (missing(t, 'systemd-analyze')) return;
      const copy = verifiableCopy(unit);
      const r = run('systemd-analyze', ['security', '--offline=true', copy]);
      const m = /Overall exposure level for \S+: (\d+(?:\.\d+)?) (\S+)/.exec(r.output);
      assert.ok(m, `no overall exposure level in:\n${r.output}`);
      const exposure = Number(m[1]);
      t.diagnostic(`${unit.file}: exposure ${exposure} ${m[2]}`);
      assert.ok(exposure <= MAX_EXPOSURE, `exposure ${exposure} > ${MAX_EXPOSURE}:\n${r.output}`);
    });

    test(`${unit.file}: the settings the daemon relies on`, () => {
      const text = fs.readFileSync(path.join(ROOT, 'systemd', unit.file), 'utf8');
      assert.deepEqual(setting(text, 'Type'), ['notify']);
      // systemd-notify, a child of the daemon, sends the messages.
      assert.deepEqual(setting(text, 'NotifyAccess'), ['all']);
      assert.deepEqual(setting(text, 'RestartPreventExitStatus'), ['78']);
      // A daemon reloads its config on SIGHUP; a worker reads it at start only.
      const worker = unit.file.startsWith('cronkeeper-worker');
      assert.deepEqual(setting(text, 'ExecReload'), worker ? [] : ['/bin/kill -HUP $MAINPID']);
      // The default shutdownGrace (30s) and killGrace (10s) fit in the stop timeout.
      assert.ok(seconds(setting(text, 'TimeoutStopSec')[0] ?? '0') > 30 + 10);
      assert.ok(seconds(setting(text, 'WatchdogSec')[0] ?? '0') > 0);
      // V8's JIT needs writable and executable memory.
      assert.deepEqual(setting(text, 'MemoryDenyWriteExecute'), []);
    });
  }

  test('cronkeeper@.service: the instance is the node id and has its own state and config', () => {
    const text = fs.readFileSync(path.join(ROOT, 'systemd', 'cronkeeper@.service'), 'utf8');
    assert.deepEqual(setting(text, 'Environment'), ['CRONKEEPER_NODE_ID=%i']);
    assert.deepEqual(setting(text, 'StateDirectory'), ['cronkeeper/%i']);
    assert.match(setting(text, 'ExecStart')[0] ?? '', / --config \/etc\/cronkeeper\/%i\.yaml$/);
  });

  test('cronkeeper-worker@.service: the instance is the pool; its jobs outlive a crashed worker', () => {
    const text = fs.readFileSync(path.join(ROOT, 'systemd', 'cronkeeper-worker@.service'), 'utf8');
    assert.match(
      setting(text, 'ExecStart')[0] ?? '',
      / worker --config \/etc\/cronkeeper\/cronkeeper\.yaml --pool %i$/,
    );
    // Supervised jobs go on when the worker crashes: the restarted worker takes them over.
    assert.deepEqual(setting(text, 'KillMode'), ['process']);
  });

  test('cronkeeper.sysusers creates the cronkeeper user and group', (t) => {
    if (missing(t, 'systemd-sysusers')) return;
    const root = tempDir('sysusers');
    dirs.push(root);
    fs.mkdirSync(path.join(root, 'etc'));
    const r = run('systemd-sysusers', [`--root=${root}`, path.join(ROOT, 'systemd', 'cronkeeper.sysusers')]);
    assert.equal(r.status, 0, r.output);
    const passwd = fs.readFileSync(path.join(root, 'etc/passwd'), 'utf8');
    assert.match(passwd, /^cronkeeper:x:\d+:\d+:cronkeeper daemon:\/var\/lib\/cronkeeper:\S*nologin$/m);
    assert.match(fs.readFileSync(path.join(root, 'etc/group'), 'utf8'), /^cronkeeper:x:\d+:/m);
  });
});
