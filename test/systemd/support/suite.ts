// What the test files under test/systemd share: a container per file, booted
// with cronkeeper installed before the file's tests and powered off after them;
// the skip where nspawn cannot run; reading the journal's lines.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, type TestContext } from 'node:test';
import { waitFor } from '../../support/daemon.js';
import { cannotRun, type JournalEntry } from './container.js';
import { bootWithCronkeeper, type Installed } from './install.js';

const reason = cannotRun();

/** True (the test skipped) where systemd-nspawn cannot run; under CI that fails instead (.ci/run checks first). */
export function skipOrFail(t: TestContext): boolean {
  if (reason === undefined) return false;
  if (process.env.CI === 'true') assert.fail(`cannot run systemd-nspawn: ${reason}`);
  t.skip(`cannot run systemd-nspawn: ${reason}`);
  return true;
}

/**
 * Registers the hooks that boot a container with cronkeeper and `units` (file
 * names in systemd/) installed before the file's tests, and stop it after them.
 * Returns the installation, for the tests (which call skipOrFail first).
 */
export function containerForFile(name: string, units: string[]): () => Installed {
  let installed: Installed | undefined;
  before(async () => {
    if (reason !== undefined) return;
    installed = await bootWithCronkeeper(name, units, (line) => console.log(`# ${line}`));
  });
  after(async () => {
    await installed?.ct.stop();
    if (installed && !process.env.KEEP_TEST_DIRS)
      fs.rmSync(installed.shared, { recursive: true, force: true });
  });
  return () => {
    assert.ok(installed, 'no container: its boot failed (see the before hook)');
    return installed;
  };
}

/** The daemon's log lines (pino JSON) with this `msg`. */
export const daemonLines = (entries: JournalEntry[], msg: string) =>
  entries.filter((e) => e.log?.msg === msg);

/** systemd's own lines about the unit matching `re`. */
export const managerLines = (entries: JournalEntry[], re: RegExp) =>
  entries.filter((e) => e.pid === 1 && re.test(e.message));

/** The daemon's own time of a log line, ms since the epoch. */
export const loggedAt = (e: JournalEntry) => Date.parse(String(e.log?.time));

/** A config on the embedded store in `dir`, HTTP on any free port, top-level `settings` and `jobs` (YAML, indented by 2). */
export function embeddedConfig(dir: string, jobs: string, settings = ''): string {
  return `store:\n  path: ${dir}\nhttp:\n  listen: 127.0.0.1:0\n${settings}jobs:\n${jobs}`;
}

/** waitFor, a failure told with `tell()` as things are then (the units' status and journal). */
export async function waitOrTell(
  fn: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
  tell: () => string,
): Promise<void> {
  await waitFor(fn, timeoutMs, what).catch((err: Error) => {
    throw new Error(`${err.message}${tell()}`, { cause: err });
  });
}
