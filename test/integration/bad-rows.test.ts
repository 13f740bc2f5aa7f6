// Rows the daemon did not write itself may hold anything: a control request
// whose args are JSON null, 'infinity' in a pause or ledger timestamp. None may
// crash a start or stall what comes after it: the daemon starts, becomes
// ready, runs a per-second job, carries out the valid request queued behind
// the bad ones, and reports each bad row. On both stores (pg and PGlite give
// 'infinity' back as a number, not a Date).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { openEmbedded } from '../../src/store/open-embedded.js';
import { openPostgres } from '../../src/store/open-postgres.js';
import { migrate } from '../../src/store/migrate.js';
import type { Db } from '../../src/store/db.js';
import { waitFor } from '../support/daemon.js';
import { createHarness } from '../support/harness.js';

const h = createHarness();

interface Store {
  yaml: string;
  open: () => Promise<Db>;
}

/** Poison rows, then one valid trigger queued behind the bad requests. */
async function insertBadRows(db: Db): Promise<void> {
  await db.exec(`
    INSERT INTO cronkeeper_controls (action, job, args, requested_by, host)
      VALUES ('trigger', 'tick', 'null', 'mallory', 'h'),
             ('backfill', 'tick', '[1, 2]', 'mallory', 'h'),
             ('backfill', 'tick', '{"from": 5, "to": null}', 'mallory', 'h');
    INSERT INTO cronkeeper_controls (action, job, args, requested_by, host, requested_at)
      VALUES ('trigger', 'tick', '{}', 'mallory', 'h', 'infinity');
    INSERT INTO cronkeeper_controls (action, job, args, requested_by, host)
      VALUES ('trigger', 'tick', '{}', 'alice', 'h');
    INSERT INTO cronkeeper_job_controls (job, paused, paused_at, reason, paused_by, resumed_at)
      VALUES ('tick', false, 'infinity', 'x', 'mallory', '-infinity'),
             ('held', true, '-infinity', 'hold', 'mallory', NULL);
    INSERT INTO cronkeeper_runs (job, scheduled_at, catchup, epoch, node_id)
      VALUES ('tick', 'infinity', false, 0, 'gone');
    INSERT INTO cronkeeper_runs (job, scheduled_at, catchup, epoch, node_id, outcome)
      VALUES ('tick', '-infinity', false, 0, 'gone', 'success'),
             ('held', '294276-01-01', false, 0, 'gone', 'success');
    INSERT INTO cronkeeper_slot_gaps (job, reason, first_slot, last_slot, slots, exact, epoch, node_id)
      VALUES ('tick', 'skipped', '-infinity', 'infinity', 1, true, 0, 'gone');
  `);
}

function writeConfig(dir: string, store: Store): { config: string; tick: string; held: string } {
  const tick = path.join(dir, 'tick.txt');
  const held = path.join(dir, 'held.txt');
  const job = (file: string) =>
    `{ every: 1s, catchup: none, command: ["/bin/sh", "-c", "echo \\"$CRONKEEPER_SCHEDULED_AT $CRONKEEPER_MANUAL\\" >> '${file}'"] }`;
  const config = path.join(dir, 'cronkeeper.yaml');
  fs.writeFileSync(config, `${store.yaml}\njobs:\n  tick: ${job(tick)}\n  held: ${job(held)}\n`);
  return { config, tick, held };
}

const lines = (file: string) =>
  fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim().split('\n').filter(Boolean) : [];

async function checkBadRows(dir: string, store: Store): Promise<void> {
  const setup = await store.open();
  try {
    await migrate(setup);
    await insertBadRows(setup);
  } finally {
    await setup.close();
  }
  const { config, tick, held } = writeConfig(dir, store);
  const d = h.startDaemon(config);
  await d.waitForLog((l) => l.msg === 'ready: scheduling', 60_000);
  await waitFor(
    () =>
      lines(tick).filter((l) => l.endsWith(' 0')).length >= 3 && lines(tick).some((l) => l.endsWith(' 1')),
    30_000,
    'three per-second runs and the manual run',
  ).catch((err: Error) => {
    const recent = d.logs
      .filter((l) => !['run started', 'run finished', 'job output'].includes(String(l.msg)))
      .slice(-40)
      .map((l) => JSON.stringify(l));
    throw new Error(
      `${err.message}; the job wrote: ${JSON.stringify(lines(tick))}; the daemon logged:\n${recent.join('\n')}`,
    );
  });
  d.proc.kill('SIGTERM');
  assert.equal(await d.exited, 0, 'a clean stop');

  const scheduled = lines(tick).filter((l) => l.endsWith(' 0'));
  const slots = scheduled.map((l) => Date.parse(l.split(' ')[0]!));
  assert.equal(new Set(slots).size, slots.length, 'no slot ran twice');
  for (let i = 1; i < slots.length; i++)
    assert.equal(slots[i]! - slots[i - 1]!, 1000, `consecutive: ${scheduled}`);
  assert.equal(lines(tick).filter((l) => l.endsWith(' 1')).length, 1, 'the valid trigger ran once');
  assert.deepEqual(lines(held), [], 'the pause with a paused_at of -infinity holds');

  const bad = d.logs.filter((l) => l.msg === 'bad row in the store: skipped');
  const tables = new Set(bad.map((l) => l.table));
  for (const t of ['cronkeeper_controls', 'cronkeeper_job_controls', 'cronkeeper_runs']) {
    assert.ok(tables.has(t), `a bad row of ${t} is reported: ${JSON.stringify(bad)}`);
  }
  const keys = bad.map((l) => `${String(l.table)} ${String(l.row)} ${String(l.problem)}`);
  assert.equal(new Set(keys).size, keys.length, 'each bad row is reported once');

  const check = await store.open();
  try {
    const controls = await check.query<{ requested_by: string; done: boolean; result: string | null }>(
      'SELECT requested_by, done_at IS NOT NULL AS done, result FROM cronkeeper_controls ORDER BY id',
    );
    assert.equal(controls.length, 5);
    for (const c of controls.slice(0, 4)) {
      assert.ok(c.done, 'a bad request is done');
      assert.match(c.result ?? '', /^not carried out: /);
    }
    assert.match(controls[0]!.result!, /args is null, not an object/);
    assert.match(controls[3]!.result!, /requested_at is infinity/);
    assert.deepEqual({ ...controls[4] }, { requested_by: 'alice', done: true, result: 'run claimed' });
    const unfinished = await check.query<{ outcome: string; error: string }>(
      `SELECT outcome, error FROM cronkeeper_runs WHERE node_id = 'gone' AND scheduled_at = 'infinity'`,
    );
    assert.equal(unfinished[0]?.outcome, 'skipped', 'the unfinished row of infinity is recorded, not run');
    assert.match(unfinished[0]!.error, /scheduled_at is infinity/);
  } finally {
    await check.close();
  }
}

describe('bad rows cannot crash or stall the daemon', () => {
  test('postgres store', async () => {
    const dir = h.tempDir('bad-rows-pg');
    const db = await h.database();
    await checkBadRows(dir, {
      yaml: `store: { url: "${db.url}" }`,
      open: () => openPostgres({ url: db.url }),
    });
  });

  test('embedded store', async () => {
    const dir = h.tempDir('bad-rows-embedded');
    const storeDir = path.join(dir, 'store');
    await checkBadRows(dir, { yaml: `store: { path: "${storeDir}" }`, open: () => openEmbedded(storeDir) });
  });
});
