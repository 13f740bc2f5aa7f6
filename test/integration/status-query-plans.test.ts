// The status document's queries are bounded by the number of jobs, not by the
// ledger: on a ledger of 200,000 rows (one per-second job, a job failing for
// days, manual runs, many recorded gaps), every statement readStatus makes is
// run again under EXPLAIN ANALYZE, and none may scan cronkeeper_runs or
// cronkeeper_slot_gaps sequentially or read more than a few rows per job.
// (The 1,000,000-row figures are in BENCHMARKS.md; 200,000 rows after ANALYZE
// already make the planner choose as it does there.)
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Config } from '../../src/config/types.js';
import { snapshotCodec } from '../../src/snapshot/snapshot-codec.js';
import { readStatus } from '../../src/status/read-status.js';
import type { Db, Queryable } from '../../src/store/db.js';
import { migrate } from '../../src/store/migrate.js';
import { openPostgres } from '../../src/store/open-postgres.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { testJob } from '../support/jobs.js';

const TICK_ROWS = 200_000;
const BROKEN_ROWS = 20_000;
const GAP_ROWS = 20_000;
/** Rows the status may read from cronkeeper_runs per configured job (20 recent + a few probes, twice over). */
const ROWS_PER_JOB = 100;

let database: TestDatabase;
let db: Db;
before(async () => {
  database = await createTestDatabase();
  db = await openPostgres({ url: database.url });
  await migrate(db);
  // tick: one success a second for 200,000 s; broken: a failure every 10 s, never a success;
  // nightly: 11 catch-up slots; manual runs of tick; gaps of tick. Newest first at `now`.
  await db.exec(`
    INSERT INTO cronkeeper_runs (job, scheduled_at, catchup, epoch, node_id, claimed_at, started_at,
                                 finished_at, outcome, exit_code, duration_ms, attempts, output_tail)
    SELECT 'tick', ts, false, 1, 'n1', ts, ts, ts + interval '5 ms', 'success', 0, 5, 1, 'out ' || g
    FROM generate_series(1, ${TICK_ROWS}) g,
         LATERAL (SELECT now() - (${TICK_ROWS} - g) * interval '1 second' AS ts) t;
    INSERT INTO cronkeeper_runs (job, scheduled_at, catchup, epoch, node_id, claimed_at, started_at,
                                 finished_at, outcome, exit_code, duration_ms, attempts, output_tail)
    SELECT 'broken', ts, false, 1, 'n1', ts, ts, ts + interval '5 ms', 'failure', 1, 5, 1, 'err'
    FROM generate_series(1, ${BROKEN_ROWS}) g,
         LATERAL (SELECT now() - (${BROKEN_ROWS} - g) * interval '10 second' AS ts) t;
    INSERT INTO cronkeeper_runs (job, scheduled_at, catchup, epoch, node_id, claimed_at, outcome, manual, control_id)
    SELECT 'tick', now() - g * interval '1 hour' + interval '1 ms', false, 1, 'n1', now(), 'success', true, g
    FROM generate_series(1, 30) g;
    INSERT INTO cronkeeper_runs (job, scheduled_at, catchup, epoch, node_id, claimed_at, outcome)
    SELECT 'nightly', date_trunc('day', now()) - g * interval '1 day', true, 1, 'n1', now(), 'success'
    FROM generate_series(1, 11) g;
    INSERT INTO cronkeeper_slot_gaps (job, reason, first_slot, last_slot, slots, exact, epoch, node_id)
    SELECT 'tick', 'skipped', now() - g * interval '1 minute', now() - g * interval '1 minute' + interval '10 s',
           10, true, 1, 'n1'
    FROM generate_series(1, ${GAP_ROWS}) g;
    ANALYZE cronkeeper_runs;
    ANALYZE cronkeeper_slot_gaps;
  `);
  // A snapshot covering all but the newest rows, as a leader keeps one: restore replays only the tail.
  const [{ max }] = (await db.query<{ max: number }>('SELECT max(id)::int8 AS max FROM cronkeeper_runs')) as [
    { max: number },
  ];
  const payload = snapshotCodec.encode({
    createdAtMs: Date.now(),
    highWater: max - 3,
    epoch: 1,
    lastExecution: new Map([['tick', Date.now() - 5_000]]),
  });
  await db.query(
    `INSERT INTO cronkeeper_snapshots (format_version, high_water, epoch, node_id, job_count, payload)
     VALUES ($1, $2, 1, 'n1', 1, $3)`,
    [snapshotCodec.writeVersion, max - 3, payload],
  );
});
after(async () => {
  await db?.close();
  await database?.drop();
});

