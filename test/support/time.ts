// Durations in milliseconds and fixed instants for tests, which never read
// the real clock for what they assert.
import assert from 'node:assert/strict';

export const SEC = 1_000;
export const MIN = 60 * SEC;
export const HOUR = 60 * MIN;
export const DAY = 24 * HOUR;

/** An instant (ms since the epoch) from an ISO text such as '2026-05-10T12:00:00Z'; a bad text fails the test. */
export function T(text: string): number {
  const t = Date.parse(text);
  assert.ok(Number.isFinite(t), `bad test instant ${text}`);
  return t;
}

/** The UTC ISO text of an instant (ms since the epoch). */
export function iso(t: number): string {
  return new Date(t).toISOString();
}
