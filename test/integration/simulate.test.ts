// `cronkeeper simulate` against the real daemon: per-second jobs under four
// catch-up policies run, the daemon is SIGKILLed for ~4 s and restarted, and a
// simulation of the same period with the same downtime must say exactly what
// the ledger shows the daemon did: which slots ran on time, which as catch-up,
// which not at all — and, for the ones not run, why (the daemon's plan log).
//
// The downtime, as simulate defines it, is [kill, boot now]:
// - kill: the test's clock at SIGKILL, taken half-way between two slots, so
//   the slot before it was claimed and the one after it was not;
// - boot now: the instant the restarted daemon plans its catch-up (lead/term.ts:
//   `bootNow`, after the restore). It is not logged, but it lies between the
//   "state restored" line and the "catch-up starting" line. Both ends are
//   simulated; when a slot falls between them (a few ms), the daemon must
//   match one of the two.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import type { Db } from '../../src/store/db.js';
import { openPostgres } from '../../src/store/open-postgres.js';
import { CLI, childEnv, type LogLine, sleep, waitFor } from '../support/daemon.js';
import { createHarness } from '../support/harness.js';
import { iso } from '../support/time.js';

const JOBS = ['all', 'capped', 'latest', 'windowed'] as const;

function writeConfig(dir: string, url: string): string {
  const file = path.join(dir, 'cronkeeper.yaml');
  const job = (...policy: string[]) =>
    ['', 'schedule: "* * * * * *"', ...policy, 'command: ["/bin/true"]'].join('\n    ');
  fs.writeFileSync(
    file,
    `store: { url: "${url}" }
snapshot: { interval: 1s, maxUpdates: 5, keep: 5 }
catchupConcurrency: 8
shutdownGrace: 5s
jobs:
  all:${job('catchup: all')}
  capped:${job('catchup: all', 'maxCatchup: 2')}
  latest:${job('catchup: latest')}
  windowed:${job('catchup: all', 'catchupWindow: 2s')}
`,
    { mode: 0o600 },
  );
  return file;
}

const logTime = (l: LogLine): number => Date.parse(String(l.time));

interface SimulationJson {
  slots: Array<{ job: string; scheduledAt: string; outcome: string }>;
  totals: Record<string, Record<string, number>>;
}

