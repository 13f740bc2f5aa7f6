// The promise of cronkeeper, end to end with the real daemon process: a
// per-second job runs, the daemon is SIGKILLed, stays down, restarts — and every
// slot from the first to the last ran exactly once, the missed ones flagged as
// catch-up. On the Postgres server store and on the embedded store.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { snapshotCodec } from '../../src/snapshot/snapshot-codec.js';
import type { Db } from '../../src/store/db.js';
import { openEmbedded } from '../../src/store/open-embedded.js';
import { openPostgres } from '../../src/store/open-postgres.js';
import { restoreState } from '../../src/store/restore-state.js';
import { createTestDatabase } from '../support/database.js';
import { readOutput, recordingCommand, sleep, startDaemon, tempDir, waitFor } from '../support/daemon.js';

interface Store {
  yaml: string;
  open(): Promise<Db>;
  cleanup(): Promise<void>;
}

async function postgresStore(): Promise<Store> {
  const db = await createTestDatabase();
  return {
    yaml: `store: { url: "${db.url}" }`,
    open: () => openPostgres({ url: db.url }),
    cleanup: () => db.drop(),
  };
}

async function embeddedStore(dir: string): Promise<Store> {
  const storeDir = path.join(dir, 'store');
  return {
    yaml: `store: { path: "${storeDir}" }`,
    open: () => openEmbedded(storeDir),
    cleanup: async () => {},
  };
}

function writeConfig(dir: string, store: Store, outFile: string): string {
  const file = path.join(dir, 'cronkeeper.yaml');
  fs.writeFileSync(
    file,
    `${store.yaml}
snapshot: { interval: 2s, maxUpdates: 3, keep: 5 }
shutdownGrace: 5s
jobs:
  tick:
    schedule: "* * * * * *"
    catchup: all
    catchupWindow: 1h
    maxCatchup: 1000
    command: ${JSON.stringify(recordingCommand(outFile))}
`,
  );
  return file;
}

/** Seconds between two ISO instants. */
const secondsBetween = (a: string, b: string) => (Date.parse(b) - Date.parse(a)) / 1000;

for (const kind of ['postgres', 'embedded'] as const) {
  describe(`kill and restart (${kind} store)`, () => {
    const dir = tempDir(`restart-${kind}`);
    let store: Store;
    after(async () => {
      await store?.cleanup();
      if (!process.env.KEEP_TEST_DIRS) fs.rmSync(dir, { recursive: true, force: true });
    });

    test('every slot runs exactly once; the missed ones as catch-up', async () => {
      store = kind === 'postgres' ? await postgresStore() : await embeddedStore(dir);
      const out = path.join(dir, 'out.txt');
      const config = writeConfig(dir, store, out);

      const first = startDaemon(config);
      await first.waitForLog((l) => l.msg === 'ready: scheduling', 60_000);
      await waitFor(() => readOutput(out).length >= 3, 15_000, 'three runs before the kill');
      first.proc.kill('SIGKILL');
      assert.equal(await first.exited, 'SIGKILL');
      const killedAt = Date.now();

      await sleep(3_000);
      const second = startDaemon(config);
      await second.waitForLog((l) => l.msg === 'catch-up finished', 60_000);
      const readyAt = Date.now();
      await waitFor(
        () => readOutput(out).filter((o) => !o.catchup && Date.parse(o.scheduledAt) > readyAt).length >= 2,
        15_000,
        'two regular runs after the restart',
      );
      second.proc.kill('SIGTERM');
      assert.equal(await second.exited, 0, `graceful stop exits 0; stderr: ${second.stderr()}`);

      // From the job's own output: no slot twice, no slot missing.
      const lines = readOutput(out);
      const times = lines.map((l) => l.scheduledAt).sort();
      assert.equal(new Set(times).size, times.length, `a slot ran twice: ${times.join(', ')}`);
      for (let i = 1; i < times.length; i++) {
        assert.equal(
          secondsBetween(times[i - 1]!, times[i]!),
          1,
          `slots missing between ${times[i - 1]} and ${times[i]}`,
        );
      }
      // Every slot whose time passed while the daemon was down ran as catch-up.
      const downtime = lines.filter(
        (l) => Date.parse(l.scheduledAt) > killedAt && Date.parse(l.scheduledAt) < killedAt + 2_500,
      );
      assert.ok(downtime.length >= 2, `expected the downtime slots in the output: ${JSON.stringify(lines)}`);
      for (const l of downtime)
        assert.equal(l.catchup, true, `slot ${l.scheduledAt} missed while down must be a catch-up run`);
      assert.ok(
        lines.some((l) => !l.catchup && Date.parse(l.scheduledAt) < killedAt),
        'regular runs before the kill',
      );

      // From the ledger: exactly the slots the job saw, each once, under the right run id.
      const db = await store.open();
      try {
        const rows = await db.query<{
          id: number;
          scheduled_at: Date;
          outcome: string | null;
          catchup: boolean;
        }>(
          "SELECT id, scheduled_at, outcome, catchup FROM cronkeeper_runs WHERE job = 'tick' ORDER BY scheduled_at",
        );
        assert.deepEqual(
          rows.map((r) => r.scheduled_at.toISOString()),
          times,
          'the ledger holds exactly the slots that ran',
        );
        const byTime = new Map(lines.map((l) => [l.scheduledAt, l]));
        for (const r of rows) {
          const seen = byTime.get(r.scheduled_at.toISOString())!;
          assert.equal(seen.runId, r.id, 'the job saw its own ledger run id');
          // The run in flight at the SIGKILL may have finished without its outcome being recorded.
          assert.ok(
            r.outcome === 'success' || r.outcome === 'interrupted',
            `outcome of run ${r.id}: ${r.outcome}`,
          );
        }
        assert.ok(
          rows.filter((r) => r.outcome === 'interrupted').length <= 1,
          'at most the run in flight at the kill',
        );

        // Flush-before-exit: the newest snapshot covers the last slot.
        const restored = await restoreState(db, snapshotCodec);
        assert.equal(restored.skipped.length, 0);
        assert.equal(restored.replayedRows, 0, 'the final snapshot covers every ledger row');
        assert.equal(new Date(restored.lastExecution.get('tick')!).toISOString(), times[times.length - 1]);
        const snaps = await db.query<{ payload: Buffer }>('SELECT payload FROM cronkeeper_snapshots');
        assert.ok(snaps.length >= 1 && snaps.length <= 5, `snapshot.keep bounds the rows: ${snaps.length}`);
        for (const s of snaps) snapshotCodec.decode(s.payload);
      } finally {
        await db.close();
      }
    });
  });
}
