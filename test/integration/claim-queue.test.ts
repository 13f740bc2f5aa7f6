// The claim queue on a real Postgres: coalesced batches, a big batch claimed as
// two statements at once, and what the state learns when one of them fails.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ClaimQueue, PARALLEL_CLAIM_MIN } from '../../src/dispatch/claim-queue.js';
import type { Db, Queryable } from '../../src/store/db.js';
import { bumpEpoch, type Fence } from '../../src/store/fence.js';
import type { SlotClaim } from '../../src/schedule/slot.js';
import type { ClaimResult } from '../../src/store/ledger.js';
import { migrate } from '../../src/store/migrate.js';
import { openPostgres } from '../../src/store/open-postgres.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { MIN } from '../support/time.js';

const T = Date.parse('2026-11-27T00:00:00Z');

/** `jobs` jobs with `perJob` per-minute slots each, the hour after `fromMs`. */
function slots(jobs: number, perJob: number, fromMs: number, prefix = 'job'): SlotClaim[] {
  const out: SlotClaim[] = [];
  for (let j = 0; j < jobs; j++)
    for (let m = 0; m < perJob; m++)
      out.push({ job: `${prefix}-${j}`, scheduledAtMs: fromMs + m * MIN, catchup: true });
  return out;
}

describe('claim queue', () => {
  let tdb: TestDatabase;
  let db: Db;
  let fence: Fence;
  before(async () => {
    tdb = await createTestDatabase();
    db = await openPostgres({ url: tdb.url });
    await migrate(db);
    fence = await bumpEpoch(db, 'node-a');
  });
  after(async () => {
    await db?.close();
    await tdb?.drop();
  });

  const count = async (where = 'true') =>
    (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM cronkeeper_runs WHERE ${where}`))[0]!.n;

  test('a batch over the parallel threshold is claimed whole and once; the state hears of it once', async () => {
    const batch = slots(500, Math.ceil(PARALLEL_CLAIM_MIN / 500) + 2, T);
    assert.ok(batch.length >= PARALLEL_CLAIM_MIN);
    const committed: ClaimResult[] = [];
    const queue = new ClaimQueue(
      db,
      () => fence,
      (r) => committed.push(r),
    );
    const result = await queue.claim(batch);
    assert.equal(result.claimed.length, batch.length);
    assert.deepEqual(result.conflicts, []);
    assert.equal(committed.length, 1, 'onCommitted once, after both halves committed');
    assert.equal(committed[0]!.claimed.length, batch.length);
    const ids = result.claimed.map((c) => c.runId);
    assert.deepEqual(
      ids,
      [...ids].sort((a, b) => a - b),
      'claims in ledger id order',
    );
    // Every slot exactly once in the ledger, with its own id.
    assert.equal(await count(), batch.length);
    const key = (s: SlotClaim) => `${s.job}@${s.scheduledAtMs}`;
    assert.deepEqual(new Set(result.claimed.map(key)), new Set(batch.map(key)));
    // Again: every slot is a conflict, nothing is claimed twice.
    const again = await queue.claim(batch);
    assert.equal(again.claimed.length, 0);
    assert.equal(again.conflicts.length, batch.length);
    assert.equal(await count(), batch.length);
  });

  test('claims asked for while a batch is in flight are coalesced, and each caller gets its own back', async () => {
    const queue = new ClaimQueue(
      db,
      () => fence,
      () => {},
    );
    const a = slots(3, 2, T + 10 * 60 * MIN, 'a');
    const b = slots(2, 3, T + 10 * 60 * MIN, 'b');
    const [ra, rb] = await Promise.all([queue.claim(a), queue.claim(b)]);
    assert.deepEqual(ra.claimed.map((c) => c.job).sort(), a.map((s) => s.job).sort());
    assert.deepEqual(rb.claimed.map((c) => c.job).sort(), b.map((s) => s.job).sort());
  });

  test('when one half fails, the state still learns of the half that committed, and the caller gets the error', async () => {
    const from = T + 20 * 60 * MIN;
    const batch = slots(500, Math.ceil(PARALLEL_CLAIM_MIN / 500) + 2, from, 'half');
    // The real database, but the statement claiming the second half fails (a connection lost mid-batch).
    const secondHalfFirstJob = batch[batch.length >> 1]!.job;
    const failing: Queryable = {
      query: (sql, params) => {
        const jobs = params?.[0];
        if (Array.isArray(jobs) && jobs[0] === secondHalfFirstJob)
          return Promise.reject(new Error('connection lost'));
        return db.query(sql, params);
      },
      exec: (sql) => db.exec(sql),
    };
    const committed: ClaimResult[] = [];
    const queue = new ClaimQueue(
      failing,
      () => fence,
      (r) => committed.push(r),
    );
    await assert.rejects(queue.claim(batch), /connection lost/);
    const half = batch.length >> 1;
    assert.equal(committed.length, 1);
    assert.equal(committed[0]!.claimed.length, half, 'the committed half reached the state');
    assert.equal(await count(`job LIKE 'half-%'`), half, 'the ledger holds exactly the committed half');
  });
});
