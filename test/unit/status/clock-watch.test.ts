import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClockWatch, detectJump, estimateSkew } from '../../../src/status/clock-watch.js';
import { Metrics } from '../../../src/metrics/metrics.js';
import type { Queryable } from '../../../src/store/db.js';
import { memoryLogger } from '../../support/logger.js';

const T0 = Date.parse('2026-03-29T00:59:00.000Z');
const H = 3_600_000;

describe('detectJump', () => {
  const cases: Array<[string, number, number, ReturnType<typeof detectJump>]> = [
    // [name, wall advance, monotonic advance, expected]
    ['both clocks advance together: no jump', 1_000, 1_000, undefined],
    ['timer lateness moves both: no jump', 7_000, 7_000, undefined],
    ['small drift below the tolerance: no jump', 1_000, 1_400, undefined],
    ['an NTP step forward by an hour', H + 1_000, 1_000, { direction: 'forward', sizeMs: H }],
    ['a suspend (monotonic stood still): forward', 600_000, 0, { direction: 'forward', sizeMs: 600_000 }],
    ['a step back by an hour', 1_000 - H, 1_000, { direction: 'backward', sizeMs: H }],
    ['a step back by 2 s while 1 s passed', -1_000, 1_000, { direction: 'backward', sizeMs: 2_000 }],
  ];
  for (const [name, wall, mono, expected] of cases) {
    it(name, () => {
      assert.deepEqual(
        detectJump({ wallMs: T0, monoMs: 5_000 }, { wallMs: T0 + wall, monoMs: 5_000 + mono }),
        expected,
      );
    });
  }
});

describe('estimateSkew', () => {
  it('compares the database reading with the midpoint of the round trip', () => {
    // Round trip 200 ms; the database read its clock 3 s behind our midpoint.
    assert.deepEqual(estimateSkew(T0, T0 + 100 - 3_000, T0 + 200), {
      skewMs: 3_000,
      uncertaintyMs: 100,
      beyond: true,
    });
  });
  it('a skew within the round trip uncertainty of the threshold is not beyond it', () => {
    // 2.5 s skew, but the round trip took 2 s: known only to ± 1 s.
    assert.equal(estimateSkew(T0, T0 + 1_000 + 2_500, T0 + 2_000).beyond, false);
    assert.equal(estimateSkew(T0, T0 + 1_000 + 2_500, T0 + 2_000).skewMs, -2_500);
  });
  it('agreeing clocks', () => {
    assert.deepEqual(estimateSkew(T0, T0 + 5, T0 + 10), { skewMs: 0, uncertaintyMs: 5, beyond: false });
  });
});

describe('ClockWatch', () => {
  function watch() {
    let wall = T0;
    let mono = 1_000;
    const { logger, lines } = memoryLogger();
    const metrics = new Metrics();
    const w = new ClockWatch({ clock: { now: () => wall }, monotonic: () => mono, logger, metrics });
    return {
      w,
      lines,
      metrics,
      advance(wallMs: number, monoMs: number) {
        wall += wallMs;
        mono += monoMs;
      },
    };
  }

  it('logs and counts a forward and a backward jump with their size, and nothing for steady time', async () => {
    const t = watch();
    assert.equal(t.w.sample(), undefined, 'the first sample has nothing to compare with');
    t.advance(1_000, 1_000);
    assert.equal(t.w.sample(), undefined);
    t.advance(H + 1_000, 1_000);
    assert.deepEqual(t.w.sample(), { direction: 'forward', sizeMs: H });
    t.advance(1_000 - 2 * H, 1_000);
    assert.deepEqual(t.w.sample(), { direction: 'backward', sizeMs: 2 * H });
    const warned = t.lines.filter((l) => l.level === 40);
    assert.deepEqual(
      warned.map((l) => [l.jumpMs, l.from, l.to]),
      [
        [H, '2026-03-29T00:59:01.000Z', '2026-03-29T01:59:02.000Z'],
        [2 * H, '2026-03-29T01:59:02.000Z', '2026-03-28T23:59:03.000Z'],
      ],
    );
    assert.match(String(warned[0]!.msg), /jumped forward/);
    assert.match(String(warned[1]!.msg), /jumped backward: no claimed slot runs again/);
    const text = await t.metrics.registry.metrics();
    assert.match(text, /cronkeeper_clock_jumps_total\{direction="forward"\} 1/);
    assert.match(text, /cronkeeper_clock_jumps_total\{direction="backward"\} 1/);
  });

  it('exports the skew against the database and logs it once when beyond the threshold, and when it heals', async () => {
    const t = watch();
    let dbOffsetMs = -5_000;
    const db: Queryable = {
      // The database's clock reading, as a Date (the store's timestamptz type); no round trip here.
      query: <R>() => Promise.resolve([{ now: new Date(T0 + dbOffsetMs) }] as R[]),
      exec: () => Promise.resolve(),
    };
    assert.equal((await t.w.checkDatabase(db)).skewMs, 5_000);
    assert.match(await t.metrics.registry.metrics(), /cronkeeper_clock_skew_seconds 5\n/);
    await t.w.checkDatabase(db);
    dbOffsetMs = 500;
    await t.w.checkDatabase(db);
    assert.match(await t.metrics.registry.metrics(), /cronkeeper_clock_skew_seconds -0.5\n/);
    assert.deepEqual(
      t.lines.map((l) => [l.level, l.skewMs]),
      [
        [40, 5_000],
        [30, -500],
      ],
    );
  });
});
