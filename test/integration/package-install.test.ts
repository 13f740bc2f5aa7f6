// What a user gets from the package: `npm pack` of this tree, installed
// globally (into a prefix of its own) as systemd/README.md says, then its
// `cronkeeper` command validates the example config it ships and runs the
// daemon on it, with the embedded store, serving the status page. Catches a
// file the build makes but the package leaves out (the page's assets, the
// migrations, the example config).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, it } from 'node:test';
import { ROOT, childEnv, startDaemon, tempDir } from '../support/daemon.js';

/** npm as `npm test` runs it (npm_execpath), else the one on PATH. */
function npm(args: string[], cwd: string): string {
  const execPath = process.env.npm_execpath;
  return execPath?.endsWith('.js')
    ? execFileSync(process.execPath, [execPath, ...args], { cwd, encoding: 'utf8' })
    : execFileSync('npm', args, { cwd, encoding: 'utf8' });
}

const dirs: string[] = [];
after(() => {
  if (!process.env.KEEP_TEST_DIRS) for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

it('the packed tarball installs globally, and its cronkeeper command validates and runs the example config', async () => {
  const work = tempDir('package');
  dirs.push(work);
  // --ignore-scripts: `npm test` built dist already; prepack's rebuild would rewrite it under the
  // daemons of the test files running beside this one.
  const packed = npm(['pack', '--silent', '--ignore-scripts', '--pack-destination', work], ROOT)
    .trim()
    .split('\n')
    .pop()!;
  // Installed globally (npm install -g), into a prefix of its own; the dependencies come from npm's
  // cache, filled by the install of this tree.
  const prefix = path.join(work, 'prefix');
  const app = path.join(work, 'app');
  fs.mkdirSync(app);
  npm(
    [
      'install',
      '-g',
      '--prefix',
      prefix,
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
      path.join(work, packed),
    ],
    work,
  );

  const bin = path.join(prefix, 'bin/cronkeeper');
  const installed = path.join(prefix, 'lib/node_modules/cronkeeper');
  const version = (
    JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }
  ).version;
  assert.equal(execFileSync(bin, ['--version'], { encoding: 'utf8', env: childEnv() }).trim(), version);

  // The example config, copied out as a user would (its store and spool are relative to it).
  fs.cpSync(path.join(installed, 'config'), path.join(app, 'config'), { recursive: true });
  const config = path.join(app, 'config/cronkeeper.yaml');
  const validated = execFileSync(bin, ['validate', '--config', config], {
    encoding: 'utf8',
    env: childEnv(),
  });
  assert.match(validated, /valid, \d+ job\(s\)/);

  const daemon = startDaemon(
    config,
    {},
    {
      cli: path.join(installed, 'dist/cli.js'),
      args: ['--insecure-config'],
    },
  );
  try {
    const listening = await daemon.waitForLog((l) => l.msg === 'http listening', 60_000);
    await daemon.waitForLog((l) => l.msg === 'ready: scheduling', 60_000);
    const base = `http://127.0.0.1:${listening.port as number}`;
    const page = await fetch(`${base}/`);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /<title>[^<]*cronkeeper/i);
    assert.match(html, /<style>/, 'the page carries its stylesheet');
    const status = await fetch(`${base}/status`);
    assert.equal(status.status, 200);
    const doc = (await status.json()) as { jobs: Array<{ name: string }> };
    assert.ok(
      doc.jobs.some((j) => j.name === 'heartbeat'),
      'the example config is what runs',
    );
    daemon.proc.kill('SIGTERM');
    assert.equal(await daemon.exited, 0);
  } finally {
    daemon.proc.kill('SIGKILL');
  }
});
