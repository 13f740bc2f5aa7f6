// What an integration test file made and must not leave behind: daemons
// (SIGKILLed and waited for), test databases (dropped) and temporary
// directories (removed), once the file's last test is over.
import fs from 'node:fs';
import { after } from 'node:test';
import type { DaemonProcess } from './daemon.js';
import type { TestDatabase } from './database.js';

export interface Leftovers {
  dirs: string[];
  databases: TestDatabase[];
  daemons: DaemonProcess[];
}

/** Registers the clean-up; push what the tests make into the lists returned. */
export function cleanUpAfterAll(): Leftovers {
  const left: Leftovers = { dirs: [], databases: [], daemons: [] };
  after(async () => {
    for (const d of left.daemons) d.proc.kill('SIGKILL');
    await Promise.all(left.daemons.map((d) => d.exited));
    for (const db of left.databases) await db.drop().catch(() => {});
    for (const dir of left.dirs) fs.rmSync(dir, { recursive: true, force: true });
  });
  return left;
}
