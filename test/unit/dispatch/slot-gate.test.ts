// The gate before a claimed slot starts: one verdict for scheduled slots, the
// boot catch-up and operators' controls alike.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { slotGate } from '../../../src/dispatch/slot-gate.js';
import type { ClaimedSlot } from '../../../src/schedule/slot.js';
import { testJob } from '../../support/jobs.js';

const job = testJob('billing', { schedule: '0 0 * * *', command: ['true'] });
const slot: ClaimedSlot = { job: 'billing', scheduledAtMs: Date.UTC(2026, 11, 6), catchup: false, runId: 7 };
const backfill: ClaimedSlot = { ...slot, catchup: true, controlId: 3 };

describe('slot gate', () => {
  it('runs a configured job that is not paused, with its config as it is now', () => {
    assert.deepEqual(slotGate(slot, { stopping: false, job, paused: false }), { kind: 'run', job });
  });

  it('leaves every slot claimed and unstarted while stopping, whatever else holds', () => {
    for (const paused of [false, true])
      for (const j of [job, undefined])
        for (const s of [slot, backfill])
          assert.deepEqual(slotGate(s, { stopping: true, job: j, paused }), { kind: 'leave' });
  });

  it("records a removed job's slot as skipped, a control's too", () => {
    for (const s of [slot, backfill])
      for (const paused of [false, true])
        assert.deepEqual(slotGate(s, { stopping: false, job: undefined, paused }), {
          kind: 'skip',
          reason: 'the job is no longer configured',
        });
  });

  it("records a paused job's slot as skipped, but runs one an operator's control asked for", () => {
    assert.deepEqual(slotGate(slot, { stopping: false, job, paused: true }), {
      kind: 'skip',
      reason: 'the job was paused',
    });
    assert.deepEqual(slotGate(backfill, { stopping: false, job, paused: true }), { kind: 'run', job });
  });
});
