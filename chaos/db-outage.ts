// Database outage: Postgres stopped (pg_ctl stop -m fast) for a while under a
// running daemon or an HA pair. The daemons must not exit; they stop claiming,
// say so in the log, on /readyz (503) and in the metrics
// (cronkeeper_database_up 0), reconnect with backoff, and once the database is
// back one of them leads, restores and catches up the outage by policy: every
// slot once (see check-slots.ts).
import fs from 'node:fs';
import path from 'node:path';
import type { PgCluster } from '../scripts/pg-cluster.js';
import { type DaemonProcess, type LogLine, sleep, waitFor } from '../test/support/daemon.js';
import { type SlotCheck, checkSlots } from './check-slots.js';
import { readLedger } from './chaos-store.js';
import { DaemonGroup, logTimeMs } from './daemon-group.js';
import { buildFleet, readFleetOutput, writeFleetConfig } from './fleet.js';

export interface OutageOptions {
  cluster: PgCluster;
  /** A fresh, empty database on `cluster`. */
  url: string;
  dir: string;
  outageMs: number;
  jobs: number;
  perSecond: number;
  pair: boolean;
  log?: (line: string) => void;
}

export interface OutageResult extends SlotCheck {
  scenario: string;
  cycles: number;
  crashes: number;
  crashDetails: string[];
  /** Seen on every node during the outage (polled every 250 ms). */
  readyz503: boolean;
  databaseUp0: boolean;
  /** The leader's /readyz status right after it logged the loss of leadership, and after it stood by. */
  readyzOnLoss: number | undefined;
  readyzStandingBy: number | undefined;
  /** Log lines at warn or above that name the database or the lost leadership, during the outage. */
  outageLogLines: string[];
  /** Runs started while the database was down (claims need it: must be 0). */
  runsStartedDuringOutage: number;
  /** Catch-up runs of slots that fell in the outage. */
  caughtUp: number;
  /** Database back -> a leader ready again (ms). */
  recoveryMs: number;
  /** Every node answers /readyz 200 again at the end. */
  readyAfter: boolean;
  durationS: number;
}

const READY = 'ready: scheduling';

interface Probe {
  readyz503: boolean;
  databaseUp0: boolean;
  /** The leader's /readyz status right after it logged the loss of leadership, and after it stood by. */
  readyzOnLoss: number | undefined;
  readyzStandingBy: number | undefined;
}

