// `npm test`: unit and integration tests. Integration tests need a real
// Postgres: DATABASE_URL when set, else a throwaway cluster started here
// (scripts/pg-cluster.ts), stopped and removed afterwards.
//   node --import tsx scripts/run-tests.ts [substring ...]   runs only matching test files
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type PgCluster, startCluster } from './pg-cluster.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const files = ['test/unit', 'test/integration'].flatMap((dir) =>
  fs.existsSync(path.join(root, dir))
    ? fs
        .readdirSync(path.join(root, dir))
        .filter((f) => f.endsWith('.test.ts'))
        .sort()
        .map((f) => path.join(dir, f))
    : [],
);
const only = process.argv.slice(2);
const selected = only.length > 0 ? files.filter((f) => only.some((o) => f.includes(o))) : files;

let cluster: PgCluster | undefined;
const env = { ...process.env };
if (!env.DATABASE_URL) {
  cluster = await startCluster();
  env.DATABASE_URL = cluster.url;
  console.log(`# throwaway Postgres at ${cluster.url} (${cluster.dir})`);
} else {
  console.log('# using DATABASE_URL');
}

let code: number;
try {
  code = await new Promise<number>((resolve) => {
    const child = spawn(
      process.execPath,
      // A test that hangs (a daemon that never exits) fails after 10 minutes instead of holding CI.
      ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-timeout=600000', ...selected],
      {
        cwd: root,
        env,
        stdio: 'inherit',
      },
    );
    child.on('exit', (c, sig) => resolve(c ?? (sig ? 1 : 0)));
  });
} finally {
  cluster?.destroy();
}
process.exit(code);
