// When Postgres itself fails over: an HA pair on a primary and a streaming
// standby, both listed in store.url (postgres://primary,standby/...), a
// per-second job with catchup: all. The primary is switched over (stopped
// cleanly, the standby promoted) or killed (SIGKILL of its postmaster, the
// standby promoted); with synchronous replication every committed claim is on
// the new primary: every slot runs once, none is missed, both daemons follow
// the new primary, and epochs only grow. The old primary then comes back as a
// standby on its listed host: nobody writes to it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import pg from 'pg';
import { type PgCluster, startCluster, startStandby } from '../../scripts/pg-cluster.js';
import { spawnSync } from 'node:child_process';
import {
  CLI,
  type DaemonProcess,
  childEnv,
  sleep,
  startDaemon,
  tempDir,
  waitFor,
} from '../support/daemon.js';

interface Ran {
  scheduledAt: string;
  epoch: number;
}

function readRuns(file: string): Ran[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const [scheduledAt, epoch] = l.split(' ');
      return { scheduledAt: scheduledAt!, epoch: Number(epoch) };
    });
}

function writeConfig(dir: string, url: string, out: string): string {
  const file = path.join(dir, 'cronkeeper.yaml');
  fs.writeFileSync(
    file,
    `store: { url: "${url}" }
ha: { lease: 2s }
snapshot: { interval: 2s }
jobs:
  tick:
    schedule: "* * * * * *"
    catchup: all
    maxCatchup: 1000
    command: ["/bin/sh", "-c", "echo \\"$CRONKEEPER_SCHEDULED_AT $CRONKEEPER_EPOCH\\" >> '${out}'"]
`,
  );
  return file;
}

/** Every slot from the first to the last exactly once; the epochs of the runs, in slot order, never go down. */
function assertExactlyOnce(runs: Ran[]): void {
  const sorted = [...runs].sort((a, b) => a.scheduledAt.localeCompare(b.scheduledAt));
  const times = sorted.map((r) => r.scheduledAt);
  assert.equal(new Set(times).size, times.length, `a slot ran twice: ${times.join(' ')}`);
  for (let i = 1; i < times.length; i++) {
    assert.equal(
      Date.parse(times[i]!) - Date.parse(times[i - 1]!),
      1000,
      `slots missing after ${times[i - 1]}`,
    );
  }
}

async function query<R extends pg.QueryResultRow>(port: number, sql: string): Promise<R[]> {
  const c = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
  await c.connect();
  try {
    return (await c.query<R>(sql)).rows;
  } finally {
    await c.end();
  }
}

/** The old primary, stopped, comes back as a standby of the new one (its WAL ends before the fork). */
function rejoinAsStandby(old: PgCluster, primary: PgCluster): void {
  // Written as the cluster's owner (the postgres user when the tests run as root).
  old.run('/usr/bin/touch', [path.join(old.data, 'standby.signal')]);
  fs.appendFileSync(
    path.join(old.data, 'postgresql.auto.conf'),
    `\nprimary_conninfo = 'host=127.0.0.1 port=${primary.port} user=postgres'\n`,
  );
  old.start();
}