export async function runOutage(o: OutageOptions): Promise<OutageResult> {
  const log = o.log ?? (() => {});
  const startedAt = Date.now();
  const fleet = buildFleet({ jobs: o.jobs, perSecond: o.perSecond });
  const out = path.join(o.dir, 'out.txt');
  const config = path.join(o.dir, 'cronkeeper.yaml');
  writeFleetConfig(config, {
    storeYaml: `store: { url: "${o.url}" }`,
    fleet,
    outFile: out,
    extra: `snapshot: { interval: 2s }\nha: { lease: 2s, poll: 100ms }`,
  });
  const group = new DaemonGroup(config);
  const ids = o.pair ? ['node-a', 'node-b'] : ['node-a'];
  try {
    const first = group.spawn('node-a');
    const ready = await first.waitForLog((l) => l.msg === READY, 120_000);
    const fromMs = logTimeMs(ready);
    await first.waitForLog((l) => l.msg === 'snapshot written' && logTimeMs(l) > fromMs, 30_000);
    if (o.pair) {
      await group
        .spawn('node-b')
        .waitForLog(
          (l) => l.msg === 'another node leads: standing by until the leader lock is free',
          120_000,
        );
    }
    await sleep(2_000);

    const probes = new Map(ids.map((id) => [id, { readyz503: false, databaseUp0: false } as Probe]));
    let probing = true;
    const poller = (async () => {
      while (probing) {
        await Promise.all(ids.map((id) => probe(group.nodes.get(id)!, probes.get(id)!)));
        await sleep(250);
      }
    })();

    log(`  stopping Postgres for ${o.outageMs / 1000} s`);
    const downAt = Date.now();
    o.cluster.stop('fast');
    // The leader's own word, asked the moment it logs the loss and the moment it stands by.
    const leader = group.nodes.get('node-a')!;
    const since = (msg: string) => (l: LogLine) => l.msg === msg && logTimeMs(l) >= downAt;
    // The loss is logged by whichever failure the leader meets first: its lock connection, or a claim.
    const lost = (l: LogLine) =>
      since('lost the leader lock')(l) || since('claiming slots failed: giving up leadership')(l);
    const readyzOnLoss = await leader.waitForLog(lost, o.outageMs).then(
      () => readyz(leader),
      () => undefined,
    );
    const readyzStandingBy = await leader
      .waitForLog(since('contending for leadership again'), o.outageMs)
      .then(
        () => readyz(leader),
        () => undefined,
      );
    await sleep(Math.max(0, downAt + o.outageMs - Date.now()));
    o.cluster.start();
    const upAt = Date.now();
    log('  Postgres is back');
    await waitFor(
      () => group.logs((l) => l.msg === READY && logTimeMs(l) >= upAt).length > 0,
      120_000,
      'a leader ready after the outage',
    );
    const recoveryMs =
      Math.min(...group.logs((l) => l.msg === READY && logTimeMs(l) >= upAt).map(logTimeMs)) - upAt;
    // The standby's /readyz needs its database probe to see the database again.
    await sleep(6_000);
    probing = false;
    await poller;
    const readyAfter = (await Promise.all(ids.map((id) => readyz(group.nodes.get(id)!)))).every(
      (s) => s === 200,
    );

    const stopAt = Date.now();
    const codes = await Promise.all(ids.map((id) => group.kill(id, 'SIGTERM')));
    const inOutage = (l: LogLine) => logTimeMs(l) >= downAt && logTimeMs(l) <= upAt;
    const output = readFleetOutput(out);
    const check = checkSlots({
      fleet,
      output,
      ledger: await readLedger(o.url),
      fromMs,
      toMs: stopAt - 5_000,
      final: true,
    });
    const crashDetails = [
      ...group.crashes,
      ...codes.filter((c) => c !== 0).map((c) => `graceful stop exited ${c}`),
    ];
    return {
      scenario: `database outage ${o.outageMs / 1000} s, ${o.pair ? 'HA pair' : 'one daemon'}`,
      cycles: 1,
      ...check,
      crashes: crashDetails.length,
      crashDetails,
      readyz503: [...probes.values()].every((p) => p.readyz503),
      readyzOnLoss,
      readyzStandingBy,
      databaseUp0: [...probes.values()].every((p) => p.databaseUp0),
      outageLogLines: [
        ...new Set(group.logs((l) => inOutage(l) && (l.level ?? 0) >= 40).map((l) => String(l.msg))),
      ],
      // A run that starts needs its claim; allow the lease for runs claimed just before the stop.
      runsStartedDuringOutage: group.logs(
        (l) => l.msg === 'run started' && logTimeMs(l) > downAt + 3_000 && logTimeMs(l) < upAt,
      ).length,
      caughtUp: output.filter((r) => r.catchup && r.scheduledAtMs > downAt && r.scheduledAtMs < upAt).length,
      recoveryMs,
      readyAfter,
      durationS: Math.round((Date.now() - startedAt) / 1000),
    };
  } finally {
    await group.killAll();
    if (!process.env.KEEP_TEST_DIRS) fs.rmSync(out, { force: true });
  }
}

function httpBase(d: DaemonProcess): string | undefined {
  const l = d.logs.find((x) => x.msg === 'http listening');
  return l ? `http://127.0.0.1:${String(l.port)}` : undefined;
}

async function readyz(d: DaemonProcess): Promise<number | undefined> {
  const base = httpBase(d);
  if (!base) return undefined;
  try {
    return (await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(2_000) })).status;
  } catch {
    return undefined;
  }
}

async function probe(d: DaemonProcess, p: Probe): Promise<void> {
  const base = httpBase(d);
  if (!base) return;
  try {
    if ((await readyz(d)) === 503) p.readyz503 = true;
    const metrics = await (await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(2_000) })).text();
    if (/^cronkeeper_database_up 0$/m.test(metrics)) p.databaseUp0 = true;
  } catch {
    // a busy daemon may not answer within the timeout: the next probe will
  }
}
