import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import type { LeftAttempt } from '../../../src/store/worker-homes.js';
import { processGone, whyLeft } from '../../../src/worker/left-runs.js';

const T = Date.UTC(2026, 11, 6, 12, 0, 0);
const LEASE = 3_000;

/** A pid that was used a moment ago and is gone now. */
function deadPid(): number {
  const r = spawnSync('/bin/true');
  assert.ok(r.pid);
  return r.pid;
}

function left(over: Partial<LeftAttempt>): LeftAttempt {
  return {
    runId: 1,
    attempt: 1,
    slot: { job: 'j', scheduledAtMs: T, catchup: false, runId: 1 },
    epoch: 1,
    nodeId: 'leader',
    worker: 'w-old',
    jobPid: 123,
    workerPid: process.pid,
    workerHost: 'here',
    workerSeenAtMs: T,
    workerStopped: false,
    ...over,
  };
}

describe('left runs', () => {
  it('a process of this host is gone once it exited; this one is not', () => {
    assert.equal(processGone(process.pid), false);
    assert.equal(processGone(deadPid()), true);
  });

  it('a worker of this host whose process is gone is dead at once, before its silence says so', () => {
    assert.equal(whyLeft(left({}), 'here', T, LEASE), undefined, 'its process lives: not taken over');
    const pid = deadPid();
    assert.match(
      whyLeft(left({ workerPid: pid }), 'here', T, LEASE) ?? '',
      new RegExp(`pid ${pid}\\) is gone`),
    );
  });

  it("another host's pid says nothing here: only its silence does", () => {
    const gone = left({ workerPid: deadPid(), workerHost: 'elsewhere' });
    assert.equal(whyLeft(gone, 'here', T, LEASE), undefined);
    assert.match(whyLeft(gone, 'here', T + 2 * LEASE + 1, LEASE) ?? '', /fell silent/);
  });
});
