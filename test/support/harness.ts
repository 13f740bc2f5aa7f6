// The frame of an integration test file: what its tests make through the
// harness — databases cloned from the migrated template (database.ts),
// temporary directories, daemons — is killed and removed once the file, or
// the describe that created the harness, is over. A database outlives a
// failed file so that the evidence stays; a directory stays with
// KEEP_TEST_DIRS=1.
import fs from 'node:fs';
import { after } from 'node:test';
import { type DatabaseOptions, type TestDatabase, createTestDatabase } from './database.js';
import { type DaemonProcess, startDaemon, tempDir } from './daemon.js';

export interface Harness {
  /** A database of its own, migrated (or empty, with `{ empty: true }`). */
  database(options?: DatabaseOptions): Promise<TestDatabase>;
  /** A fresh temporary directory. */
  tempDir(prefix: string): string;
  /** The built daemon on `configFile` (startDaemon in daemon.ts); SIGKILLed at teardown unless it has exited. */
  startDaemon(configFile: string, env?: NodeJS.ProcessEnv): DaemonProcess;
  /** A `cronkeeper worker --pool POOL` on `configFile`; SIGKILLed at teardown unless it has exited. */
  startWorker(configFile: string, pool: string, args?: string[]): DaemonProcess;
  /** The daemons started so far, oldest first (their logs, for a failure's message). */
  readonly daemons: readonly DaemonProcess[];
  /** Something else to undo at teardown (a client to end, a cluster to destroy): after the daemons, newest first. */
  defer(undo: () => unknown): void;
}

/** A harness whose teardown is an `after` hook of the current scope: the file, or the describe it is called in. */
export function createHarness(): Harness {
  const daemons: DaemonProcess[] = [];
  const databases: TestDatabase[] = [];
  const dirs: string[] = [];
  const deferred: Array<() => unknown> = [];
  after(async () => {
    for (const d of daemons) d.proc.kill('SIGKILL');
    await Promise.all(daemons.map((d) => d.exited));
    const errors: unknown[] = [];
    for (const undo of deferred.reverse()) {
      try {
        await undo();
      } catch (err) {
        errors.push(err);
      }
    }
    for (const db of databases) {
      await db.drop().catch((err: Error) => console.error(`dropping ${db.name} failed: ${err.message}`));
    }
    if (!process.env.KEEP_TEST_DIRS) for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
    if (errors.length > 0) throw errors.length === 1 ? errors[0] : new AggregateError(errors, 'teardown');
  });
  return {
    async database(options) {
      const db = await createTestDatabase(options);
      databases.push(db);
      return db;
    },
    tempDir(prefix) {
      const dir = tempDir(prefix);
      dirs.push(dir);
      return dir;
    },
    startDaemon(configFile, env) {
      const d = startDaemon(configFile, env);
      daemons.push(d);
      return d;
    },
    startWorker(configFile, pool, args = []) {
      const d = startDaemon(configFile, {}, { command: 'worker', args: ['--pool', pool, ...args] });
      daemons.push(d);
      return d;
    },
    daemons,
    defer(undo) {
      deferred.push(undo);
    },
  };
}
