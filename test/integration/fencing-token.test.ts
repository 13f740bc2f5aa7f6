// The fencing token reaches the job: under an HA pair on a real Postgres, each
// run's CRONKEEPER_EPOCH is the epoch of the leader that runs it (higher after
// a takeover, so downstream can reject a stale leader's writes), and its
// CRONKEEPER_SLOT is the slot key the ledger holds (the same on every node).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import pg from 'pg';
import { slotKey } from '../../src/store/ledger.js';
import { waitFor } from '../support/daemon.js';
import { createHarness } from '../support/harness.js';

interface TokenLine {
  slot: string;
  epoch: number;
  runId: number;
  manual: string;
  node: string;
  catchup: string;
}

function readTokens(file: string): TokenLine[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const [slot, epoch, runId, manual, node, catchup] = l.split(' ');
      return {
        slot: slot!,
        epoch: Number(epoch),
        runId: Number(runId),
        manual: manual!,
        node: node!,
        catchup: catchup!,
      };
    });
}

const h = createHarness();

test('CRONKEEPER_EPOCH increases across a takeover; CRONKEEPER_SLOT is the ledger slot key', async () => {
  const dir = h.tempDir('fencing-token');
  const db = await h.database();
  const out = path.join(dir, 'out.txt');
  const config = path.join(dir, 'cronkeeper.yaml');
  const record = `echo "$CRONKEEPER_SLOT $CRONKEEPER_EPOCH $CRONKEEPER_RUN_ID $CRONKEEPER_MANUAL $CRONKEEPER_NODE_ID $CRONKEEPER_CATCHUP" >> '${out}'`;
  fs.writeFileSync(
    config,
    `store: { url: "${db.url}" }
ha: { lease: 2s }
jobs:
  tick:
    schedule: "* * * * * *"
    catchup: all
    maxCatchup: 1000
    command: ["/bin/sh", "-c", ${JSON.stringify(record)}]
`,
  );
  const a = h.startDaemon(config, { CRONKEEPER_NODE_ID: 'node-a' });
  await a.waitForLog((l) => l.msg === 'ready: scheduling', 30_000);
  const b = h.startDaemon(config, { CRONKEEPER_NODE_ID: 'node-b' });
  await b.waitForLog(
    (l) => l.msg === 'another node leads: standing by until the leader lock is free',
    30_000,
  );
  await waitFor(() => readTokens(out).length >= 3, 15_000, 'runs by node-a');

  a.proc.kill('SIGKILL');
  await a.exited;
  await b.waitForLog((l) => l.msg === 'ready: scheduling', 20_000);
  await waitFor(
    () => readTokens(out).filter((t) => t.node === 'node-b').length >= 3,
    15_000,
    'runs by node-b',
  );
  b.proc.kill('SIGTERM');
  assert.equal(await b.exited, 0);

  const tokens = readTokens(out);
  const byA = tokens.filter((t) => t.node === 'node-a');
  const byB = tokens.filter((t) => t.node === 'node-b');
  assert.ok(byA.length >= 3 && byB.length >= 3);
  const epochA = byA[0]!.epoch;
  const epochB = byB[0]!.epoch;
  assert.ok(epochA >= 1);
  assert.ok(
    byA.every((t) => t.epoch === epochA),
    'one epoch for the whole term of node-a',
  );
  assert.ok(
    byB.every((t) => t.epoch === epochB),
    'one epoch for the whole term of node-b',
  );
  assert.ok(epochB > epochA, `the new leader's epoch ${epochB} is above the old one's ${epochA}`);
  assert.ok(tokens.every((t) => t.manual === '0'));
  assert.equal(new Set(tokens.map((t) => t.slot)).size, tokens.length, 'one run per slot key');

  // The key and the epoch are the ledger's: the row each run stands for.
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    // The epoch is the one of the attempt the job ran as: a run of node-a still in progress at its
    // SIGKILL is adopted by node-b (recorded interrupted), which moves the run row to its epoch.
    const rows = await client.query<{
      id: string;
      job: string;
      scheduled_at: Date;
      epoch: string;
      catchup: boolean;
    }>(
      `SELECT r.id, r.job, r.scheduled_at, a.epoch, r.catchup
       FROM cronkeeper_runs r JOIN cronkeeper_attempts a ON a.run_id = r.id AND a.attempt = 1
       WHERE r.id = ANY($1::bigint[])`,
      [tokens.map((t) => t.runId)],
    );
    const ledger = new Map(rows.rows.map((r) => [Number(r.id), r]));
    for (const t of tokens) {
      const row = ledger.get(t.runId);
      assert.ok(row, `run ${t.runId} is in the ledger`);
      assert.equal(t.slot, slotKey(row.job, row.scheduled_at.getTime()));
      assert.match(t.slot, /^tick@\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
      assert.equal(t.epoch, Number(row.epoch), `run ${t.runId} ran under the epoch the ledger holds`);
      // What the job was told is what the ledger says: a slot node-a claimed ahead and node-b ran late
      // is a catch-up run in both.
      assert.equal(
        row.catchup,
        t.catchup === '1',
        `run ${t.runId}: CRONKEEPER_CATCHUP ${t.catchup}, ledger ${row.catchup}`,
      );
    }
  } finally {
    await client.end();
  }
});
