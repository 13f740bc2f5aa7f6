// What every load test asserts on a scenario's figures (chaos/load-scenarios.ts):
// every tick slot in the window ran, none twice, and a message that shows the
// figures when it did not. Timings are reported, never asserted (that is
// `npm run chaos:load`'s job).
import assert from 'node:assert/strict';
import type { LoadFigures } from '../../chaos/load-scenarios.js';

export function describeFigures(f: LoadFigures): string {
  const { examples, ...ticks } = f.ticks;
  return JSON.stringify({ ...f, ticks, examples }, null, 1);
}

/** 0 missed, 0 duplicated tick slots; a window long enough to mean something. */
export function assertEveryTickOnce(f: LoadFigures, minDue: number): void {
  const why = describeFigures(f);
  assert.ok(f.ticks.due >= minDue, `at least ${minDue} slots due in the window: ${why}`);
  assert.equal(f.ticks.duplicated, 0, `no tick slot twice: ${why}`);
  assert.equal(f.ticks.missed, 0, `no tick slot missed: ${why}`);
  assert.equal(f.ticks.run, f.ticks.due, why);
}

/** The daemon led throughout: no term lost, none started, in the window. */
export function assertLeaderKept(f: LoadFigures): void {
  const why = describeFigures(f);
  assert.equal(f.leadership.termsLost, 0, `leadership never lost: ${why}`);
  assert.equal(f.leadership.termsStarted, 0, `no new term: ${why}`);
}
