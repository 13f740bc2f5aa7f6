// Database failover: an HA pair on a primary and a synchronous streaming
// standby, both listed in store.url, under the fleet (its per-second jobs).
// Again and again the primary goes — stopped cleanly (a switchover) or
// SIGKILLed (a failover), alternately — the standby is promoted, and the old
// primary is rebuilt as the new primary's synchronous standby on its own host:
// back and forth. Every slot once (see check-slots.ts); a committed claim is
// on the standby before the commit returns, so none is lost.
import fs from 'node:fs';
import path from 'node:path';
import { rebuildAsStandby, setSynchronous, startCluster, startStandby } from '../scripts/pg-cluster.js';
import { type LogLine, sleep, waitFor } from '../test/support/daemon.js';
import { type SlotCheck, checkSlots } from './check-slots.js';
import { readLedger } from './chaos-store.js';
import { DaemonGroup, logTimeMs } from './daemon-group.js';
import { buildFleet, readFleetOutput, writeFleetConfig } from './fleet.js';

export interface FailoverOptions {
  dir: string;
  failovers: number;
  jobs: number;
  perSecond: number;
  /** How long the pair runs between two failovers (ms). */
  everyMs: number;
  log?: (line: string) => void;
}

export interface FailoverResult extends SlotCheck {
  scenario: string;
  cycles: number;
  crashes: number;
  crashDetails: string[];
  /** Primary gone -> a leader ready on the new one (ms), per failover. */
  recoveryMs: number[];
  /** Failovers the daemons logged (the first node to see each new timeline). */
  failoversLogged: number;
  durationS: number;
}

const READY = 'ready: scheduling';

export async function runDbFailover(o: FailoverOptions): Promise<FailoverResult> {
  const log = o.log ?? (() => {});
  const startedAt = Date.now();
  let primary = await startCluster();
  let standby = await startStandby(primary, { synchronous: true });
  const fleet = buildFleet({ jobs: o.jobs, perSecond: o.perSecond });
  const out = path.join(o.dir, 'out.txt');
  const config = path.join(o.dir, 'cronkeeper.yaml');
  const url = `postgres://postgres@127.0.0.1:${primary.port},127.0.0.1:${standby.port}/postgres`;
  writeFleetConfig(config, {
    storeYaml: `store: { url: "${url}" }`,
    fleet,
    outFile: out,
    extra: `snapshot: { interval: 2s }\nha: { lease: 2s, poll: 100ms }`,
  });
  const group = new DaemonGroup(config);
  try {
    const ready = await group.spawn('node-a').waitForLog((l) => l.msg === READY, 120_000);
    const fromMs = logTimeMs(ready);
    await group
      .spawn('node-b')
      .waitForLog((l) => l.msg === 'another node leads: standing by until the leader lock is free', 120_000);
    const recoveryMs: number[] = [];
    for (let i = 0; i < o.failovers; i++) {
      await sleep(o.everyMs);
      const crash = i % 2 === 1;
      log(
        `  failover ${i + 1}/${o.failovers}: ${crash ? 'SIGKILL of' : 'clean stop of'} the primary :${primary.port}`,
      );
      const goneAt = Date.now();
      if (crash) primary.kill();
      else primary.stop('fast');
      standby.promote();
      // No standby to wait for until the old primary is rebuilt as one.
      setSynchronous(standby, false);
      await waitFor(
        () => group.logs((l: LogLine) => l.msg === READY && logTimeMs(l) >= goneAt).length > 0,
        60_000,
        'a leader ready on the new primary',
      );
      recoveryMs.push(
        Math.min(...group.logs((l) => l.msg === READY && logTimeMs(l) >= goneAt).map(logTimeMs)) - goneAt,
      );
      rebuildAsStandby(primary, standby);
      setSynchronous(standby, true);
      [primary, standby] = [standby, primary];
    }
    await sleep(o.everyMs);
    const stopAt = Date.now();
    const codes = await Promise.all(['node-a', 'node-b'].map((id) => group.kill(id, 'SIGTERM')));
    const check = checkSlots({
      fleet,
      output: readFleetOutput(out),
      ledger: await readLedger(`postgres://postgres@127.0.0.1:${primary.port}/postgres`),
      fromMs,
      toMs: stopAt - 5_000,
      final: true,
    });
    const crashDetails = [
      ...group.crashes,
      ...codes.filter((c) => c !== 0).map((c) => `graceful stop exited ${c}`),
    ];
    return {
      scenario: `database failover ×${o.failovers} (sync standby), HA pair`,
      cycles: o.failovers,
      ...check,
      crashes: crashDetails.length,
      crashDetails,
      recoveryMs,
      failoversLogged: group.logs((l) => String(l.msg).startsWith('the database failed over')).length,
      durationS: Math.round((Date.now() - startedAt) / 1000),
    };
  } finally {
    await group.killAll();
    primary.destroy();
    standby.destroy();
    if (!process.env.KEEP_TEST_DIRS) fs.rmSync(out, { force: true });
  }
}
