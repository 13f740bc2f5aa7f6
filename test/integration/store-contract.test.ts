// The store contract, on both stores with the same SQL: claims are unique per
// slot, and every write of a deposed leader (stale epoch) is refused.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import type { Db } from '../../src/store/db.js';
import { FencedError, bumpEpoch, type Fence } from '../../src/store/fence.js';
import { adoptUnfinishedRun, finishRun, readUnfinishedRuns, startAttempt } from '../../src/store/attempts.js';
import { claimSlots, cleanLedger, readLedgerTail } from '../../src/store/ledger.js';
import { migrate } from '../../src/store/migrate.js';
import { openEmbedded } from '../../src/store/open-embedded.js';
import { openPostgres } from '../../src/store/open-postgres.js';
import { insertSnapshot, listSnapshots } from '../../src/store/snapshot-rows.js';
import { cleanWorkerRecords, recordWorker } from '../../src/store/worker-records.js';
import { readSpecDifferences, saveJobSpecs } from '../../src/store/job-records.js';
import { createTestDatabase } from '../support/database.js';
import { tempDir } from '../support/daemon.js';

const T = Date.parse('2026-03-29T01:00:00Z');

const stores: Array<[string, () => Promise<{ db: Db; cleanup: () => Promise<void> }>]> = [
  [
    'postgres',
    async () => {
      // Empty: the first test applies the migrations itself.
      const tdb = await createTestDatabase({ empty: true });
      const db = await openPostgres({ url: tdb.url });
      return { db, cleanup: async () => (await db.close(), await tdb.drop()) };
    },
  ],
  [
    'embedded',
    async () => {
      const dir = tempDir('contract');
      const db = await openEmbedded(path.join(dir, 'store'));
      return {
        db,
        cleanup: async () => (await db.close(), fs.rmSync(dir, { recursive: true, force: true })),
      };
    },
  ],
];

