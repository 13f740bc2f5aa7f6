// Storage faults that arrive while the daemon runs and schedules (the disk
// fills at 3 a.m.), on the embedded store, each followed by a restart once the
// fault is lifted and a check that nothing ran twice and nothing was lost:
//   read-only-running  the store's filesystem turns read-only under the running
//                      daemon (an ext4 error with errors=remount-ro, as when a
//                      disk fails); lifted by unmount, e2fsck -fy, mount
//   full-running       the store's filesystem fills up (another file takes every
//                      free block: ENOSPC); lifted by deleting that file. Without
//                      root, RLIMIT_FSIZE lowered on the running process instead
//                      (prlimit --pid: EFBIG), lifted by the restart
// Expected of the daemon: it notices the failed write, says what failed and
// why in an error-level log line, starts no slot it did not claim, and exits
// non-zero (systemd restarts it); the restarted daemon restores from the store
// as it was (no snapshot skipped) and catches up what the downtime missed.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { type DaemonProcess, type LogLine, sleep, startDaemon } from '../test/support/daemon.js';
import { checkSlots, noSlotsChecked } from './check-slots.js';
import { DaemonGroup, logTimeMs } from './daemon-group.js';
import { readEmbeddedLedger } from './embedded-ledger.js';
import { type FleetJob, buildFleet, readFleetOutput, writeFleetConfig } from './fleet.js';
import {
  type SmallFilesystem,
  mountSmallFilesystem,
  smallFilesystemUnavailable,
} from './small-filesystem.js';
import type { StorageFaultResult } from './storage-faults.js';

export type RunningFault = 'read-only-running' | 'full-running';

const READY = 'ready: scheduling';
/** How long the daemon may take to notice the fault and exit. */
const EXIT_WAIT_MS = 90_000;
const SAYS_WHY: Record<RunningFault, RegExp> = {
  'read-only-running': /Read-only file system|EROFS/,
  'full-running': /No space left on device|ENOSPC|File too large|EFBIG/,
};

