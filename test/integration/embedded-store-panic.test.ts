// A write the embedded store's write-ahead log cannot take (disk full, a
// read-only remount, an I/O error) is a PANIC in Postgres. PGlite cannot go on
// after one: the statement that hit it, or the next, spins forever and blocks
// the daemon's event loop (no log, SIGTERM unheard). The store must instead end
// the process at once, exit 1, with a fatal JSON log line naming the store and
// the cause; and the store must open again with what was committed before.
// (The same faults under the running daemon: chaos/storage-faults.ts, *-running.)
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { panicMessage } from '../../src/store/open-embedded.js';
import { ROOT, tempDir } from '../support/daemon.js';

const dir = tempDir('embedded-panic');
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const havePrlimit = spawnSync('prlimit', ['--version']).status === 0;

function runChild(
  storeDir: string,
  mode: string,
): { status: number | null; lines: Record<string, unknown>[] } {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', path.join(ROOT, 'test/fixtures/embedded-store-panic.ts'), storeDir, mode],
    { cwd: ROOT, encoding: 'utf8', timeout: 60_000, killSignal: 'SIGKILL' },
  );
  assert.equal(
    r.signal,
    null,
    `the child was killed (${r.signal}): it hung; stdout: ${r.stdout}; stderr: ${r.stderr}`,
  );
  const lines = r.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { status: r.status, lines };
}

test('the PANIC line of the server log is recognized, a quoted one is not', () => {
  assert.equal(
    panicMessage(
      '2026-11-27 08:04:15.746 UTC [42] PANIC:  could not write to log file "000000010000000000000001" at offset 7446528, length 8192: No space left on device',
    ),
    'could not write to log file "000000010000000000000001" at offset 7446528, length 8192: No space left on device',
  );
  assert.equal(
    panicMessage("2026-11-27 08:04:15.746 UTC [42] STATEMENT:  SELECT '[1] PANIC:  no'"),
    undefined,
  );
  assert.equal(panicMessage('2026-11-27 08:04:15.746 UTC [42] ERROR:  could not extend file'), undefined);
});

for (const mode of ['statement', 'transaction']) {
  test(
    `a PANIC in a ${mode}: the process exits 1 at once and says why; the store reopens intact`,
    { skip: havePrlimit ? false : 'needs prlimit (util-linux)' },
    () => {
      const storeDir = path.join(dir, mode);
      const r = runChild(storeDir, mode);
      assert.equal(r.status, 1, `exit code; stdout lines: ${JSON.stringify(r.lines)}`);
      const fatal = r.lines.find((l) => l.level === 60);
      assert.ok(fatal, `a fatal log line; got ${JSON.stringify(r.lines)}`);
      assert.equal(fatal.store, storeDir);
      assert.match(String(fatal.msg), /could not write to log file .*File too large.*exiting/);
      // A new process opens the store: what was committed before is there, the failed row is not.
      const read = runChild(storeDir, 'read');
      assert.equal(read.status, 0);
      assert.deepEqual(read.lines, [{ rows: ['before'] }]);
    },
  );
}
