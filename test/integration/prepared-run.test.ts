// A slot claimed ahead of its instant has its first attempt made ready
// (dispatcher.prepare: its spool directory and launch file). A reload between
// the claim and the instant gives the job a new config: the preparation is
// dropped and made again, in the same directory (it is named by the run).
// The run must start from the new one, not lose it to the old one's removal.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import pino from 'pino';
import { systemClock } from '../../src/runtime/clock.js';
import { RunDispatcher } from '../../src/dispatch/run-dispatcher.js';
import { bumpEpoch } from '../../src/store/fence.js';
import { claimSlots } from '../../src/store/ledger.js';
import { migrate } from '../../src/store/migrate.js';
import { openPostgres } from '../../src/store/open-postgres.js';
import { createHarness } from '../support/harness.js';
import { testJob } from '../support/jobs.js';

const h = createHarness();
const dir = h.tempDir('prepared-run');

test('a run prepared for the config before a reload starts from the config after it, every time', async () => {
  const tdb = await h.database();
  const db = await openPostgres({ url: tdb.url });
  try {
    await migrate(db);
    const fence = await bumpEpoch(db, 'node-a');
    const dispatcher = new RunDispatcher({
      db,
      logger: pino({ level: 'silent' }),
      clock: systemClock,
      fence: () => fence,
      concurrency: { max: undefined, perJob: undefined },
      trace: { host: 'test', spool: path.join(dir, 'spool') },
    });
    const out = path.join(dir, 'out.txt');
    const command = ['/bin/sh', '-c', `echo "$CRONKEEPER_SCHEDULED_AT" >> '${out}'`];
    const base = Date.parse('2026-12-06T00:00:00Z');
    const slots = Array.from({ length: 20 }, (_, i) => ({
      job: 'tick',
      scheduledAtMs: base + i * 1_000,
      catchup: false,
    }));
    const { claimed } = await claimSlots(db, fence, slots);
    assert.equal(claimed.length, slots.length);
    for (const slot of claimed) {
      // The config the slot was prepared for, then the one a reload brought (equal, not the same object).
      dispatcher.prepare(testJob('tick', { schedule: '* * * * * *', command }), slot);
      const result = await dispatcher.dispatch(testJob('tick', { schedule: '* * * * * *', command }), slot);
      assert.equal(
        result?.outcome,
        'success',
        `${new Date(slot.scheduledAtMs).toISOString()}: ${result?.error}`,
      );
    }
    await dispatcher.drain(5_000, 1_000);
    const ran = fs.readFileSync(out, 'utf8').trim().split('\n');
    assert.deepEqual(
      ran,
      claimed.map((s) => new Date(s.scheduledAtMs).toISOString()),
      'every slot ran once',
    );
  } finally {
    await db.close();
  }
});
