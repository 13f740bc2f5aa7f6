// An HA pair on a real Postgres, with the real daemon processes: the leader is
// killed, frozen, or the database restarted under both — and every slot of a
// per-second job still runs exactly once.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { startCluster, type PgCluster } from '../../scripts/pg-cluster.js';
import { type DaemonProcess, readOutput, recordingCommand, sleep, waitFor } from '../support/daemon.js';
import { createHarness } from '../support/harness.js';

function writeConfig(dir: string, url: string, out: string): string {
  const file = path.join(dir, 'cronkeeper.yaml');
  fs.writeFileSync(
    file,
    `store: { url: "${url}" }
ha: { lease: 2s }
snapshot: { interval: 2s }
jobs:
  tick:
    schedule: "* * * * * *"
    catchup: all
    maxCatchup: 1000
    command: ${JSON.stringify(recordingCommand(out))}
`,
  );
  return file;
}

/** Every slot from the first to the last exactly once. */
function assertExactlyOnce(out: string): string[] {
  const times = readOutput(out)
    .map((o) => o.scheduledAt)
    .sort();
  assert.equal(new Set(times).size, times.length, `a slot ran twice: ${times.join(' ')}`);
  for (let i = 1; i < times.length; i++) {
    assert.equal(
      Date.parse(times[i]!) - Date.parse(times[i - 1]!),
      1000,
      `slots missing after ${times[i - 1]}`,
    );
  }
  return times;
}

const h = createHarness();

async function startPair(config: string): Promise<{ leader: DaemonProcess; standby: DaemonProcess }> {
  const a = h.startDaemon(config, { CRONKEEPER_NODE_ID: 'node-a' });
  await a.waitForLog((l) => l.msg === 'ready: scheduling', 30_000);
  const b = h.startDaemon(config, { CRONKEEPER_NODE_ID: 'node-b' });
  await b.waitForLog(
    (l) => l.msg === 'another node leads: standing by until the leader lock is free',
    30_000,
  );
  return { leader: a, standby: b };
}

const isLeading = (l: { msg?: string }) => l.msg === 'ready: scheduling';

describe('HA pair', () => {
  let cluster: PgCluster | undefined;
  h.defer(() => cluster?.destroy());
  const setUp = async (name: string, url?: string) => {
    const dir = h.tempDir(name);
    if (!url) {
      const db = await h.database();
      url = db.url;
    }
    const out = path.join(dir, 'out.txt');
    return { out, config: writeConfig(dir, url, out) };
  };

  test('SIGKILL of the leader: the standby takes over; every slot once', async () => {
    const { out, config } = await setUp('ha-kill');
    const { leader, standby } = await startPair(config);
    await waitFor(() => readOutput(out).length >= 3, 10_000, 'runs by the leader');
    leader.proc.kill('SIGKILL');
    await leader.exited;
    const killedAt = Date.now();
    await standby.waitForLog(isLeading, 15_000);
    await waitFor(
      () => readOutput(out).filter((o) => Date.parse(o.scheduledAt) > killedAt + 1000).length >= 2,
      15_000,
      'runs by the new leader',
    );
    standby.proc.kill('SIGTERM');
    assert.equal(await standby.exited, 0);
    assertExactlyOnce(out);
  });

  test('SIGSTOP of the leader: it loses leadership; after SIGCONT it claims nothing and stands by', async () => {
    const { out, config } = await setUp('ha-freeze');
    const { leader, standby } = await startPair(config);
    await waitFor(() => readOutput(out).length >= 3, 10_000, 'runs by the leader');
    leader.proc.kill('SIGSTOP');
    const frozenAt = Date.now();
    const took = await standby.waitForLog(isLeading, 20_000);
    assert.ok(took, 'the standby leads while the old leader is frozen');
    await waitFor(
      () => readOutput(out).filter((o) => Date.parse(o.scheduledAt) > frozenAt + 5_000).length >= 2,
      20_000,
      'runs by the new leader',
    );
    const startedBeforeResume = leader.logs.filter((l) => l.msg === 'run started').length;
    leader.proc.kill('SIGCONT');
    await leader.waitForLog((l) => l.msg === 'contending for leadership again', 15_000);
    await leader.waitForLog(
      (l) => l.msg === 'another node leads: standing by until the leader lock is free',
      15_000,
    );
    await sleep(2_000);
    assert.equal(
      leader.logs.filter((l) => l.msg === 'run started').length,
      startedBeforeResume,
      'the resumed old leader starts no run',
    );
    for (const d of [leader, standby]) d.proc.kill('SIGTERM');
    assert.deepEqual(await Promise.all([leader.exited, standby.exited]), [0, 0]);
    assertExactlyOnce(out);
  });

  test('Postgres restarted under both: both survive, one leads again; every slot once', async () => {
    cluster = await startCluster();
    const { out, config } = await setUp('ha-pg-restart', cluster.url);
    const { leader, standby } = await startPair(config);
    await waitFor(() => readOutput(out).length >= 3, 10_000, 'runs before the restart');
    const before = readOutput(out).length;
    cluster.restart();
    const restartedAt = Date.now();
    await waitFor(
      () => [leader, standby].some((d) => d.logs.filter(isLeading).length >= (d === leader ? 2 : 1)),
      30_000,
      'a node leading again after the restart',
    );
    await waitFor(
      () => readOutput(out).filter((o) => Date.parse(o.scheduledAt) > restartedAt + 2_000).length >= 2,
      20_000,
      'runs after the restart',
    );
    assert.ok(readOutput(out).length > before);
    assert.equal(leader.proc.exitCode, null, 'node-a survived the restart');
    assert.equal(standby.proc.exitCode, null, 'node-b survived the restart');
    for (const d of [leader, standby]) d.proc.kill('SIGTERM');
    assert.deepEqual(await Promise.all([leader.exited, standby.exited]), [0, 0]);
    assertExactlyOnce(out);
  });
});
