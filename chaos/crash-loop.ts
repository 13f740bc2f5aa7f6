// Crash loop: SIGKILL the daemon (or, in an HA pair, whichever node leads) at
// random instants under a fleet of jobs, with snapshots written several times a
// second, so kills land during boot and restore, catch-up, claim batches and
// snapshot writes. After every restart the ledger is checked for gaps and the
// output for duplicates; at the end, after a graceful stop, every slot of the
// whole run is checked (see check-slots.ts) and every snapshot row decoded.
import fs from 'node:fs';
import path from 'node:path';
import { sleep, waitFor } from '../test/support/daemon.js';
import { type SlotCheck, checkSlots } from './check-slots.js';
import { type SnapshotRowsCheck, decodeSnapshotRows, readLeader, readLedger } from './chaos-store.js';
import { DaemonGroup, logTimeMs } from './daemon-group.js';
import { buildFleet, readFleetOutput, writeFleetConfig } from './fleet.js';

export interface CrashLoopOptions {
  /** A fresh, empty database. */
  url: string;
  dir: string;
  kills: number;
  jobs: number;
  perSecond: number;
  /** One daemon, or an HA pair where the leader is the one killed. */
  pair: boolean;
  /** A kill comes this long after the previous one (uniform, ms). */
  minGapMs?: number;
  maxGapMs?: number;
  /** How long the last catch-up may take (default 15 min, for long runs). */
  finalReadyTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface CrashLoopResult extends SlotCheck {
  scenario: string;
  cycles: number;
  crashes: number;
  crashDetails: string[];
  /** Where the kills landed in the killed daemon's life. */
  killedDuring: { boot: number; catchUp: number; scheduling: number };
  /** Checks after each restart that found a gap or a duplicate. */
  failedIntermediateChecks: number;
  restoreFallbacks: number;
  snapshotsWritten: number;
  snapshotRows: SnapshotRowsCheck;
  runs: number;
  durationS: number;
}

const READY = 'ready: scheduling';

export async function runCrashLoop(o: CrashLoopOptions): Promise<CrashLoopResult> {
  const log = o.log ?? (() => {});
  const minGap = o.minGapMs ?? 300;
  const maxGap = o.maxGapMs ?? 4_000;
  const startedAt = Date.now();
  const fleet = buildFleet({ jobs: o.jobs, perSecond: o.perSecond });
  const out = path.join(o.dir, 'out.txt');
  const config = path.join(o.dir, 'cronkeeper.yaml');
  writeFleetConfig(config, {
    storeYaml: `store: { url: "${o.url}" }`,
    fleet,
    outFile: out,
    // Snapshots several times a second (and kept, to decode them all at the end).
    extra: `snapshot: { interval: 1s, maxUpdates: 25, keep: 500 }\nha: { lease: 2s, poll: 100ms }`,
  });
  const group = new DaemonGroup(config);
  const ids = o.pair ? ['node-a', 'node-b'] : ['node-a'];
  const killedDuring = { boot: 0, catchUp: 0, scheduling: 0 };
  let failedIntermediateChecks = 0;
  try {
    // A first start that lives long enough to record every job's baseline.
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

    let lastKillAt = 0;
    for (let i = 0; i < o.kills; i++) {
      // One kill in five lands at boot (opening the store, taking the lock); the
      // others at a random instant after a node took the lead: in the restore,
      // the catch-up, the claim batches and the snapshot writes of the run.
      const atBoot = Math.random() < 0.2;
      if (!atBoot) {
        await waitFor(
          () => group.logs((l) => l.msg === 'leading' && logTimeMs(l) >= lastKillAt).length > 0,
          120_000,
          'a leader after the kill',
        );
      }
      await sleep(atBoot ? Math.random() * 1_000 : minGap + Math.random() * (maxGap - minGap));
      const victim = o.pair ? ((await readLeader(o.url).catch(() => null)) ?? 'node-a') : 'node-a';
      const d = group.nodes.get(victim)!;
      const phase = d.logs.some((l) => l.msg === READY)
        ? 'scheduling'
        : d.logs.some((l) => typeof l.msg === 'string' && /restored|no previous state/.test(l.msg))
          ? 'catchUp'
          : 'boot';
      killedDuring[phase]++;
      // Taken before the signal: the survivor of a pair may lead, and even be ready,
      // before the victim's exit is reported here.
      lastKillAt = Date.now();
      await group.kill(victim, 'SIGKILL');
      group.spawn(victim);
      // After each restart: no gap in the ledger up to the newest catch-up, no slot twice.
      const lastReady = Math.max(...group.logs((l) => l.msg === READY).map(logTimeMs));
      const c = checkSlots({
        fleet,
        output: readFleetOutput(out),
        ledger: await readLedger(o.url),
        fromMs,
        toMs: lastReady - 1_000,
        final: false,
      });
      if (c.duplicates + c.misses > 0) {
        failedIntermediateChecks++;
        log(`  cycle ${i + 1}: ${c.duplicates} duplicated, ${c.misses} missed: ${c.examples.join('; ')}`);
      }
      if ((i + 1) % 10 === 0) log(`  ${i + 1}/${o.kills} kills (${phase})`);
    }

    // The end: someone leads and has caught up since the last kill (in a pair, often
    // the survivor, ready while the victim restarted); then a graceful stop of all.
    await waitFor(
      () =>
        [...group.nodes.values()].some((d) =>
          d.logs.some((l) => l.msg === READY && logTimeMs(l) >= lastKillAt),
        ),
      // The last catch-up may be long: every kill added to its backlog.
      o.finalReadyTimeoutMs ?? 900_000,
      'a leader ready after the last kill',
    ).catch((err: Error) => {
      const tails = [...group.nodes].map(
        ([id, d]) =>
          `${id}: ${d.logs
            .slice(-8)
            .map((l) => JSON.stringify(l).slice(0, 300))
            .join('\n')}`,
      );
      throw new Error(`${err.message}\n${tails.join('\n')}`);
    });
    await sleep(3_000);
    const stopAt = Date.now();
    const codes = await Promise.all(ids.map((id) => group.kill(id, 'SIGTERM')));
    const badStops = ids
      .filter((_, i) => codes[i] !== 0)
      .map((id) => {
        const errors = group.nodes.get(id)!.logs.filter((l) => (l.level ?? 0) >= 50);
        return `${id}: graceful stop exited ${codes[ids.indexOf(id)]}: ${errors.map((l) => l.msg).join('; ')}`;
      });
    const final = checkSlots({
      fleet,
      output: readFleetOutput(out),
      ledger: await readLedger(o.url),
      fromMs,
      toMs: stopAt - 5_000,
      final: true,
    });
    const crashDetails = [...group.crashes, ...badStops];
    return {
      scenario: o.pair ? 'crash loop, HA pair (leader killed)' : 'crash loop, one daemon',
      cycles: o.kills,
      ...final,
      crashes: crashDetails.length,
      crashDetails,
      killedDuring,
      failedIntermediateChecks,
      restoreFallbacks: group.logs((l) => l.msg === 'snapshot unusable: skipped, falling back').length,
      snapshotsWritten: group.logs((l) => l.msg === 'snapshot written').length,
      snapshotRows: await decodeSnapshotRows(o.url),
      runs: readFleetOutput(out).length,
      durationS: Math.round((Date.now() - startedAt) / 1000),
    };
  } finally {
    await group.killAll();
    if (!process.env.KEEP_TEST_DIRS) fs.rmSync(out, { force: true });
  }
}
