// Freshness (maxAge): is a job's newest success recent enough? Pure: times are
// UTC epoch ms, `nowMs` is given.
//
// The reference instant is the scheduled time of the newest successful run
// (manual runs count: they refresh the data too); a job that never succeeded
// is measured from when it was first known (its oldest ledger row, else its
// baseline in the state), so a job that has never worked turns stale too.

export interface FreshnessFacts {
  /** Scheduled time of the newest successful run; undefined if none is known. */
  lastSuccessMs: number | undefined;
  /** When the job was first known (oldest ledger row, else its state baseline); undefined if not known at all. */
  firstKnownMs: number | undefined;
}

export interface Freshness {
  lastSuccessMs: number | undefined;
  /** The job's maxAge; undefined: no freshness check, never stale. */
  maxAgeMs: number | undefined;
  stale: boolean;
  /** When the job turns (or turned) stale if nothing succeeds meanwhile; undefined without maxAge or facts. */
  staleAtMs: number | undefined;
}

export function evaluateFreshness(
  facts: FreshnessFacts,
  maxAgeMs: number | undefined,
  nowMs: number,
): Freshness {
  const since = facts.lastSuccessMs ?? facts.firstKnownMs;
  const staleAtMs = maxAgeMs === undefined || since === undefined ? undefined : since + maxAgeMs;
  return {
    lastSuccessMs: facts.lastSuccessMs,
    maxAgeMs,
    stale: staleAtMs !== undefined && nowMs > staleAtMs,
    staleAtMs,
  };
}

/** Facts that only move forward: a later success wins, an earlier first sighting wins. */
export function mergeFacts(a: FreshnessFacts | undefined, b: FreshnessFacts): FreshnessFacts {
  if (!a) return b;
  return {
    lastSuccessMs: pick(a.lastSuccessMs, b.lastSuccessMs, Math.max),
    firstKnownMs: pick(a.firstKnownMs, b.firstKnownMs, Math.min),
  };
}

function pick(
  a: number | undefined,
  b: number | undefined,
  choose: (x: number, y: number) => number,
): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return choose(a, b);
}
