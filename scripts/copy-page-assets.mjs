// `npm run build` (and `npm start` when it rebuilds): copies the status page's
// files (src/http/status-page/: the HTML, the stylesheets and the browser's
// JavaScript, none of which tsc emits) to dist/http/status-page/, where the
// built daemon reads them at its start. Plain JavaScript, so that it needs no
// TypeScript loader.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const from = path.join(root, 'src', 'http', 'status-page');
const to = path.join(root, 'dist', 'http', 'status-page');
/** What the page is made of; its tsconfig.json (for checking the JavaScript) stays behind. */
const PAGE_FILE = /\.(html|css|js)$/;

export function copyPageAssets() {
  // Emptied first, so that a file removed from src/ does not live on in dist/.
  fs.rmSync(to, { recursive: true, force: true });
  fs.mkdirSync(to, { recursive: true });
  for (const name of fs.readdirSync(from)) {
    if (PAGE_FILE.test(name)) fs.copyFileSync(path.join(from, name), path.join(to, name));
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) copyPageAssets();