describe('Postgres failover under an HA pair', () => {
  const clusters: PgCluster[] = [];
  const daemons: DaemonProcess[] = [];
  const dirs: string[] = [];
  after(async () => {
    for (const d of daemons) d.proc.kill('SIGKILL');
    await Promise.all(daemons.map((d) => d.exited));
    for (const c of clusters) c.destroy();
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  async function setUp(name: string) {
    const primary = await startCluster();
    const standby = await startStandby(primary, { synchronous: true });
    clusters.push(primary, standby);
    const dir = tempDir(name);
    dirs.push(dir);
    const out = path.join(dir, 'out.txt');
    const url = `postgres://postgres@127.0.0.1:${primary.port},127.0.0.1:${standby.port}/postgres`;
    const config = writeConfig(dir, url, out);
    const a = startDaemon(config, { CRONKEEPER_NODE_ID: 'node-a' });
    daemons.push(a);
    await a.waitForLog((l) => l.msg === 'ready: scheduling', 30_000);
    const b = startDaemon(config, { CRONKEEPER_NODE_ID: 'node-b' });
    daemons.push(b);
    await b.waitForLog(
      (l) => l.msg === 'another node leads: standing by until the leader lock is free',
      30_000,
    );
    await waitFor(() => readRuns(out).length >= 3, 15_000, 'runs before the failover');
    return { primary, standby, out, config, pair: [a, b] };
  }

  async function afterFailover(o: {
    primary: PgCluster;
    standby: PgCluster;
    out: string;
    config: string;
    pair: DaemonProcess[];
    at: number;
    epochBefore: number;
  }): Promise<void> {
    const { primary, standby, out, config, pair, at, epochBefore } = o;
    await waitFor(
      () => readRuns(out).filter((r) => Date.parse(r.scheduledAt) > at + 3_000).length >= 3,
      30_000,
      'runs on the new primary',
    );
    // Epochs only grow: every run after the failover carries one above every run before it.
    const later = readRuns(out).filter((r) => Date.parse(r.scheduledAt) > at + 3_000);
    assert.ok(
      later.every((r) => r.epoch > epochBefore),
      `epochs after: ${later.map((r) => r.epoch).join(',')}, before: ${epochBefore}`,
    );
    // The old primary comes back as a standby on its listed host (first in the URL): nobody writes
    // to it, and scheduling goes on on the new primary.
    rejoinAsStandby(primary, standby);
    const backAt = Date.now();
    await waitFor(
      () => readRuns(out).filter((r) => Date.parse(r.scheduledAt) > backAt + 2_000).length >= 3,
      30_000,
      'runs with the old primary back as a standby',
    );
    const [rec] = await query<{ r: boolean }>(primary.port, 'SELECT pg_is_in_recovery() AS r');
    assert.equal(rec!.r, true, 'the old primary is a standby');
    // Both daemons are on the new primary: the leader's lock and the standby's polling.
    const apps = await query<{ application_name: string }>(
      standby.port,
      "SELECT application_name FROM pg_stat_activity WHERE application_name LIKE 'cronkeeper-leader-lock%'",
    );
    assert.deepEqual(apps.map((a) => a.application_name).sort(), [
      'cronkeeper-leader-lock node-a',
      'cronkeeper-leader-lock node-b',
    ]);
    // The failover is known: logged once (by the node that saw it first), counted, and in status.
    const said = pair.flatMap((d) =>
      d.logs.filter((l) => String(l.msg).startsWith('the database failed over')),
    );
    assert.equal(said.length, 1, JSON.stringify(said));
    assert.deepEqual([said[0]!.fromTimeline, said[0]!.toTimeline], [1, 2]);
    const status = spawnSync(process.execPath, [CLI, 'status', '--json', '--config', config], {
      env: childEnv(),
      encoding: 'utf8',
    });
    const database = (JSON.parse(status.stdout) as { database: { timeline: number; failovers: number } })
      .database;
    assert.deepEqual([database.timeline, database.failovers], [2, 1]);
    const metric = async (d: DaemonProcess) => {
      const port = (await d.waitForLog((l) => l.msg === 'http listening', 1_000)).port as number;
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      return Number(/^cronkeeper_database_failovers_total (\d+)$/m.exec(text)?.[1]);
    };
    assert.deepEqual((await Promise.all(pair.map(metric))).sort(), [0, 1]);
    for (const d of pair) d.proc.kill('SIGTERM');
    assert.deepEqual(await Promise.all(pair.map((d) => d.exited)), [0, 0]);
    assertExactlyOnce(readRuns(out));
  }

  test('a planned switchover (primary stopped cleanly, standby promoted): every slot once, none missed', async () => {
    const { primary, standby, out, config, pair } = await setUp('pg-switchover');
    const epochBefore = Math.max(...readRuns(out).map((r) => r.epoch));
    primary.stop('fast');
    standby.promote();
    await afterFailover({ primary, standby, out, config, pair, at: Date.now(), epochBefore });
  });

  test('an unplanned failover with synchronous replication (primary killed, standby promoted): every slot once', async () => {
    const { primary, standby, out, config, pair } = await setUp('pg-failover-sync');
    await sleep(1_500);
    const epochBefore = Math.max(...readRuns(out).map((r) => r.epoch));
    const postmaster = Number(
      fs.readFileSync(path.join(primary.data, 'postmaster.pid'), 'utf8').split('\n')[0],
    );
    process.kill(postmaster, 'SIGKILL');
    standby.promote();
    // The killed primary's children go with it; its data directory is then clean enough to follow.
    await waitFor(
      () => {
        try {
          process.kill(postmaster, 0);
          return false;
        } catch {
          return true;
        }
      },
      10_000,
      'the old postmaster gone',
    );
    await afterFailover({ primary, standby, out, config, pair, at: Date.now(), epochBefore });
  });
});
