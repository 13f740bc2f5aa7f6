// systemd/cronkeeper@.service under a real systemd as PID 1: two instances on
// one box, cronkeeper@node-a and cronkeeper@node-b, sharing one Postgres
// server, set up as systemd/README.md ("HA pair", "On one box") says: a config
// per node with the same store.url and its own HTTP port, the jobs in a file
// both include, `systemctl enable --now` of both. One leads, the other stands
// by; the README's failover drill (SIGKILL to the leader) hands the lead to the
// standby, and systemd restarts the killed node, which comes back standing by.
//
// The container is booted and cronkeeper installed as in service.test.ts
// (test/systemd/support/). Postgres: support/postgres.ts.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ROOT } from '../support/daemon.js';
import { cannotRun, type Container } from './support/container.js';
import { writeConfig } from './support/install.js';
import { createPairDatabase, type PairDatabase } from './support/postgres.js';
import { containerForFile, skipOrFail, waitOrTell } from './support/suite.js';
import { unitSeconds } from './support/unit-file.js';

const TEMPLATE = 'cronkeeper@.service';
const NODES = ['node-a', 'node-b'] as const;
const unit = (node: string) => `cronkeeper@${node}.service`;
const SHIPPED = fs.readFileSync(path.join(ROOT, 'systemd', TEMPLATE), 'utf8');

let db: PairDatabase | undefined;
before(async () => {
  if (cannotRun() === undefined) db = await createPairDatabase();
});
const installed = containerForFile('cronkeeper-ha-pair', [TEMPLATE]);
// After the container's hook (hooks run in the order registered): no node is connected any more.
after(async () => {
  await db?.drop();
});
let ct: Container;
/** Who led before the failover, and at which epoch. */
let first: { leader: string; standby: string; epoch: number } | undefined;

/** Each node's role from its STATUS= line. */
function roles(): Record<string, { state: string; status: string; restarts: number; pid: string }> {
  return Object.fromEntries(
    NODES.map((node) => {
      const s = ct.show(unit(node), 'ActiveState', 'StatusText', 'NRestarts', 'MainPID');
      const value = {
        state: s.ActiveState ?? '',
        status: s.StatusText ?? '',
        restarts: Number(s.NRestarts),
        pid: s.MainPID ?? '',
      };
      return [node, value];
    }),
  );
}

/** A standby's STATUS= line: it names the leader (systemd/README.md). */
const standingBy = (leader: string) => new RegExp(`^standby, leader ${leader}, 1 job$`);

const story = () => NODES.map((node) => ct.story(unit(node))).join('');

interface RunRow {
  node_id: string;
  epoch: string;
  outcome: string | null;
}

