// `cronkeeper init`: the starter config it writes validates, is found by a
// `run` started beside it, and runs; an existing config is never overwritten.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { it } from 'node:test';
import { CLI, childEnv } from '../support/daemon.js';
import { createHarness } from '../support/harness.js';

const h = createHarness();

it('init writes a starter config that validates and runs; a second init changes nothing', async () => {
  const dir = h.tempDir('init');
  const written = execFileSync(process.execPath, [CLI, 'init', dir], { encoding: 'utf8', env: childEnv() });
  const file = path.join(dir, 'config/cronkeeper.yaml');
  assert.match(written, new RegExp(`wrote ${file}`));
  // Not writable by group or others, whatever the umask: `run` would refuse it.
  assert.equal(fs.statSync(file).mode & 0o022, 0);

  // Found where `run` looks first, from the directory init was given.
  const validated = spawnSync(process.execPath, [CLI, 'validate'], {
    cwd: dir,
    encoding: 'utf8',
    env: childEnv(),
  });
  assert.equal(validated.status, 0, validated.stderr);
  assert.match(validated.stdout, /valid, 2 job\(s\)/);

  const before = fs.readFileSync(file, 'utf8');
  fs.appendFileSync(file, '# mine\n');
  const again = spawnSync(process.execPath, [CLI, 'init', dir], { encoding: 'utf8', env: childEnv() });
  assert.equal(again.status, 1);
  assert.match(again.stderr, /exists already \(nothing was changed\)/);
  assert.equal(fs.readFileSync(file, 'utf8'), `${before}# mine\n`);

  const d = h.startDaemon(file);
  await d.waitForLog((l) => l.msg === 'ready: scheduling', 60_000);
  const listening = d.logs.find((l) => l.msg === 'http listening')!;
  const status = (await (await fetch(`http://127.0.0.1:${listening.port as number}/status`)).json()) as {
    jobs: Array<{ name: string }>;
  };
  assert.deepEqual(status.jobs.map((j) => j.name).sort(), ['disk-check', 'nightly-report']);
  // The embedded store went where the config says: beside the config directory.
  assert.ok(fs.existsSync(path.join(dir, 'var/store')));
});
