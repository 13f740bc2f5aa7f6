import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NodeState } from '../../../src/status/node-state.js';

describe('node readiness', () => {
  it('a node that has not found another leader is not ready, even with its database up', () => {
    const n = new NodeState('node-a', 3);
    n.update({ role: 'standby', databaseUp: true, standingBy: false });
    assert.equal(n.ready, false, 'about to take the lock (and catch up): not ready');
    n.update({ standingBy: true });
    assert.equal(n.ready, true, 'standing by behind another leader, database up: ready');
    n.update({ databaseUp: false });
    assert.equal(n.ready, false, 'a standby without its database is not ready');
  });

  it('a leader is ready once caught up, and announces each change once', () => {
    const n = new NodeState('node-a', 3);
    const seen: boolean[] = [];
    n.onChange(() => seen.push(n.ready));
    n.update({ role: 'leader', databaseUp: true, caughtUp: false, standingBy: false });
    n.update({ caughtUp: true });
    n.update({ caughtUp: true }); // no change, no announcement
    assert.deepEqual(seen, [false, true]);
  });
});
