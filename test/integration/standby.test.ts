// Two daemons on one Postgres: one leads, the other stands by and claims
// nothing; when the leader stops, the standby takes over, catches up, and no
// slot runs twice. (The full HA pair — frozen leaders, lost connections — is
// built on this.)
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { CLI, readOutput, recordingCommand, waitFor } from '../support/daemon.js';
import { createHarness } from '../support/harness.js';

const h = createHarness();
const dir = h.tempDir('standby');

test('started together, one leads; the standby takes over when it stops', async () => {
  // Empty, not from the template: the two daemons starting together on a brand-new database
  // migrate it (under the migrator's advisory lock, src/store/migrate.ts) before either leads.
  const database = await h.database({ empty: true });
  const out = path.join(dir, 'out.txt');
  const config = path.join(dir, 'cronkeeper.yaml');
  fs.writeFileSync(
    config,
    `store: { url: "${database.url}" }
jobs:
  tick:
    schedule: "* * * * * *"
    catchup: all
    command: ${JSON.stringify(recordingCommand(out))}
`,
  );
  const a = h.startDaemon(config, { CRONKEEPER_NODE_ID: 'node-a' });
  const b = h.startDaemon(config, { CRONKEEPER_NODE_ID: 'node-b' });
  const nodes = [a, b];
  try {
    await Promise.any(nodes.map((d) => d.waitForLog((l) => l.msg === 'ready: scheduling', 30_000)));
    const leader = nodes.find((d) => d.logs.some((l) => l.msg === 'leading'))!;
    const standby = nodes.find((d) => d !== leader)!;
    await standby.waitForLog(
      (l) => l.msg === 'another node leads: standing by until the leader lock is free',
    );
    await waitFor(() => readOutput(out).length >= 3, 10_000, 'runs by the leader');
    assert.ok(!standby.logs.some((l) => l.msg === 'run started'), 'the standby runs nothing');

    // `cronkeeper status` sees the leader and the standby.
    const leaderId = leader === a ? 'node-a' : 'node-b';
    const standbyId = leader === a ? 'node-b' : 'node-a';
    await waitFor(() => statusOf(config).nodes.length === 2, 10_000, 'both nodes recorded');
    const status = statusOf(config);
    assert.equal(status.leader.nodeId, leaderId);
    assert.equal(status.leader.epoch, leader.logs.find((l) => l.msg === 'leading')!.epoch);
    assert.deepEqual(
      status.nodes.map((n: { nodeId: string; role: string }) => [n.nodeId, n.role]).sort(),
      [
        [leaderId, 'leader'],
        [standbyId, 'standby'],
      ].sort(),
    );
    // Both are ready: the leader caught up, the standby with its database reachable.
    for (const [d, role] of [
      [leader, 'leader'],
      [standby, 'standby'],
    ] as const) {
      const port = d.logs.find((l) => l.msg === 'http listening')!.port as number;
      await waitFor(
        async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200,
        10_000,
        `${role} ready`,
      );
      const readyz = (await (await fetch(`http://127.0.0.1:${port}/readyz`)).json()) as { role: string };
      assert.equal(readyz.role, role);
    }
    const [job] = status.jobs;
    assert.equal(job.name, 'tick');
    assert.ok(Date.parse(job.next) > Date.parse(job.last), 'the next slot comes after the last');

    leader.proc.kill('SIGTERM');
    assert.equal(await leader.exited, 0);
    const lead = await standby.waitForLog((l) => l.msg === 'leading', 15_000);
    await standby.waitForLog((l) => l.msg === 'ready: scheduling', 15_000);
    const leaderEpoch = leader.logs.find((l) => l.msg === 'leading')!.epoch as number;
    assert.ok((lead.epoch as number) > leaderEpoch, 'the new leader has a newer epoch');
    const tookOverAt = Date.now();
    await waitFor(
      () => readOutput(out).filter((o) => Date.parse(o.scheduledAt) > tookOverAt).length >= 2,
      15_000,
      'runs by the new leader',
    );
  } finally {
    for (const d of nodes) d.proc.kill('SIGTERM');
    await Promise.all(nodes.map((d) => d.exited));
  }
  const times = readOutput(out)
    .map((o) => o.scheduledAt)
    .sort();
  assert.equal(new Set(times).size, times.length, 'no slot ran twice');
  for (let i = 1; i < times.length; i++) {
    assert.equal(
      Date.parse(times[i]!) - Date.parse(times[i - 1]!),
      1000,
      `no slot missing after ${times[i - 1]}`,
    );
  }
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function statusOf(config: string): any {
  const r = spawnSync(process.execPath, [CLI, 'status', '--json', '--config', config], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}
