// Issue #15, table row 1: a job prints 4 MiB of short lines (`yes | head -c 4M`,
// two million "y" lines), on a Postgres store and on the embedded store. The
// per-second tick job must miss nothing and run nothing twice, the daemon must
// keep its leadership, the chatty run must be recorded as a success, and the
// log must stay a small multiple of the job's output.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type LoadStore, runChattyJob } from '../../chaos/load-scenarios.js';
import { createHarness } from '../support/harness.js';
import { assertEveryTickOnce, assertLeaderKept, describeFigures } from '../support/load.js';

/** Today's main logs one ~180-byte JSON line per 2-byte output line: 90. */
const MAX_LOG_PER_OUTPUT_BYTE = 5;

const h = createHarness();

for (const kind of ['postgres', 'embedded'] as const) {
  test(`${kind} store: a job printing 4 MiB of short lines; every tick slot once, the leader kept`, async () => {
    const dir = h.tempDir('load-chatty');
    let store: LoadStore = { kind: 'embedded' };
    if (kind === 'postgres') {
      const db = await h.database();
      store = { kind: 'postgres', url: db.url };
    }
    const f = await runChattyJob({ store, dir, bytes: 4 << 20, maxWaitMs: 20_000 });
    assertEveryTickOnce(f, 3);
    assertLeaderKept(f);
    assert.equal(f.job?.outcome, 'success', `the chatty run succeeded: ${describeFigures(f)}`);
    // "Log volume at most a small multiple of the job's own output" (a volume, not a timing).
    assert.ok(
      f.logBytesPerOutputByte! <= MAX_LOG_PER_OUTPUT_BYTE,
      `log bytes per output byte: ${describeFigures(f)}`,
    );
  });
}