describe('systemd/cronkeeper@.service: two instances as an HA pair under systemd as PID 1', () => {
  test('installed as systemd/README.md says, both nodes enabled and started: one leads, the other stands by', async (t) => {
    if (skipOrFail(t)) return;
    ct = installed().ct;
    assert.equal(ct.sh(`cat /etc/systemd/system/${TEMPLATE}`).stdout, SHIPPED);
    for (const node of NODES) {
      writeConfig(
        ct,
        `/etc/cronkeeper/${node}.yaml`,
        `store:\n  url: ${db!.url}\nhttp:\n  listen: 127.0.0.1:0\ninclude: jobs.d/*.yaml\n`,
      );
    }
    writeConfig(
      ct,
      '/etc/cronkeeper/jobs.d/pair.yaml',
      `jobs:\n  pulse:\n    every: 1s\n    command: ['/bin/true']\n`,
    );
    const r = ct.systemctl('enable', '--now', ...NODES.map(unit));
    assert.equal(r.status, 0, `${r.output}${story()}`);

    // `systemctl start` returned: both are ready, the leader caught up, the other standing by.
    const now = roles();
    assert.deepEqual(
      NODES.map((n) => now[n]!.state),
      ['active', 'active'],
      story(),
    );
    const leader = NODES.find((n) => /^leader epoch \d+, 1 job$/.test(now[n]!.status));
    assert.ok(leader, `no leader: ${JSON.stringify(now)}`);
    const standby = NODES.find((n) => n !== leader)!;
    // The standby learns who leads at its next look at the lock (ha.poll).
    await waitOrTell(
      () => standingBy(leader).test(roles()[standby]!.status),
      10_000,
      `${standby} to name ${leader} as the leader`,
      story,
    );
    first = { leader, standby, epoch: Number(/epoch (\d+)/.exec(now[leader]!.status)![1]) };

    // Each instance is its node: the id from the instance name, its own state directory.
    for (const node of NODES) {
      assert.match(
        ct.show(unit(node), 'Environment').Environment ?? '',
        new RegExp(`CRONKEEPER_NODE_ID=${node}\\b`),
      );
      assert.equal(ct.sh(`stat -c '%U %a' /var/lib/cronkeeper/${node}`).stdout.trim(), 'cronkeeper 700');
    }
    // The leader runs the jobs; the standby runs none.
    let rows: RunRow[] = [];
    await waitOrTell(
      async () =>
        (rows = await db!.query<RunRow>(
          "SELECT node_id, epoch::text, outcome FROM cronkeeper_runs WHERE job = 'pulse' AND outcome IS NOT NULL",
        )).length >= 2,
      15_000,
      'runs of the job',
      story,
    );
    assert.deepEqual([...new Set(rows.map((x) => x.node_id))], [leader]);
    const status = ct.sh(`cronkeeper status --config /etc/cronkeeper/${standby}.yaml`);
    assert.match(
      status.stdout,
      new RegExp(`^leader: ${leader}, epoch ${first.epoch}\\b`, 'm'),
      status.output,
    );
  });

  test('SIGKILL to the leader: the standby takes over, systemd restarts the killed node, which stands by', async (t) => {
    if (skipOrFail(t)) return;
    assert.ok(first, 'the pair did not form (see the test before)');
    const { leader, standby, epoch } = first;
    const before = roles();
    const cursor = ct.cursor();
    const r = ct.systemctl('kill', '-s', 'SIGKILL', unit(leader));
    assert.equal(r.status, 0, r.output);

    let newEpoch = 0;
    await waitOrTell(
      () => {
        const m = /^leader epoch (\d+), 1 job$/.exec(roles()[standby]!.status);
        newEpoch = m ? Number(m[1]) : 0;
        return newEpoch > epoch;
      },
      15_000,
      `${standby} to take over`,
      story,
    );
    const restartS = unitSeconds(SHIPPED, 'RestartSec');
    await waitOrTell(
      () => {
        const now = roles()[leader]!;
        return (
          now.state === 'active' &&
          now.restarts === before[leader]!.restarts + 1 &&
          now.pid !== before[leader]!.pid &&
          standingBy(standby).test(now.status)
        );
      },
      (restartS + 30) * 1000,
      `systemd to restart ${leader} as the standby`,
      story,
    );
    const journal = ct.journal(unit(leader), cursor);
    assert.ok(
      journal.some((e) => e.pid === 1 && /Main process exited, code=killed, status=9\/KILL/.test(e.message)),
      story(),
    );
    assert.ok(journal.some((e) => e.pid === 1 && /Scheduled restart job/.test(e.message)));
    // The standby did not restart: it took over in place.
    assert.equal(roles()[standby]!.pid, before[standby]!.pid);
    // The new leader runs the jobs, in its term.
    await waitOrTell(
      async () =>
        (
          await db!.query<RunRow>(
            "SELECT node_id FROM cronkeeper_runs WHERE job = 'pulse' AND outcome = 'success' AND node_id = $1 AND epoch = $2",
            [standby, newEpoch],
          )
        ).length >= 2,
      15_000,
      `runs by ${standby} in epoch ${newEpoch}`,
      story,
    );
    const status = ct.sh(`cronkeeper status --config /etc/cronkeeper/${leader}.yaml`);
    assert.match(status.stdout, new RegExp(`^leader: ${standby}, epoch ${newEpoch}\\b`, 'm'), status.output);
  });
});
