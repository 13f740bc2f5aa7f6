// When to write the next snapshot: after `intervalMs` or after `maxUpdates`
// claims, whichever comes first. Nothing changed, nothing written.

export interface FlushState {
  /** When the last snapshot was written (or the daemon started), UTC ms. */
  lastFlushMs: number;
  /** Claims recorded since then. */
  updatesSinceFlush: number;
}

export interface FlushLimits {
  intervalMs: number;
  maxUpdates: number;
}

export function isFlushDue(state: FlushState, limits: FlushLimits, nowMs: number): boolean {
  if (state.updatesSinceFlush === 0) return false;
  if (state.updatesSinceFlush >= limits.maxUpdates) return true;
  // A backward clock jump must not postpone the flush forever: treat it as due.
  return nowMs - state.lastFlushMs >= limits.intervalMs || nowMs < state.lastFlushMs;
}

/** The instant (UTC ms) at which the interval rule makes a flush due, or undefined with nothing to flush. */
export function nextFlushAt(state: FlushState, limits: FlushLimits): number | undefined {
  return state.updatesSinceFlush === 0 ? undefined : state.lastFlushMs + limits.intervalMs;
}
