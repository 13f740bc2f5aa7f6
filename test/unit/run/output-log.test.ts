import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OutputLog, SUMMARY_EVERY_MS } from '../../../src/run/output-log.js';
import { memoryLogger } from '../../support/logger.js';

function setup(mode: 'lines' | 'tail' | 'none', linesPerSecond: number) {
  const { logger, lines } = memoryLogger('info');
  let now = 1_000;
  const log = new OutputLog(logger, { job: 'chatty' }, { mode, linesPerSecond, now: () => now });
  return {
    log,
    lines,
    output: () => lines.filter((l) => l.msg === 'job output').map((l) => l.line),
    summaries: () => lines.filter((l) => l.msg.startsWith('job output suppressed')),
    advance: (ms: number) => (now += ms),
  };
}

/** `count` lines "<prefix><i>\n" as chunks of about `chunkBytes`. */
function chunks(count: number, prefix = 'y', chunkBytes = 65_536): Buffer[] {
  const all = Buffer.from(Array.from({ length: count }, (_, i) => `${prefix}${i}\n`).join(''));
  const out: Buffer[] = [];
  for (let i = 0; i < all.length; i += chunkBytes) out.push(all.subarray(i, i + chunkBytes));
  return out;
}

describe('OutputLog', () => {
  it('logs every line of a run within its budget, each once, in order', () => {
    const t = setup('lines', 10);
    for (const c of chunks(50)) t.log.push('stdout', c);
    t.log.end();
    assert.deepEqual(
      t.output(),
      Array.from({ length: 50 }, (_, i) => `y${i}`),
    );
    assert.equal(t.summaries().length, 0);
  });

  it('a flood logs ten seconds of lines, then counts the rest and says how many in one summary', () => {
    const t = setup('lines', 100);
    const total = 200_000;
    for (const c of chunks(total)) t.log.push('stdout', c);
    t.log.end();
    const logged = t.output();
    // The burst: 10 s at 100 lines/s; the line being cut at the budget's edge is suppressed whole.
    assert.ok(logged.length >= 999 && logged.length <= 1000, `logged ${logged.length}`);
    assert.deepEqual(logged.slice(0, 3), ['y0', 'y1', 'y2']);
    for (const l of logged) assert.match(String(l), /^y\d+$/);
    const summaries = t.summaries();
    assert.equal(summaries.length, 1);
    assert.equal(Number(summaries[0]!.suppressedLines) + logged.length, total);
  });

  it('refills at the rate; one summary per interval while suppressing, and a last one at the end', () => {
    const t = setup('lines', 10);
    for (const c of chunks(150)) t.log.push('stdout', c); // 100 logged, 50 suppressed
    assert.equal(t.output().length, 100);
    t.advance(1_000); // 10 more tokens
    for (const c of chunks(30, 'b')) t.log.push('stdout', c);
    assert.equal(t.output().length, 110);
    assert.equal(t.summaries().length, 0, 'no summary before the interval');
    t.advance(SUMMARY_EVERY_MS);
    for (const c of chunks(200, 'c')) t.log.push('stdout', c); // 100 tokens back, 100 suppressed
    assert.equal(t.summaries().length, 1);
    for (const c of chunks(20, 'd')) t.log.push('stdout', c);
    assert.equal(t.summaries().length, 1, 'not again within the interval');
    t.log.end();
    const summaries = t.summaries();
    assert.equal(summaries.length, 2);
    assert.equal(summaries[1]!.suppressedLines, 20);
    const suppressed = summaries.reduce((n, s) => n + Number(s.suppressedLines), 0);
    assert.equal(suppressed + t.output().length, 150 + 30 + 200 + 20);
  });

  it('a line cut by the budget is never logged as a fragment', () => {
    const t = setup('lines', 1); // 10 tokens
    t.log.push('stdout', Buffer.from('a\n'.repeat(10) + 'partial-start'));
    t.log.push('stdout', Buffer.from('-more'));
    t.advance(60_000);
    t.log.push('stdout', Buffer.from('-end\nnext\n'));
    t.log.end();
    assert.deepEqual(t.output(), [...Array(10).fill('a'), 'next']);
    assert.equal(
      t.summaries().reduce((n, s) => n + Number(s.suppressedLines), 0),
      1,
    );
  });

  it('stdout and stderr share the budget; stderr lines are warnings', () => {
    const t = setup('lines', 1);
    for (let i = 0; i < 8; i++) t.log.push('stdout', Buffer.from(`o${i}\n`));
    for (let i = 0; i < 8; i++) t.log.push('stderr', Buffer.from(`e${i}\n`));
    t.log.end();
    assert.equal(t.output().length, 10);
    const errs = t.lines.filter((l) => l.msg === 'job output' && l.stream === 'stderr');
    assert.equal(errs.length, 2);
    assert.ok(errs.every((l) => l.level === 40));
  });

  it("'tail' and 'none' log nothing while the run goes on", () => {
    for (const mode of ['tail', 'none'] as const) {
      const t = setup(mode, 100);
      for (const c of chunks(5_000)) t.log.push('stdout', c);
      t.log.endStream('stdout');
      t.log.end();
      assert.equal(t.lines.length, 0, mode);
    }
  });
});
