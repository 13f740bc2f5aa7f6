import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { takenRunVerdict, whyDead } from '../../../src/dispatch/worker-liveness.js';

const T = Date.UTC(2026, 11, 6, 12, 0, 0);
const LEASE = 3_000;
const HOST_WAIT = 60_000;

describe('worker liveness', () => {
  it('a worker lives until it has been silent for more than two leases', () => {
    const w = { worker: 'w1', seenAtMs: T, stopped: false };
    assert.equal(whyDead(w, T + 2 * LEASE, LEASE), undefined);
    assert.match(whyDead(w, T + 2 * LEASE + 1, LEASE) ?? '', /w1 fell silent \(no heartbeat for 6 s\)/);
  });

  it('a worker that said it stopped is dead at once; one with no record is dead', () => {
    assert.match(whyDead({ worker: 'w1', seenAtMs: T, stopped: true }, T, LEASE) ?? '', /stopped/);
    assert.match(whyDead({ worker: 'w1', seenAtMs: null, stopped: false }, T, LEASE) ?? '', /fell silent/);
  });

  it("a dead worker's run waits ha.hostWait past the death for a worker of its home, then is lost", () => {
    const w = { worker: 'w1', seenAtMs: T, stopped: false };
    const death = T + 2 * LEASE;
    assert.deepEqual(takenRunVerdict(w, death + 1, LEASE, HOST_WAIT), { kind: 'wait' });
    assert.deepEqual(takenRunVerdict(w, death + HOST_WAIT - 1, LEASE, HOST_WAIT), { kind: 'wait' });
    const v = takenRunVerdict(w, death + HOST_WAIT, LEASE, HOST_WAIT);
    assert.equal(v.kind, 'lost');
    assert.match(v.kind === 'lost' ? v.why : '', /fell silent.*within ha\.hostWait/);
  });

  it("a stopped worker's run waits ha.hostWait from its last word; with hostWait 0 it is lost at the death", () => {
    const stopped = { worker: 'w1', seenAtMs: T, stopped: true };
    assert.deepEqual(takenRunVerdict(stopped, T + HOST_WAIT - 1, LEASE, HOST_WAIT), { kind: 'wait' });
    assert.equal(takenRunVerdict(stopped, T + HOST_WAIT, LEASE, HOST_WAIT).kind, 'lost');
    const silent = { worker: 'w1', seenAtMs: T, stopped: false };
    assert.deepEqual(takenRunVerdict(silent, T + 2 * LEASE, LEASE, 0), { kind: 'wait' });
    assert.equal(takenRunVerdict(silent, T + 2 * LEASE + 1, LEASE, 0).kind, 'lost');
  });

  it("a live worker's run waits, however long it runs", () => {
    const w = { worker: 'w1', seenAtMs: T + 86_400_000, stopped: false };
    assert.deepEqual(takenRunVerdict(w, T + 86_400_000 + LEASE, LEASE, 0), { kind: 'wait' });
  });
});
