// npm run bench — the six performance benchmarks, one after another, on one
// Postgres (DATABASE_URL, or one throwaway cluster shared by all). Each prints
// its table; the JSON of each goes to --out DIR (default .tmp/bench-results/, which git ignores).
//
//   npm run bench -- --out .tmp/bench-results --quick   (--quick: shorter runs, for a smoke test)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCluster } from '../scripts/pg-cluster.js';
import { stringArg } from './support/bench-env.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const OUT = path.resolve(stringArg('--out') ?? '.tmp/bench-results');
const QUICK = process.argv.includes('--quick');

const BENCHMARKS: Array<[string, string[]]> = [
  ['scale', QUICK ? ['--jobs', '20000', '--croner-jobs', '2000'] : []],
  ['lateness', QUICK ? ['--seconds', '10'] : []],
  ['burst', QUICK ? ['--slots', '30000'] : []],
  ['catchup', QUICK ? ['--peer-limit', '20'] : []],
  ['snapshot', QUICK ? ['--repeat', '1'] : []],
  ['idle', QUICK ? ['--jobs', '20000', '--settle', '10', '--seconds', '10', '--croner-jobs', '2000'] : []],
];

fs.mkdirSync(OUT, { recursive: true });
const cluster = process.env.DATABASE_URL ? undefined : await startCluster();
const env = { ...process.env, DATABASE_URL: process.env.DATABASE_URL ?? cluster!.url };
const started = Date.now();
const failed: string[] = [];
try {
  for (const [name, args] of BENCHMARKS) {
    const t0 = Date.now();
    console.log(`\n=== ${name} ===`);
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', path.join(HERE, `${name}.ts`), ...args, '--json', path.join(OUT, `${name}.json`)],
      { env, stdio: 'inherit' },
    );
    if (r.status !== 0) failed.push(name);
    console.log(`(${name}: ${Math.round((Date.now() - t0) / 1000)} s)`);
  }
} finally {
  cluster?.destroy();
}
console.log(`\nall benchmarks: ${Math.round((Date.now() - started) / 1000)} s; JSON in ${OUT}`);
if (failed.length > 0) {
  console.error(`failed: ${failed.join(', ')}`);
  process.exit(1);
}
