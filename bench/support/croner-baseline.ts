// The baseline a user would otherwise pick: bare croner, one `Cron` instance
// per job, with a callback (so it schedules its own timer), no persistence.
// Run as a child process so its memory and CPU are its own:
//
//   node --import tsx bench/support/croner-baseline.ts memory <count> <distinct> <nowMs>
//   node --import tsx bench/support/croner-baseline.ts idle <count> <distinct> <nowMs> <seconds>
//   node --import tsx bench/support/croner-baseline.ts fire <count> <seconds>
//
// Prints one JSON line with the figures.
import fs from 'node:fs';
import { Cron } from 'croner';
import { ZONES, idleJobs } from './bench-jobs.js';

const [mode, ...rest] = process.argv.slice(2);
const num = (i: number) => Number(rest[i]);

/** One JSON line on stdout, written synchronously: the process exits right after. */
function emit(result: unknown): void {
  fs.writeSync(1, JSON.stringify(result) + '\n');
}

function rssMb(): number {
  return Math.round((process.memoryUsage().rss / 2 ** 20) * 10) / 10;
}

function createIdle(count: number, distinct: number, nowMs: number): { crons: Cron[]; ms: number } {
  const t0 = performance.now();
  const crons = idleJobs(count, distinct, nowMs).map(
    (j) => new Cron(j.pattern, { timezone: j.timezone }, () => {}),
  );
  return { crons, ms: performance.now() - t0 };
}

async function main(): Promise<void> {
  if (mode === 'memory') {
    const before = rssMb();
    const { crons, ms } = createIdle(num(0), num(1), num(2));
    await new Promise((r) => setTimeout(r, 1000));
    emit({ instances: crons.length, rssMb: rssMb(), baseRssMb: before, createMs: Math.round(ms) });
    for (const c of crons) c.stop();
  } else if (mode === 'idle') {
    const { crons } = createIdle(num(0), num(1), num(2));
    await new Promise((r) => setTimeout(r, 2000));
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, num(3) * 1000));
    const c1 = process.cpuUsage(c0);
    const wall = performance.now() - t0;
    emit({
      instances: crons.length,
      cpuPercent: ((c1.user + c1.system) / 1000 / wall) * 100,
      rssMb: rssMb(),
    });
    for (const c of crons) c.stop();
  } else if (mode === 'fire') {
    // Lateness against the scheduled instant: the pattern fires every whole
    // second, so the instant is the fire time floored to the second (croner's
    // currentRun() is the actual fire time, not the scheduled one).
    const count = num(0);
    const seconds = num(1);
    const lateness: number[] = [];
    let measuring = false;
    const crons: Cron[] = [];
    for (let i = 0; i < count; i++) {
      crons.push(
        new Cron('* * * * * *', { timezone: ZONES[i % ZONES.length] }, () => {
          if (!measuring) return;
          const now = Date.now();
          lateness.push(now - Math.floor(now / 1000) * 1000);
        }),
      );
    }
    await new Promise((r) => setTimeout(r, 3000)); // warm up
    measuring = true;
    await new Promise((r) => setTimeout(r, seconds * 1000));
    measuring = false;
    for (const c of crons) c.stop();
    // Summarized here: a few hundred thousand numbers would not fit one pipe write.
    const sorted = Float64Array.from(lateness).sort();
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? NaN;
    emit({
      instances: count,
      fired: sorted.length,
      expected: count * seconds,
      p50: at(0.5),
      p99: at(0.99),
      max: at(1),
    });
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
}

await main();
process.exit(0);
