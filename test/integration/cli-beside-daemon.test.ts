// The CLI in a second terminal while the daemon runs on the embedded store
// (the README's first command): every command that needs the store is carried
// out by the daemon over its command socket, with the same output and exit
// status as against Postgres; the socket is the daemon user's alone, a bad
// request gets an answer and blocks nothing; output into a closed pipe ends
// quietly; once the daemon stops, the CLI opens the store itself.
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { CLI, childEnv, waitFor } from '../support/daemon.js';
import { createHarness } from '../support/harness.js';

const h = createHarness();

test('every command works beside a running embedded-store daemon', async () => {
  const dir = h.tempDir('cli-beside');
  const config = path.join(dir, 'cronkeeper.yaml');
  fs.writeFileSync(
    config,
    `store: { path: ./store }
http: { listen: "127.0.0.1:0" }
jobs:
  tick:
    every: 1s
    command: ["/bin/sh", "-c", "echo tick"]
  nightly:
    schedule: "0 2 * * *"
    command: ["/bin/sh", "-c", "echo nightly"]
`,
  );
  const { DATABASE_URL: _a, CRONKEEPER_DATABASE_URL: _b, ...env } = childEnv();
  const cli = (...args: string[]): SpawnSyncReturns<string> => {
    const r = spawnSync(process.execPath, [CLI, ...args, '--config', config], {
      env,
      encoding: 'utf8',
      timeout: 60_000,
    });
    if (r.error) throw r.error;
    return r;
  };
  const show = (r: SpawnSyncReturns<string>) =>
    `exit ${r.status}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
  const ok = (...args: string[]) => {
    const r = cli(...args);
    assert.equal(r.status, 0, `${args.join(' ')}: ${show(r)}`);
    assert.doesNotMatch(r.stderr, /in use by another|\n\s+at /, `${args.join(' ')}: ${show(r)}`);
    return r;
  };

  const d = h.startDaemon(config, { CRONKEEPER_NODE_ID: 'solo' });
  await d.waitForLog((l) => l.msg === 'ready: scheduling', 30_000);
  const socket = path.join(dir, 'store', 'cronkeeper.sock');
  assert.equal(fs.statSync(socket).mode & 0o777, 0o600, 'the socket is the daemon user’s alone');
  await waitFor(() => /"outcome": "success"/.test(cli('runs', '--json').stdout), 15_000, 'a run of tick');

  // status: the daemon itself is the live leader.
  const status = JSON.parse(ok('status', '--json').stdout) as {
    leader: { nodeId: string; alive: boolean };
    nodes: Array<{ nodeId: string; role: string }>;
  };
  assert.equal(status.leader.nodeId, 'solo');
  assert.equal(status.leader.alive, true);
  assert.deepEqual(
    status.nodes.map((n) => [n.nodeId, n.role]),
    [['solo', 'leader']],
  );
  assert.match(ok('status').stdout, /^leader: solo, epoch 1, leading for/m);

  // jobs: sorted by the next run, tick (every second) before nightly.
  const jobs = ok('jobs').stdout.trim().split('\n');
  assert.match(jobs[0]!, /^NEXT \(UTC\)\s+LEFT\s+LAST \(UTC\)\s+PASSED\s+JOB\s+LAST OUTCOME\s+RUNNING/);
  assert.match(jobs[1]!, /\btick\s+success\b/);
  assert.match(jobs[2]!, /\bnightly\b/);

  // Reads.
  const runs = JSON.parse(ok('runs', '--job', 'tick', '--json').stdout) as Array<{
    kind: string;
    id?: number;
  }>;
  const run = runs.find((r) => r.id !== undefined)!;
  assert.match(ok('runs', 'show', String(run.id)).stdout, /tick/);
  assert.match(ok('snapshots', 'list').stdout, /^ID/m);
  assert.match(ok('plan').stdout, /^catch-up at /m);
  ok('migrate');

  // Controls, carried out by the daemon at once, recorded with the asking user.
  assert.match(ok('pause', 'nightly', '--reason', 'beside').stdout, /^paused 'nightly'/m);
  assert.doesNotMatch(ok('resume', 'nightly').stdout, /no daemon is leading/);
  const trigger = ok('trigger', 'nightly');
  assert.doesNotMatch(trigger.stdout, /no daemon is leading/);
  await waitFor(
    () => /"manual": true/.test(cli('runs', '--job', 'nightly', '--json').stdout),
    15_000,
    'the manual run of nightly',
  );
  assert.match(
    ok('backfill', 'nightly', '--from', '2026-01-01T00:00:00Z', '--to', '2026-01-03T00:00:00Z', '--dry-run')
      .stdout,
    /2 would run/,
  );
  const audit = JSON.parse(ok('audit', '--json').stdout) as Array<{ action: string; by: { user: string } }>;
  assert.deepEqual(audit.map((a) => a.action).sort(), ['pause', 'resume', 'trigger']);

  // Exit statuses are the command's: a usage error is 64, an unknown run 1.
  assert.equal(cli('runs', 'show', '999999').status, 1);
  assert.equal(cli('pause', 'nosuch').status, 64);
  // A listing the daemon carries out is bounded: its embedded store answers on its event loop.
  const huge = cli('runs', '--limit', '1000000');
  assert.equal(huge.status, 64);
  assert.match(huge.stderr, /--limit: at most 10000 rows through the running daemon/);

  // A bad request gets an answer and blocks nothing; a client that sends nothing is cut off.
  const silent = net.connect(socket);
  const garbage = await new Promise<string>((resolve) => {
    const c = net.connect(socket, () => c.write('not json\n'));
    let got = '';
    c.on('data', (b) => (got += b.toString()));
    c.on('close', () => resolve(got));
  });
  assert.match(garbage, /"exit":64/);
  ok('status');
  const cutOff = await new Promise<boolean>((resolve) => silent.on('close', () => resolve(true)));
  assert.ok(cutOff);

  // Into a pipe whose reader left: quiet, the command's own status.
  const piped = spawnSync(
    '/bin/sh',
    [
      '-c',
      `"${process.execPath}" "${CLI}" runs --limit 500 --config "${config}" | head -1; exit \${PIPESTATUS:-0}`,
    ],
    {
      env,
      encoding: 'utf8',
    },
  );
  assert.doesNotMatch(piped.stderr, /EPIPE|\n\s+at /, piped.stderr);
  assert.match(piped.stdout, /^ID\s+JOB/);

  // logs: the kept output of the newest runs, oldest first, each under its heading. The newest
  // may still be running (tick runs every second): it is shown as it stands.
  const logs = ok('logs', 'tick', '-n', '2');
  const headings = logs.stdout.match(/^-- run #\d+ of tick, slot \S+ \(scheduled\): .* --$/gm) ?? [];
  assert.equal(headings.length, 2, logs.stdout);
  const ended = headings.filter((h) => /: success \(exit 0, \d+ms\) --$/.test(h)).length;
  assert.ok(
    ended >= 1 && headings.every((h) => /: (success \(exit 0, \d+ms\)|claimed|running) --$/.test(h)),
    logs.stdout,
  );
  assert.ok((logs.stdout.match(/^tick$/gm) ?? []).length >= ended, logs.stdout);

  // runs --follow: new runs and their outcomes as they happen, one JSON object a line; it ends
  // quietly when its reader goes (head), with no stack trace.
  const follow = spawnSync(
    '/bin/sh',
    [
      '-c',
      `"${process.execPath}" "${CLI}" runs --follow --job tick --limit 1 --json --config "${config}" | head -6`,
    ],
    { env, encoding: 'utf8', timeout: 30_000 },
  );
  assert.equal(follow.signal, null, 'the follow ended by itself once head left');
  assert.doesNotMatch(follow.stderr, /EPIPE|\n\s+at /, follow.stderr);
  const events = follow.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { id: number; state: string; job: string });
  assert.equal(events.length, 6);
  assert.ok(events.every((e) => e.job === 'tick'));
  assert.ok(
    events.some((e) => e.state === 'success'),
    'an outcome is followed',
  );
  const ids = new Set(events.map((e) => e.id));
  assert.ok(ids.size >= 2, 'new runs are followed');

  // Stopped: the socket is gone and the CLI opens the store itself — no live leader, exit 2.
  d.proc.kill('SIGTERM');
  assert.equal(await d.exited, 0);
  assert.equal(fs.existsSync(socket), false);
  const after = cli('status');
  assert.equal(after.status, 2, show(after));
  assert.match(after.stdout, /^no live leader: solo, epoch 1/m);
});