export async function runFaultWhileRunning(fault: RunningFault, dir: string): Promise<StorageFaultResult> {
  const unavailable = smallFilesystemUnavailable();
  if (fault === 'read-only-running' && unavailable)
    return notRun(fault, `${unavailable}; chmod does not stand in: PGlite keeps its files open`);
  // Ten per-second jobs: a full disk shows once a table or index needs a new
  // block, which this many claims reach in seconds (one job a second took 48 s).
  const fleet = buildFleet({ jobs: 12, perSecond: 10 });
  const out = path.join(dir, 'out.txt');
  fs.writeFileSync(out, '');
  const config = path.join(dir, 'cronkeeper.yaml');
  let small: SmallFilesystem | undefined;
  let faulted: DaemonProcess | undefined;
  const group = new DaemonGroup(config);
  try {
    small = unavailable ? undefined : mountSmallFilesystem(dir);
    const storeDir = path.join(small?.dir ?? dir, 'store');
    writeFleetConfig(config, {
      storeYaml: `store: { path: "${storeDir}" }`,
      fleet,
      outFile: out,
      extra: 'snapshot: { interval: 1s, maxUpdates: 2, keep: 5 }',
    });

    // Running normally: ready, some slots run and snapshots written.
    faulted = startDaemon(config, { CRONKEEPER_NODE_ID: 'node-a' });
    const fromMs = logTimeMs(await faulted.waitForLog((l) => l.msg === READY, 120_000));
    await faulted.waitForLog((l) => l.msg === 'snapshot written' && logTimeMs(l) > fromMs + 2_000, 30_000);

    const injectedAt = Date.now();
    let how: string;
    if (small && fault === 'read-only-running') {
      small.failReadOnly();
      how = 'ext4 error, errors=remount-ro';
    } else if (small) {
      how = `filesystem filled (${Math.round(small.fill() / 1e6)} MB taken)`;
    } else {
      const r = spawnSync('prlimit', ['--pid', String(faulted.proc.pid), '--fsize=1000000:'], {
        encoding: 'utf8',
      });
      if (r.status !== 0) throw new Error(`prlimit: ${r.stderr || r.error?.message}`);
      how = `RLIMIT_FSIZE 1 MB (${unavailable})`;
    }
    let timer: NodeJS.Timeout | undefined;
    const exitCode = await Promise.race([
      faulted.exited,
      new Promise<string>((resolve) => {
        timer = setTimeout(
          () => resolve(`still running ${EXIT_WAIT_MS / 1000} s after the fault`),
          EXIT_WAIT_MS,
        );
      }),
    ]);
    clearTimeout(timer);
    const exitedAt = Date.now();
    if (faulted.proc.exitCode === null && faulted.proc.signalCode === null) {
      faulted.proc.kill('SIGKILL');
      await faulted.exited;
    }
    const errors = faulted.logs.filter((l) => (l.level ?? 0) >= 50 && logTimeMs(l) >= injectedAt - 1_000);
    const first = errors[0];
    const said = first ? describe(first) : '';
    const noticedMs = first ? logTimeMs(first) - injectedAt : undefined;
    // The line that ended it (a failed claim, or the PANIC exit; a failed snapshot only logs);
    // runs claimed before it may still start and finish, none is claimed after it (check-slots).
    const gaveUp = errors.find((l) => /giving up|exiting/.test(String(l.msg)));
    const startedAfter = gaveUp
      ? faulted.logs.filter((l) => l.msg === 'run started' && logTimeMs(l) > logTimeMs(gaveUp)).length
      : 0;

    // The fault lifted, as an operator would: the daemon restarts on the store as it was left.
    let lifted = 'the file size limit ended with the process';
    if (small && fault === 'read-only-running') lifted = `e2fsck: ${small.repair()}`;
    else if (small) {
      small.unfill();
      lifted = 'filler removed';
    }
    const liftedAt = Date.now();
    const again = group.spawn('node-a');
    const restored = await again.waitForLog(
      (l) => typeof l.msg === 'string' && /restored|no previous state/.test(l.msg),
      120_000,
    );
    const ready = await again.waitForLog((l) => l.msg === READY, 120_000);
    const skipped = again.logs.filter((l) => l.msg === 'snapshot unusable: skipped, falling back').length;
    await sleep(5_000);
    const stopAt = Date.now();
    const code = await group.kill('node-a', 'SIGTERM');
    const check = checkSlots({
      fleet: fleet as FleetJob[],
      output: readFleetOutput(out),
      ledger: await readEmbeddedLedger(storeDir),
      fromMs,
      toMs: Math.max(logTimeMs(ready), stopAt - 1_000),
      final: true,
    });
    const crashDetails = [...group.crashes, ...(code === 0 ? [] : [`graceful stop exited ${code}`])];
    const behaved =
      exitCode === 1 && SAYS_WHY[fault].test(said) && restored.msg === 'state restored' && skipped === 0;
    const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    return {
      scenario: `storage: ${fault}`,
      cycles: 1,
      ...check,
      crashes: crashDetails.length,
      crashDetails,
      underFault: { exitCode, said },
      behaved,
      details:
        `${how}; first error ${noticedMs === undefined ? 'never' : seconds(noticedMs)} after it, ` +
        `exit ${exitCode} ${seconds(exitedAt - injectedAt)} after it; ${startedAfter} runs started after it gave up; ` +
        `${errors.length} error lines; ${lifted}; restart: ${restored.msg} (${skipped} snapshots skipped), ` +
        `ready ${seconds(logTimeMs(ready) - liftedAt)} after the restart`,
    };
  } finally {
    if (faulted && faulted.proc.exitCode === null && faulted.proc.signalCode === null) {
      faulted.proc.kill('SIGKILL');
      await faulted.exited;
    }
    await group.killAll();
    small?.destroy();
  }
}

/** "what failed: why" from an error-level log line. */
function describe(l: LogLine): string {
  const err = l.err as { message?: string } | undefined;
  return err?.message ? `${String(l.msg)}: ${err.message}` : String(l.msg);
}

function notRun(fault: RunningFault, why: string): StorageFaultResult {
  return {
    scenario: `storage: ${fault}`,
    cycles: 0,
    ...noSlotsChecked(),
    crashes: 0,
    crashDetails: [],
    underFault: { exitCode: null, said: '' },
    behaved: true,
    notRun: why,
  };
}
