// Waiting for a supervisor asked of the launcher (run-supervisor.ts) to show
// itself in the run's `started` marker. A launcher that died loses the lines
// written to it, so the supervisor is asked for again now and then; after a
// while the run is given up, the marker taken first (a supervisor that comes
// late then runs nothing).
import { type FSWatcher, watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { type ProcessRef, type SpoolPaths, ABANDONED, inspectSpool, parseProcessRef } from './run-spool.js';

/** A launched supervisor not seen this long is asked for again (ms). */
const RELAUNCH_MS = 2_000;
/** ... and the run given up (ms). */
export const LAUNCH_GIVE_UP_MS = 30_000;

export type LaunchSeen =
  | { supervisor: ProcessRef }
  /** The run is taken as never started: by a successor (`abandoned`), or here after the wait. */
  | { neverStarted: 'abandoned' | 'gave-up' }
  /** The caller stopped caring (`done()` became true). */
  | undefined;

/**
 * Resolves once the supervisor of the run in `paths` has created its marker, or
 * the run is taken as never started. `relaunch` asks for the supervisor again.
 */
export async function awaitSupervisor(
  paths: SpoolPaths,
  relaunch: () => void,
  done: () => boolean,
): Promise<LaunchSeen> {
  // Woken by inotify when the marker appears; polling as well, more slowly as time goes on.
  let poke = (): void => {};
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(paths.dir, () => poke());
    watcher.on('error', () => {});
  } catch {
    // polling alone
  }
  const wake = (ms: number) =>
    new Promise<void>((resolve) => {
      poke = resolve;
      setTimeout(resolve, ms);
    });
  try {
    const since = performance.now();
    let askedAt = since;
    for (let waitMs = 5; !done(); waitMs = Math.min(waitMs * 2, 200)) {
      const marker = await readFile(paths.started, 'utf8').catch(() => '');
      const supervisor = parseProcessRef(marker);
      if (supervisor) return { supervisor };
      const now = performance.now();
      const abandoned = marker.trim() === ABANDONED;
      if (abandoned || now - since > LAUNCH_GIVE_UP_MS) {
        // Taken as never started (by a successor, or here, now): the supervisor runs nothing.
        const state = await inspectSpool(paths).catch(() => undefined);
        if (state?.kind === 'never-started') return { neverStarted: abandoned ? 'abandoned' : 'gave-up' };
        continue;
      }
      if (now - askedAt > RELAUNCH_MS) {
        askedAt = now;
        try {
          relaunch();
        } catch {
          // asked again at the next turn
        }
      }
      await wake(waitMs);
    }
    return undefined;
  } finally {
    watcher?.close();
  }
}
