// `npm start`: builds dist/ only when a source is newer than the last build, so
// a built tree starts in about a second instead of paying for tsc every time.
// Plain JavaScript, so that it costs no TypeScript loader either.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { copyPageAssets } from './copy-page-assets.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const built = path.join(root, 'dist', 'cli.js');

function newest(entry) {
  const stat = fs.statSync(entry);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = stat.mtimeMs;
  for (const name of fs.readdirSync(entry)) latest = Math.max(latest, newest(path.join(entry, name)));
  return latest;
}

const builtAt = fs.existsSync(built) ? fs.statSync(built).mtimeMs : -Infinity;
const sources = ['src', 'tsconfig.json', 'package.json', 'package-lock.json'].map((f) => path.join(root, f));
if (Math.max(...sources.filter((f) => fs.existsSync(f)).map(newest)) > builtAt) {
  process.stderr.write('building dist/ (sources changed since the last build)\n');
  copyPageAssets();
  const r = spawnSync(
    process.execPath,
    [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
  if (r.status !== 0) process.exit(r.status ?? 1);
  // tsc leaves an unchanged output file alone: mark the build's time on the file compared.
  const now = new Date();
  fs.utimesSync(built, now, now);
}