/** A Queryable that passes every statement through and remembers it with its parameters. */
function recording(inner: Queryable): { queryable: Queryable; statements: Array<[string, unknown[]]> } {
  const statements: Array<[string, unknown[]]> = [];
  return {
    statements,
    queryable: {
      query: (sql, params) => {
        statements.push([sql, [...(params ?? [])]]);
        return inner.query(sql, params);
      },
      exec: (sql) => inner.exec(sql),
    },
  };
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Actual Rows': number;
  'Actual Loops': number;
  'Rows Removed by Filter'?: number;
  Plans?: PlanNode[];
}

function* nodes(plan: PlanNode): Generator<PlanNode> {
  yield plan;
  for (const child of plan.Plans ?? []) yield* nodes(child);
}

const GROWING = new Set(['cronkeeper_runs', 'cronkeeper_slot_gaps']);

test('every status query reads a bounded number of rows per job, through indexes', async () => {
  const jobs = ['tick', 'broken', 'nightly', 'never-ran'].map((name) => testJob(name, { every: 1000 }));
  const config = { jobs, ha: { leaseMs: 3_000, pollMs: 100 } } as unknown as Config;
  const { queryable, statements } = recording(db);
  const status = await readStatus({ db: { ...queryable, kind: 'postgres' }, config, nowMs: Date.now() });

  // The document is what the ledger holds.
  const byName = new Map(status.jobs.map((j) => [j.name, j]));
  const tick = byName.get('tick')!;
  assert.equal(tick.recent.length, 20);
  assert.equal(tick.recent.at(-1)!.outcome, 'success');
  assert.ok(tick.recent.every((r, i) => i === 0 || r.scheduledAt! > tick.recent[i - 1]!.scheduledAt!));
  assert.equal(tick.gaps.length, 5);
  assert.equal(byName.get('broken')!.lastSuccess, null, 'never succeeded');
  assert.equal(byName.get('broken')!.recent.length, 20);
  assert.equal(byName.get('nightly')!.recent.length, 11);
  assert.deepEqual(byName.get('never-ran')!.recent, []);
  assert.ok(status.snapshot !== null);

  assert.ok(statements.length >= 5, `readStatus made ${statements.length} statements`);
  let runsTables = 0;
  for (const [sql, params] of statements) {
    const [row] = await db.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(
      `EXPLAIN (ANALYZE, FORMAT JSON) ${sql}`,
      params,
    );
    const plan = row!['QUERY PLAN'][0]!.Plan;
    let rowsRead = 0;
    for (const n of nodes(plan)) {
      const table = n['Relation Name'];
      if (table === undefined || !GROWING.has(table)) continue;
      runsTables++;
      assert.notEqual(n['Node Type'], 'Seq Scan', `a sequential scan of ${table} in:\n${sql}`);
      assert.notEqual(n['Node Type'], 'Bitmap Heap Scan', `a bitmap scan of ${table} in:\n${sql}`);
      rowsRead += (n['Actual Rows'] + (n['Rows Removed by Filter'] ?? 0)) * n['Actual Loops'];
    }
    assert.ok(
      rowsRead <= ROWS_PER_JOB * jobs.length,
      `${rowsRead} rows of the ledger read for ${jobs.length} jobs in:\n${sql}`,
    );
  }
  assert.ok(runsTables >= 4, 'the ledger and gap queries were among those checked');
});
