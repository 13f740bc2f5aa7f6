// The real daemon (dist/cli.js) under a benchmark: spawned with a generated
// config, timed from process start to ready, its memory and CPU read from /proc.
import { type DaemonProcess, startDaemon } from '../../test/support/daemon.js';
import { rssMb } from './bench-env.js';

export interface StartedDaemon {
  daemon: DaemonProcess;
  /** Wall clock (UTC ms) just before the spawn. */
  spawnedAtMs: number;
  /** Process start to the 'ready: scheduling' log line, ms (from the line's own timestamp); undefined: not ready in time. */
  readyMs: number | undefined;
  /** Process start to its first log line (config loaded), ms. */
  configLoadedMs: number | undefined;
  /** Leader terms lost before ready (e.g. a heartbeat missed while the event loop was busy). */
  termsLost: number;
}

export async function startReadyDaemon(config: string, timeoutMs = 120_000): Promise<StartedDaemon> {
  const spawnedAtMs = Date.now();
  const daemon = startDaemon(config, { CRONKEEPER_NODE_ID: 'bench' });
  let readyMs: number | undefined;
  try {
    const ready = await daemon.waitForLog((l) => l.msg === 'ready: scheduling', timeoutMs);
    readyMs = Date.parse(String(ready.time)) - spawnedAtMs;
  } catch {
    // Not ready within the bound: reported as such.
  }
  const first = daemon.logs.find((l) => l.msg === 'cronkeeper starting');
  return {
    daemon,
    spawnedAtMs,
    readyMs,
    configLoadedMs: first ? Date.parse(String(first.time)) - spawnedAtMs : undefined,
    termsLost: daemon.logs.filter((l) => l.msg === 'contending for leadership again').length,
  };
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
