// An HA pair whose nodes have different homes (host and spool: here, two
// spools on one machine, which no node can read of the other): the leader is
// SIGKILLed while a job runs. The new leader leaves the run to its home instead
// of deciding it interrupted; a daemon back at that home adopts it and records
// how it really ended. A home that never comes back is given up after
// ha.hostWait, and onInterrupted decides (recovery host-lost).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { openPostgres } from '../../src/store/open-postgres.js';
import { type DaemonProcess, sleep, waitFor } from '../support/daemon.js';
import { createHarness } from '../support/harness.js';

const h = createHarness();

const STANDING_BY = 'another node leads: standing by until the leader lock is free';

/** One config per node: the same jobs and database, each its own spool. */
function writeConfigs(dir: string, url: string, hostWait: string, billing: string): [string, string] {
  return (['a', 'b'] as const).map((node) => {
    const file = path.join(dir, `node-${node}.yaml`);
    fs.writeFileSync(
      file,
      `store: { url: "${url}" }
spool: { path: "${path.join(dir, `spool-${node}`)}" }
ha: { lease: 2s, hostWait: ${hostWait} }
jobs:
  billing:
    schedule: "0 2 1 1 *"
    backfillFrom: "2026-01-01T00:00:00Z"
    catchupWindow: 3650d
${billing}
`,
    );
    return file;
  }) as [string, string];
}

/** Four seconds of work, printing as it goes; a line in `marks` at its start and its end. */
const billingScript = (marks: string) =>
  `    command: ["/bin/sh", "-c", "echo start >> '${marks}'; for i in 1 2 3 4 5 6 7 8; do echo step $i; sleep 0.5; done; echo done >> '${marks}'; echo invoices sent"]`;

function start(config: string, node: string): DaemonProcess {
  return h.startDaemon(config, { CRONKEEPER_NODE_ID: node });
}

async function billingRow(url: string) {
  const db = await openPostgres({ url });
  try {
    const rows = await db.query<{
      outcome: string | null;
      recovery: string | null;
      output_tail: string | null;
      attempts: number;
    }>("SELECT outcome, recovery, output_tail, attempts FROM cronkeeper_runs WHERE job = 'billing'");
    assert.equal(rows.length, 1, 'one run of the slot');
    return rows[0]!;
  } finally {
    await db.close();
  }
}

/** A starts the job, B stands by, A is SIGKILLed mid-job, B leads. */
async function killLeaderMidJob(dir: string, hostWait: string, script = billingScript) {
  const db = await h.database();
  const marks = path.join(dir, 'marks.txt');
  const [configA, configB] = writeConfigs(dir, db.url, hostWait, script(marks));
  const a = start(configA, 'node-a');
  await waitFor(() => fs.existsSync(marks), 60_000, 'the job to start on node a');
  const b = start(configB, 'node-b');
  await b.waitForLog((l) => l.msg === STANDING_BY, 30_000);
  a.proc.kill('SIGKILL');
  await a.exited;
  await b.waitForLog((l) => l.msg === 'leading', 30_000);
  await b.waitForLog(
    (l) => l.msg === 'run in flight on another host: left for a daemon there to adopt (ha.hostWait)',
    30_000,
  );
  return { url: db.url, marks, configA, b };
}

test('a run left on the dead leader’s host is adopted there when its daemon comes back', async () => {
  const dir = h.tempDir('ha-home-back');
  const { url, marks, configA, b } = await killLeaderMidJob(dir, '5m');
  await sleep(1_000);
  // The new leader cannot read node a's spool: it decides nothing, runs nothing.
  assert.deepEqual(
    { ...(await billingRow(url)) },
    { outcome: null, recovery: 'awaiting-home', output_tail: null, attempts: 1 },
  );
  const a2 = start(configA, 'node-a');
  await a2.waitForLog((l) => l.msg === STANDING_BY, 30_000);
  await waitFor(async () => (await billingRow(url)).outcome !== null, 30_000, 'the run to be recorded');
  const row = await billingRow(url);
  assert.equal(row.outcome, 'success');
  assert.equal(row.recovery, 'adopted');
  assert.match(row.output_tail ?? '', /step 8\ninvoices sent\n$/);
  // From the job's own output: it ran once, to its end.
  assert.deepEqual(fs.readFileSync(marks, 'utf8').trim().split('\n'), ['start', 'done']);
  assert.ok(a2.logs.some((l) => l.msg === 'run adopted: started by a daemon that is gone, still running'));
  assert.ok(!b.logs.some((l) => String(l.msg).startsWith('run interrupted')));
});

test('a run whose host never comes back is given up after ha.hostWait: onInterrupted decides', async () => {
  const dir = h.tempDir('ha-home-lost');
  const { url, b } = await killLeaderMidJob(dir, '4s');
  const waitingSince = Date.now();
  await sleep(1_500);
  assert.equal((await billingRow(url)).outcome, null, 'given up before ha.hostWait');
  const line = await b.waitForLog((l) => String(l.msg).startsWith('run interrupted'), 30_000);
  assert.ok(Date.now() - waitingSince >= 3_000, 'given up before ha.hostWait');
  assert.equal(line.recovery, 'host-lost');
  const row = await billingRow(url);
  assert.deepEqual([row.outcome, row.recovery], ['interrupted', 'host-lost']);
});

test('an attempt that fails on its host while no leader owns it is retried by the leader', async () => {
  const dir = h.tempDir('ha-home-retry');
  // The first attempt works 3 s and fails; the second (a marker says it is one) succeeds.
  const failOnce = (marks: string) => `    retries: { max: 1, backoff: 1s }
    command: ["/bin/sh", "-c", "echo start >> '${marks}'; if [ -e '${marks}.failed' ]; then echo again; exit 0; fi; sleep 3; touch '${marks}.failed'; echo failed; exit 1"]`;
  const { url, marks, configA, b } = await killLeaderMidJob(dir, '5m', failOnce);
  const a2 = start(configA, 'node-a');
  await a2.waitForLog((l) => l.msg === STANDING_BY, 30_000);
  await waitFor(async () => (await billingRow(url)).outcome !== null, 30_000, 'the run to be recorded');
  const row = await billingRow(url);
  assert.deepEqual([row.outcome, row.attempts], ['success', 2]);
  assert.equal(row.output_tail, 'again\n');
  assert.deepEqual(fs.readFileSync(marks, 'utf8').trim().split('\n'), ['start', 'start']);
  // The retry is the leader's: run by node b, after node a reported the failed attempt.
  assert.ok(b.logs.some((l) => l.msg === 'attempt ended on its host while no leader owned it: retrying'));
  assert.ok(b.logs.some((l) => l.msg === 'run started' && l.attempt === 2));
});
