// Liveness from facts at fixed ages: a leader leads only while its session
// holds the lock and its heartbeat is within the lease; a node's role is what
// it is now, not what its last row said.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LeaderRow, NodeRow } from '../../../src/ha/nodes.js';
import { goneAfterMs, leaderLiveness, nodeRole, type LivenessInput } from '../../../src/status/liveness.js';

const T = new Date('2026-12-05T00:00:00Z');
const leader = (p: Partial<LeaderRow>): LeaderRow => ({
  epoch: 4,
  nodeId: 'node-a',
  since: T,
  heartbeatAt: T,
  heartbeatAgeMs: 500,
  lockHeld: true,
  ...p,
});
const node = (nodeId: string, role: string, seenAgeMs: number): NodeRow => ({
  nodeId,
  host: 'h',
  pid: 1,
  role,
  epoch: null,
  startedAt: T,
  seenAt: T,
  seenAgeMs,
});
const input = (p: Partial<LivenessInput>): LivenessInput => ({
  leader: leader({}),
  nodes: [],
  leaseMs: 3_000,
  pollMs: 100,
  ...p,
});

test('a leader is alive only with the lock held and a heartbeat within the lease', () => {
  assert.equal(leaderLiveness(input({}))!.alive, true);
  assert.equal(leaderLiveness(input({ leader: leader({ heartbeatAgeMs: 3_000 }) }))!.alive, true);
  const stale = leaderLiveness(input({ leader: leader({ heartbeatAgeMs: 3_001 }) }))!;
  assert.equal(stale.alive, false);
  assert.match(stale.why!, /older than the lease \(3s\)/);
  const unlocked = leaderLiveness(input({ leader: leader({ lockHeld: false }) }))!;
  assert.equal(unlocked.alive, false);
  assert.match(unlocked.why!, /no longer holds the leader lock/);
  assert.equal(leaderLiveness(input({ leader: undefined })), null);
  assert.equal(leaderLiveness(input({ leader: leader({ nodeId: null }) })), null);
});

test('the embedded store: alive only when the serving daemon leads', () => {
  const embedded = leader({ lockHeld: null, heartbeatAgeMs: 86_400_000 });
  assert.equal(leaderLiveness(input({ leader: embedded }))!.alive, false);
  assert.equal(
    leaderLiveness(input({ leader: embedded, self: { nodeId: 'node-a', leading: true } }))!.alive,
    true,
  );
  assert.equal(
    leaderLiveness(input({ leader: embedded, self: { nodeId: 'node-a', leading: false } }))!.alive,
    false,
  );
});

test('node roles: leader, standby, gone, stopped', () => {
  const i = input({});
  const live = leaderLiveness(i);
  const gone = goneAfterMs(i.leaseMs, i.pollMs);
  assert.equal(gone, 7_000);
  assert.equal(nodeRole(node('node-a', 'leader', 100), live, i), 'leader');
  assert.equal(nodeRole(node('node-b', 'standby', 100), live, i), 'standby');
  // A row that still says leader, recent, but another node leads: it stands by now.
  assert.equal(nodeRole(node('node-c', 'leader', 100), live, i), 'standby');
  assert.equal(nodeRole(node('node-b', 'standby', gone + 1), live, i), 'gone');
  assert.equal(nodeRole(node('node-a', 'leader', gone + 1), live, i), 'gone');
  assert.equal(nodeRole(node('node-b', 'stopped', 10), live, i), 'stopped');
  const dead = leaderLiveness(input({ leader: leader({ lockHeld: false }) }));
  assert.equal(nodeRole(node('node-a', 'leader', 100), dead, i), 'standby');
  // A long poll: a standby records only every poll, so it is not gone sooner.
  assert.equal(goneAfterMs(3_000, 10_000), 21_000);
});
