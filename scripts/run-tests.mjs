#!/usr/bin/env node
// `npm test`: unit and integration tests. Integration tests need a real
// Postgres: DATABASE_URL when set, else a throwaway cluster started here with
// initdb/pg_ctl on a temp dir and a free port (as the `postgres` user when run
// as root), stopped and removed afterwards.
import { spawnSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
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

let cluster;
const env = { ...process.env };
if (!env.DATABASE_URL) {
  cluster = await startCluster();
  env.DATABASE_URL = cluster.url;
  console.log(`# throwaway Postgres at ${cluster.url} (${cluster.dir})`);
} else {
  console.log('# using DATABASE_URL');
}

let code;
try {
  code = await new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--test', '--test-concurrency=1', ...selected],
      {
        cwd: root,
        env,
        stdio: 'inherit',
      },
    );
    child.on('exit', (c, sig) => resolve(c ?? (sig ? 1 : 0)));
  });
} finally {
  if (cluster) cluster.stop();
}
process.exit(code);

function findBin(name) {
  const fromPath = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim();
  if (fromPath) return fromPath;
  const base = '/usr/lib/postgresql';
  if (fs.existsSync(base)) {
    for (const v of fs.readdirSync(base).sort().reverse()) {
      const p = path.join(base, v, 'bin', name);
      if (fs.existsSync(p)) return p;
    }
  }
  throw new Error(
    `${name} not found: install PostgreSQL (Debian: apt-get install postgresql) or set DATABASE_URL`,
  );
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function startCluster() {
  const initdb = findBin('initdb');
  const pgCtl = findBin('pg_ctl');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cronkeeper-pg-'));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) spawnSync('chown', ['-R', 'postgres:postgres', dir]);
  const run = (bin, args) => {
    const cmd = asRoot ? 'runuser' : bin;
    const argv = asRoot ? ['-u', 'postgres', '--', bin, ...args] : args;
    const r = spawnSync(cmd, argv, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${bin} ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
  };
  const data = path.join(dir, 'data');
  run(initdb, ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const port = await freePort();
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
  run(pgCtl, ['-D', data, '-o', opts, '-l', path.join(dir, 'log'), '-w', 'start']);
  return {
    dir,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop() {
      try {
        run(pgCtl, ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
