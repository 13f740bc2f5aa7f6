// The embedded store holds the whole run ledger (job output included) and the
// lock: private to the daemon's user, whatever the umask it was started with
// (systemd's default 0022 leaves files world-readable; a shell's 0000, world-writable).
// The store directory is made 0700, which alone keeps every file beneath it
// private, also those PGlite creates later; what is in it is tightened to
// 0700 directories and 0600 files at open and at close, so a copy or a
// changed directory mode does not expose them either. Existing stores are
// tightened the same way; nothing here fails an open.
import fs from 'node:fs';
import path from 'node:path';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Creates `dir` (and its missing parents) and makes it 0700. */
export function makePrivateDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  // mkdir's mode is masked by the umask, and an existing directory keeps its mode. Best effort: a
  // read-only filesystem or a directory of another owner is reported by what fails next, as before.
  chmodIfLoose(dir, PRIVATE_DIR_MODE);
}

/**
 * Makes everything under `dir` that this user owns private: directories 0700,
 * files 0600 (symbolic links are not followed). Best effort: a file that
 * vanishes meanwhile or cannot be changed (another owner) is left as it is.
 */
export function tightenModes(dir: string): void {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const file = path.join(dir, e.name);
    if (e.isDirectory()) {
      chmodIfLoose(file, PRIVATE_DIR_MODE);
      tightenModes(file);
    } else if (e.isFile()) {
      chmodIfLoose(file, PRIVATE_FILE_MODE);
    }
  }
}

function chmodIfLoose(file: string, mode: number): void {
  try {
    if ((fs.statSync(file).mode & 0o077) !== 0) fs.chmodSync(file, mode);
  } catch {
    // Gone, or not ours.
  }
}
