// `cronkeeper status` tells the truth about who leads, from facts (the leader
// lock, a heartbeat within the lease), on a real Postgres: a SIGKILLed only
// daemon is "no live leader" within the lease (exit 2) and its node "gone"; a
// graceful stop is "stopped" at once; after a takeover in a pair the roles are
// the new ones; a failing job makes the exit status 1.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { CLI, childEnv, waitFor } from '../support/daemon.js';
import { createHarness } from '../support/harness.js';

const h = createHarness();
const LEASE_MS = 3_000;

interface StatusDoc {
  leader: {
    nodeId: string;
    epoch: number;
    alive: boolean;
    why: string | null;
    heartbeatAgeMs: number | null;
  } | null;
  nodes: Array<{ nodeId: string; role: string }>;
  jobs: Array<{ name: string; failing: boolean; stale: boolean }>;
}

function status(config: string, json = true): { code: number | null; doc: StatusDoc | null; text: string } {
  const r = spawnSync(process.execPath, [CLI, 'status', '--config', config, ...(json ? ['--json'] : [])], {
    env: childEnv(),
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (r.error) throw r.error;
  return {
    code: r.status,
    doc: json ? (JSON.parse(r.stdout) as StatusDoc) : null,
    text: r.stdout + r.stderr,
  };
}

async function setUp(jobs: string): Promise<string> {
  const dir = h.tempDir('status-liveness');
  const db = await h.database();
  const config = path.join(dir, 'cronkeeper.yaml');
  fs.writeFileSync(config, `store: { url: "${db.url}" }\nha: { lease: ${LEASE_MS / 1000}s }\njobs:\n${jobs}`);
  return config;
}

const FINE = `  fine:\n    every: 1s\n    command: ["/bin/true"]\n`;
const roles = (doc: StatusDoc | null) => Object.fromEntries(doc!.nodes.map((n) => [n.nodeId, n.role]));

test('SIGKILL of the only leader: no live leader within the lease, exit 2; its node is gone', async () => {
  const config = await setUp(FINE);
  const d = h.startDaemon(config, { CRONKEEPER_NODE_ID: 'node-a' });
  await d.waitForLog((l) => l.msg === 'ready: scheduling', 30_000);
  await waitFor(() => status(config).code === 0, 10_000, 'status exit 0 while it leads');
  const live = status(config);
  assert.equal(live.doc!.leader!.alive, true);
  assert.equal(live.doc!.leader!.nodeId, 'node-a');
  assert.equal(roles(live.doc)['node-a'], 'leader');
  assert.match(status(config, false).text, /^leader: node-a, epoch \d+, leading for/m);

  d.proc.kill('SIGKILL');
  await d.exited;
  const killedAt = Date.now();
  // Postgres frees the lock with the session: the CLI must say so within the lease + 1 s.
  await waitFor(() => status(config).code === 2, LEASE_MS + 1_000, 'exit 2 after the kill');
  assert.ok(Date.now() - killedAt <= LEASE_MS + 1_000);
  const dead = status(config);
  assert.equal(dead.doc!.leader!.alive, false);
  assert.equal(dead.doc!.leader!.nodeId, 'node-a');
  assert.ok(dead.doc!.leader!.why);
  const text = status(config, false);
  assert.equal(text.code, 2);
  assert.match(text.text, /^no live leader: node-a, epoch \d+, last heartbeat \S+ ago \(/m);
  // Silent for two leases and a second: gone, not "leader".
  await waitFor(() => roles(status(config).doc)['node-a'] === 'gone', 3 * LEASE_MS + 3_000, 'node gone');
});

test('graceful stop: no live leader at once and the node is stopped; a failing job is exit 1', async () => {
  const config = await setUp(`${FINE}  broken:\n    every: 1s\n    command: ["/bin/sh", "-c", "exit 3"]\n`);
  const d = h.startDaemon(config, { CRONKEEPER_NODE_ID: 'node-a' });
  await d.waitForLog((l) => l.msg === 'ready: scheduling', 30_000);
  await waitFor(() => status(config).doc!.jobs.some((j) => j.failing), 10_000, 'the failing job seen');
  const failing = status(config);
  assert.equal(failing.code, 1, 'a live leader and a failing job: exit 1');
  assert.deepEqual(Object.fromEntries(failing.doc!.jobs.map((j) => [j.name, j.failing])), {
    fine: false,
    broken: true,
  });
  assert.match(status(config, false).text, /^broken: failing: its last run \(.+\) ended failure$/m);

  d.proc.kill('SIGTERM');
  assert.equal(await d.exited, 0);
  const after = status(config);
  assert.equal(after.code, 2, 'no live leader outranks a failing job');
  assert.equal(after.doc!.leader!.alive, false);
  assert.equal(roles(after.doc)['node-a'], 'stopped');
});

test('a pair after takeover: the new leader leads, the killed one is gone, roles follow', async () => {
  const config = await setUp(FINE);
  const a = h.startDaemon(config, { CRONKEEPER_NODE_ID: 'node-a' });
  await a.waitForLog((l) => l.msg === 'ready: scheduling', 30_000);
  const b = h.startDaemon(config, { CRONKEEPER_NODE_ID: 'node-b' });
  await b.waitForLog(
    (l) => l.msg === 'another node leads: standing by until the leader lock is free',
    30_000,
  );
  await waitFor(() => roles(status(config).doc)['node-b'] === 'standby', 10_000, 'node-b recorded');
  assert.deepEqual(roles(status(config).doc), { 'node-a': 'leader', 'node-b': 'standby' });

  a.proc.kill('SIGKILL');
  await a.exited;
  await b.waitForLog((l) => l.msg === 'ready: scheduling', 15_000);
  await waitFor(
    () => {
      const s = status(config);
      return s.code === 0 && s.doc!.leader!.nodeId === 'node-b' && roles(s.doc)['node-a'] === 'gone';
    },
    3 * LEASE_MS + 5_000,
    'node-b leads, node-a gone',
  );
  const s = status(config);
  assert.equal(s.doc!.leader!.alive, true);
  assert.deepEqual(roles(s.doc), { 'node-a': 'gone', 'node-b': 'leader' });
  b.proc.kill('SIGTERM');
  assert.equal(await b.exited, 0);
});