for (const [kind, open] of stores) {
  describe(`store contract (${kind})`, () => {
    let db: Db;
    let cleanup: () => Promise<void> = async () => {};
    after(() => cleanup());

    test('migrations apply once; a second run applies nothing', async () => {
      ({ db, cleanup } = await open());
      assert.deepEqual(await migrate(db), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
      assert.deepEqual(await migrate(db), []);
    });

    test('readers: connections of their own on a server, the one queue embedded', async () => {
      const [reader] = await db.readers.query<{ name: string }>(
        `SELECT current_setting('application_name') AS name`,
      );
      const [main] = await db.query<{ name: string }>(`SELECT current_setting('application_name') AS name`);
      if (db.kind === 'postgres') {
        assert.equal(reader!.name, 'cronkeeper readers');
        assert.equal(main!.name, 'cronkeeper');
      } else {
        assert.equal(reader!.name, main!.name);
      }
    });

    let old: Fence;
    let current: Fence;
    test('a slot is claimed once; a conflicting claim is reported, not run', async () => {
      old = await bumpEpoch(db, 'node-a');
      const first = await claimSlots(db, old, [
        { job: 'billing', scheduledAtMs: T, catchup: false },
        { job: 'o\'brien "quoted", job', scheduledAtMs: T + 1000, catchup: true },
      ]);
      assert.equal(first.claimed.length, 2);
      assert.deepEqual(first.conflicts, []);
      assert.ok(first.claimed[0]!.runId < first.claimed[1]!.runId, 'ids in claim order');
      const again = await claimSlots(db, old, [
        { job: 'billing', scheduledAtMs: T, catchup: true },
        { job: 'billing', scheduledAtMs: T + 60_000, catchup: false },
      ]);
      assert.deepEqual(
        again.conflicts.map((c) => c.scheduledAtMs),
        [T],
      );
      assert.deepEqual(
        again.claimed.map((c) => c.scheduledAtMs),
        [T + 60_000],
      );
      const tail = await readLedgerTail(db, 0);
      assert.equal(tail.lastExecution.get('billing'), T + 60_000);
      assert.equal(tail.lastExecution.get('o\'brien "quoted", job'), T + 1000);
      assert.equal(tail.rows, 3);
    });

    test('a claim keeps milliseconds exact; a slot twice in one batch is claimed once', async () => {
      const at = T + 3_600_000 + 7; // an instant with milliseconds (jittered and test-clock slots have them)
      const r = await claimSlots(db, old, [
        { job: 'ms', scheduledAtMs: at, catchup: false },
        { job: 'ms', scheduledAtMs: at + 1, catchup: false },
        { job: 'ms', scheduledAtMs: at, catchup: true },
      ]);
      assert.deepEqual(
        r.claimed.map((c) => [c.scheduledAtMs, c.catchup]),
        [
          [at, false],
          [at + 1, false],
        ],
      );
      assert.deepEqual(
        r.conflicts.map((c) => [c.scheduledAtMs, c.catchup]),
        [[at, true]],
      );
      const rows = await db.query<{ scheduled_at: Date }>(
        `SELECT scheduled_at FROM cronkeeper_runs WHERE job = 'ms' ORDER BY id`,
      );
      assert.deepEqual(
        rows.map((x) => x.scheduled_at.getTime()),
        [at, at + 1],
      );
    });

    test('a deposed leader can claim, start, snapshot and clean nothing', async () => {
      current = await bumpEpoch(db, 'node-b');
      assert.ok(current.epoch > old.epoch);
      await assert.rejects(
        claimSlots(db, old, [{ job: 'billing', scheduledAtMs: T + 120_000, catchup: false }]),
        (err: unknown) => err instanceof FencedError && err.currentEpoch === current.epoch,
      );
      const [unstarted] = (await readUnfinishedRuns(db, current.epoch)).filter(
        (u) => u.scheduledAtMs === T + 60_000,
      );
      assert.ok(unstarted && !unstarted.started && unstarted.attempts === 0);
      assert.equal(
        await startAttempt(db, old, unstarted.runId, 1, T),
        false,
        'the old leader may not start it',
      );
      await assert.rejects(
        insertSnapshot(db, old, { formatVersion: 1, highWater: 3, jobCount: 0, payload: Buffer.from('x') }),
        FencedError,
      );
      assert.equal((await listSnapshots(db)).length, 0);
      assert.equal(await cleanLedger(db, old, Date.now() + 60_000, 1_000_000), 0);

      // The new leader adopts the unstarted slot and starts its first attempt; nobody else can.
      assert.equal(await adoptUnfinishedRun(db, current, unstarted, T, { retryInterrupted: false }), true);
      assert.equal(await startAttempt(db, current, unstarted.runId, 2, T), false, 'attempts start in order');
      assert.equal(await startAttempt(db, current, unstarted.runId, 1, T), true);
      assert.equal(await startAttempt(db, current, unstarted.runId, 1, T), false, 'started once');
      assert.equal(
        await startAttempt(db, current, unstarted.runId, 2, T),
        false,
        'no retry unless one is pending',
      );
      assert.equal(
        await adoptUnfinishedRun(db, current, unstarted, T, { retryInterrupted: true }),
        false,
        'not adopted by its own epoch',
      );

      // Its node dies mid-attempt: a newer leader records the attempt as interrupted and retries it.
      const newer = await bumpEpoch(db, 'node-c');
      const [running] = (await readUnfinishedRuns(db, newer.epoch)).filter(
        (u) => u.runId === unstarted.runId,
      );
      assert.ok(
        running && running.started && running.attempts === 1 && running.nextAttemptAtMs === undefined,
      );
      assert.equal(await adoptUnfinishedRun(db, newer, running, T + 5_000, { retryInterrupted: true }), true);
      assert.equal(
        await startAttempt(db, current, unstarted.runId, 2, T),
        false,
        'the deposed leader cannot retry',
      );
      assert.equal(await startAttempt(db, newer, unstarted.runId, 2, T + 5_000), true);
      const attempts = await db.query<{ attempt: number; outcome: string | null; epoch: number }>(
        'SELECT attempt, outcome, epoch FROM cronkeeper_attempts WHERE run_id = $1 ORDER BY attempt',
        [unstarted.runId],
      );
      assert.deepEqual(
        attempts.map((r) => ({ ...r })),
        [
          { attempt: 1, outcome: 'interrupted', epoch: current.epoch },
          { attempt: 2, outcome: null, epoch: newer.epoch },
        ],
      );
      const [row] = await db.query<{ interrupted_attempts: number; attempts: number; epoch: number }>(
        'SELECT interrupted_attempts, attempts, epoch FROM cronkeeper_runs WHERE id = $1',
        [unstarted.runId],
      );
      assert.deepEqual({ ...row }, { interrupted_attempts: 1, attempts: 2, epoch: newer.epoch });
      current = newer;
    });

    test('the cleaner deletes only finished rows covered by the snapshots and older than the retention', async () => {
      const rows = await db.query<{ id: number; outcome: string | null }>(
        'SELECT id, outcome FROM cronkeeper_runs ORDER BY id',
      );
      for (const r of rows.slice(0, 2)) {
        await finishRun(db, r.id, T, {
          outcome: 'success',
          exitCode: 0,
          signal: null,
          httpStatus: null,
          durationMs: 1,
          error: null,
          outputTail: null,
        });
      }
      // Covered up to id of row 1 only: row 2 is finished but not covered.
      const removed = await cleanLedger(db, current, Date.now() + 60_000, rows[0]!.id);
      assert.equal(removed, 1);
      const left = await db.query<{ id: number }>('SELECT id FROM cronkeeper_runs ORDER BY id');
      assert.deepEqual(
        left.map((r) => r.id),
        rows.slice(1).map((r) => r.id),
      );
    });

    test("the cleaner keeps each job's newest scheduled run, however old: it says the job ran", async () => {
      const done = {
        outcome: 'success' as const,
        exitCode: 0,
        signal: null,
        httpStatus: null,
        durationMs: 1,
        error: null,
        outputTail: null,
      };
      const { claimed } = await claimSlots(db, current, [
        { job: 'monthly', scheduledAtMs: T - 2 * 86_400_000, catchup: false },
        { job: 'monthly', scheduledAtMs: T - 86_400_000, catchup: false },
      ]);
      for (const c of claimed) await finishRun(db, c.runId, T, done);
      const [maxId] = await db.query<{ id: number }>('SELECT max(id)::int AS id FROM cronkeeper_runs');
      await cleanLedger(db, current, Date.now() + 60_000, maxId!.id);
      const left = await db.query<{ id: number }>(
        "SELECT id FROM cronkeeper_runs WHERE job = 'monthly' ORDER BY id",
      );
      assert.deepEqual(
        left.map((r) => r.id),
        [claimed[1]!.runId],
      );
    });

    test('the cleaner deletes the records of workers gone past the retention, but not one with an open run', async () => {
      const worker = (workerId: string) => ({ workerId, pool: 'etl', host: 'h', pid: 1, concurrency: 4 });
      const longAgo = T - 40 * 86_400_000;
      await recordWorker(db, worker('gone'), longAgo);
      await recordWorker(db, worker('gone-but-running'), longAgo);
      await recordWorker(db, worker('alive'), Date.now());
      const { claimed } = await claimSlots(db, current, [
        { job: 'etl-job', scheduledAtMs: T, catchup: false },
      ]);
      await db.query(
        `INSERT INTO cronkeeper_attempts (run_id, attempt, epoch, node_id, started_at, pool, worker)
         VALUES ($1, 1, $2, 'node-b', now(), 'etl', 'gone-but-running')`,
        [claimed[0]!.runId, current.epoch],
      );
      const before = T - 30 * 86_400_000;
      assert.equal(await cleanWorkerRecords(db, old, before), 0, 'a deposed leader cleans nothing');
      assert.equal(await cleanWorkerRecords(db, current, before), 1);
      const left = await db.query<{ worker_id: string }>(
        'SELECT worker_id FROM cronkeeper_workers ORDER BY worker_id',
      );
      assert.deepEqual(
        left.map((r) => r.worker_id),
        ['alive', 'gone-but-running'],
      );
    });

    test('the stored specs: which of 5,000 jobs differ, compared two statements at a time', async () => {
      const hash = (i: number, v = 0) => (i * 7919 + v).toString(16).padStart(16, '0');
      const job = (i: number) => `spec-job-${String(i).padStart(5, '0')}`;
      await saveJobSpecs(
        db,
        current,
        Array.from({ length: 4_500 }, (_, i) => ({ job: job(i), hash: hash(i), spec: `spec ${i}` })),
      );
      // Changed: a few in every statement's batch; new: the last 500; the rest as stored.
      const changed = new Set([0, 1_999, 2_000, 3_001, 4_499]);
      const asked: number[] = [];
      const { differs, stored } = await readSpecDifferences(db, 5_000, (i) => {
        asked.push(i);
        return { job: job(i), hash: hash(i, changed.has(i) ? 1 : 0) };
      });
      assert.deepEqual(
        asked,
        Array.from({ length: 5_000 }, (_, i) => i),
        'each job asked for once, in order',
      );
      const differing = [...differs.keys()].filter((i) => differs[i] === 1);
      assert.deepEqual(differing, [...changed, ...Array.from({ length: 500 }, (_, k) => 4_500 + k)]);
      assert.deepEqual(
        [...stored].sort(),
        [...changed].map((i) => [job(i), { hash: hash(i), spec: `spec ${i}` }]),
        'the recorded spec of each changed job; none for the new ones',
      );
      await assert.rejects(
        readSpecDifferences(db, 5_000, (i) => {
          if (i === 4_100) throw new Error('no hash for job 4100');
          return { job: job(i), hash: hash(i) };
        }),
        /no hash for job 4100/,
      );
    });
  });
}