function runSimulate(
  config: string,
  args: string[],
): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, 'simulate', '--config', config, ...args], {
    env: childEnv(),
    encoding: 'utf8',
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Per job, "<ISO slot> <run|catchup|not run>" for every slot in [from, to]. */
type Fates = Record<string, string[]>;

function fatesOfSimulation(sim: SimulationJson): Fates {
  const out: Fates = Object.fromEntries(JOBS.map((j) => [j, [] as string[]]));
  for (const s of sim.slots) {
    const fate = s.outcome === 'run' || s.outcome === 'catchup' ? s.outcome : 'not run';
    out[s.job]!.push(`${s.scheduledAt} ${fate}`);
  }
  return out;
}

describe('simulate matches what the daemon did after an outage', () => {
  const h = createHarness();
  const dir = h.tempDir('simulate');
  let store: Db | undefined;
  h.defer(() => store?.close());

  test('bad arguments exit 64 with a clear message', () => {
    const config = writeConfig(dir, 'postgres://nobody@127.0.0.1:1/none');
    const cases: Array<[string[], RegExp]> = [
      [
        ['--from', 'yesterday', '--to', '2026-05-10T10:00:00Z'],
        /--from: 'yesterday' is not an ISO 8601 instant/,
      ],
      [['--from', '2026-05-10T11:00:00Z', '--to', '2026-05-10T10:00:00Z'], /is after --to/],
      [
        [
          '--from',
          '2026-05-10T10:00:00Z',
          '--to',
          '2026-05-10T11:00:00Z',
          '--down',
          '2026-05-10T10:30:00Z..2026-05-10T10:20:00Z',
        ],
        /ends before it starts/,
      ],
      [
        [
          '--from',
          '2026-05-10T10:00:00Z',
          '--to',
          '2026-05-10T11:00:00Z',
          '--down',
          '2026-05-10T10:10:00Z..2026-05-10T10:20:00Z',
          '--down',
          '2026-05-10T10:15:00Z..2026-05-10T10:30:00Z',
        ],
        /overlap/,
      ],
      [
        [
          '--from',
          '2026-05-10T10:00:00Z',
          '--to',
          '2026-05-10T11:00:00Z',
          '--down',
          '2026-05-10T09:00:00Z..2026-05-10T10:20:00Z',
        ],
        /not inside/,
      ],
    ];
    for (const [args, message] of cases) {
      const r = runSimulate(config, args);
      assert.equal(r.status, 64, `${args.join(' ')}: exit 64; stderr: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(r.stdout, '');
    }
    // A valid period needs no store: the config's server is unreachable, and it still works.
    const ok = runSimulate(config, [
      '--from',
      '2026-05-10T10:00:00Z',
      '--to',
      '2026-05-10T10:00:02Z',
      '--job',
      'all',
    ]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /2026-05-10T10:00:02\.000Z .* all +run/);
  });

  test('the same outage, simulated and real', async () => {
    const db = await h.database();
    store = await openPostgres({ url: db.url });
    const config = writeConfig(dir, db.url);

    const first = h.startDaemon(config);
    const ready1 = logTime(await first.waitForLog((l) => l.msg === 'ready: scheduling', 60_000));
    await sleep(2_500);
    // Half-way between two slots: the previous one is claimed, the next one not yet due.
    await sleep((1_500 - (Date.now() % 1_000)) % 1_000);
    const killAt = Date.now();
    first.proc.kill('SIGKILL');
    assert.equal(await first.exited, 'SIGKILL');

    await sleep(4_000 - (Date.now() - killAt));
    const second = h.startDaemon(config);
    const ready2 = logTime(await second.waitForLog((l) => l.msg === 'ready: scheduling', 60_000));
    await waitFor(
      async () => {
        const r = await store!.query<{ newest: Date | null }>(
          'SELECT min(newest) AS newest FROM (SELECT max(scheduled_at) AS newest FROM cronkeeper_runs GROUP BY job) j',
        );
        return (r[0]?.newest?.getTime() ?? 0) >= ready2 + 2_000;
      },
      15_000,
      'two regular slots of every job after the restart',
    );
    second.proc.kill('SIGTERM');
    assert.equal(await second.exited, 0, `graceful stop exits 0; stderr: ${second.stderr()}`);

    const restored = second.logs.find((l) => 'replayedRows' in l);
    const planned = second.logs.find((l) => l.msg === 'catch-up starting');
    assert.ok(restored && planned, 'the restart logged its restore and its catch-up');
    const bootNow = { earliest: logTime(restored), latest: logTime(planned) };

    // The period: from a whole second after the first daemon was ready to each job's newest slot.
    const rows = await store.query<{ job: string; scheduled_at: Date; catchup: boolean }>(
      'SELECT job, scheduled_at, catchup FROM cronkeeper_runs ORDER BY job, scheduled_at',
    );
    const from = Math.ceil(ready1 / 1_000) * 1_000 + 1_000;
    const to = Math.min(
      ...JOBS.map((j) => Math.max(...rows.filter((r) => r.job === j).map((r) => r.scheduled_at.getTime()))),
    );
    assert.ok(from < killAt && killAt + 4_000 < to, `period ${iso(from)}..${iso(to)} holds the outage`);

    // What the daemon did, from the ledger.
    const ran = new Map(rows.map((r) => [`${r.job} ${r.scheduled_at.toISOString()}`, r.catchup]));
    const daemon: Fates = {};
    for (const job of JOBS) {
      daemon[job] = [];
      for (let t = from; t <= to; t += 1_000) {
        const c = ran.get(`${job} ${iso(t)}`);
        daemon[job].push(`${iso(t)} ${c === undefined ? 'not run' : c ? 'catchup' : 'run'}`);
      }
    }

    // What simulate says, for either end of the span boot now lies in; the store is not touched.
    const counts = async () =>
      (
        await store!.query(
          'SELECT (SELECT count(*) FROM cronkeeper_runs) AS runs, (SELECT count(*) FROM cronkeeper_snapshots) AS snapshots',
        )
      )[0];
    const before = await counts();
    const simulations = [bootNow.earliest, bootNow.latest].map((boot) => {
      const r = runSimulate(config, [
        '--from',
        iso(from),
        '--to',
        iso(to),
        '--down',
        `${iso(killAt)}..${iso(boot)}`,
        '--json',
      ]);
      assert.equal(r.status, 0, `simulate failed: ${r.stderr}`);
      return JSON.parse(r.stdout) as SimulationJson;
    });
    assert.deepEqual(await counts(), before, 'simulate touched the store');

    const match = simulations.find((s) => {
      try {
        assert.deepEqual(fatesOfSimulation(s), daemon);
        return true;
      } catch {
        return false;
      }
    });
    if (!match)
      assert.deepEqual(daemon, fatesOfSimulation(simulations[0]!), 'the daemon did what simulate says');

    // The outage exercised every policy: catch-up, drops, skips and expiry all happened.
    const totals = match!.totals;
    assert.ok(totals.all!.catchup! >= 3, JSON.stringify(totals));
    assert.equal(totals.capped!.catchup, 2);
    assert.ok(totals.capped!.dropped! >= 1);
    assert.equal(totals.latest!.catchup, 1);
    assert.ok(totals.latest!.skipped! >= 1);
    assert.ok(totals.windowed!.expired! >= 1 && totals.windowed!.catchup! >= 1);

    // And why the others were not run: the daemon's plan log counts the same.
    for (const job of JOBS) {
      const log = second.logs.find((l) => l.job === job && typeof l.missed === 'number');
      assert.ok(log, `the daemon logged a catch-up plan for ${job}`);
      const t = totals[job]!;
      assert.deepEqual(
        { runs: log.runs, dropped: log.dropped, skipped: log.skipped, expired: log.expired },
        { runs: t.catchup, dropped: t.dropped, skipped: t.skipped, expired: t.expired },
        `${job}: the daemon's plan and the simulation agree`,
      );
    }
  });
});
