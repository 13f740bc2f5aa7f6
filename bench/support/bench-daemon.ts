// The real daemon (dist/cli.js) under a benchmark: spawned with a generated
// config, timed from process start to ready, its memory and CPU read from /proc.
import { type DaemonProcess, startDaemon } from '../../test/support/daemon.js';
import { rssMb } from './bench-env.js';

export interface StartedDaemon {
  daemon: DaemonProcess;
  /** Wall clock (UTC ms) just before the spawn. */
  spawnedAtMs: number;
  /** Process start to the 'ready: scheduling' log line, ms (from the line's own timestamp). */
  readyMs: number;
}

export async function startReadyDaemon(config: string, timeoutMs = 180_000): Promise<StartedDaemon> {
  const spawnedAtMs = Date.now();
  const daemon = startDaemon(config, { CRONKEEPER_NODE_ID: 'bench' });
  const ready = await daemon.waitForLog((l) => l.msg === 'ready: scheduling', timeoutMs);
  return { daemon, spawnedAtMs, readyMs: Date.parse(String(ready.time)) - spawnedAtMs };
}

/** The highest resident memory (MB) seen over `ms`, sampled every 200 ms. */
export async function peakRss(pid: number, ms: number): Promise<number> {
  let peak = 0;
  for (const end = Date.now() + ms; Date.now() < end;) {
    peak = Math.max(peak, rssMb(pid));
    await new Promise((r) => setTimeout(r, 200));
  }
  return peak;
}

/** SIGTERM (graceful: the snapshot is flushed) and wait for the exit. */
export async function stopDaemon(d: DaemonProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  d.proc.kill(signal);
  await d.exited;
}
