// A corrupt state row must never lose or double a run: restore skips every
// snapshot that fails its checksum, is truncated, or has an unknown format,
// says so, falls back to the newest good one, and replays the ledger after it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import pg from 'pg';
import { CLI, readOutput, recordingCommand, sleep, waitFor } from '../support/daemon.js';
import { createHarness } from '../support/harness.js';

const h = createHarness();
const dir = h.tempDir('snapshot-fallback');

test('corrupt, truncated and unknown-version snapshots are skipped; nothing lost, nothing twice', async () => {
  const database = await h.database();
  const out = path.join(dir, 'out.txt');
  const config = path.join(dir, 'cronkeeper.yaml');
  fs.writeFileSync(
    config,
    `store: { url: "${database.url}" }
snapshot: { interval: 1s, maxUpdates: 1, keep: 10 }
jobs:
  tick:
    schedule: "* * * * * *"
    catchup: all
    maxCatchup: 1000
    command: ${JSON.stringify(recordingCommand(out))}
`,
  );
  const client = new pg.Client({ connectionString: database.url });
  const first = h.startDaemon(config);
  await first.waitForLog((l) => l.msg === 'ready: scheduling', 30_000);
  await client.connect();
  try {
    await waitFor(
      async () => (await client.query('SELECT count(*)::int AS n FROM cronkeeper_snapshots')).rows[0].n >= 5,
      20_000,
      'five snapshots',
    );
    first.proc.kill('SIGTERM');
    assert.equal(await first.exited, 0);

    const ids = (
      await client.query<{ id: string }>('SELECT id FROM cronkeeper_snapshots ORDER BY id DESC')
    ).rows.map((r) => Number(r.id));
    const [flipped, unknownVersion, truncated, good] = ids;
    // A bit flip in the body (byte 100 lies past the 38-byte header).
    await client.query(
      'UPDATE cronkeeper_snapshots SET payload = set_byte(payload, 60, get_byte(payload, 60) # 1) WHERE id = $1',
      [flipped],
    );
    // Format version 99 (bytes 4-5 of the envelope): written by a newer cronkeeper.
    await client.query(
      'UPDATE cronkeeper_snapshots SET payload = set_byte(set_byte(payload, 4, 0), 5, 99) WHERE id = $1',
      [unknownVersion],
    );
    await client.query(
      'UPDATE cronkeeper_snapshots SET payload = substring(payload from 1 for 20) WHERE id = $1',
      [truncated],
    );

    const show = spawnSync(
      process.execPath,
      [CLI, 'snapshots', 'show', String(flipped), '--json', '--config', config],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(show.status, 1, 'showing a corrupt snapshot fails');
    assert.equal(JSON.parse(show.stdout).error, 'checksum');

    await sleep(2_000);
    const second = h.startDaemon(config);
    const restored = await second.waitForLog((l) => l.msg === 'state restored', 30_000);
    const skipped = second.logs.filter((l) => l.msg === 'snapshot unusable: skipped, falling back');
    assert.deepEqual(
      skipped.map((l) => [l.snapshotId, l.reason]),
      [
        [flipped, 'checksum'],
        [unknownVersion, 'unknown-version'],
        [truncated, 'truncated'],
      ],
    );
    assert.equal(restored.snapshotId, good, 'restored from the newest good snapshot');
    assert.ok((restored.replayedRows as number) >= 3, 'the ledger made up the difference');
    await second.waitForLog((l) => l.msg === 'catch-up finished', 30_000);
    const resumedAt = Date.now();
    await waitFor(
      () => readOutput(out).some((o) => !o.catchup && Date.parse(o.scheduledAt) > resumedAt),
      10_000,
      'a regular run',
    );
    second.proc.kill('SIGTERM');
    assert.equal(await second.exited, 0);

    const times = readOutput(out)
      .map((o) => o.scheduledAt)
      .sort();
    assert.equal(new Set(times).size, times.length, 'no slot ran twice');
    for (let i = 1; i < times.length; i++) {
      assert.equal(
        Date.parse(times[i]!) - Date.parse(times[i - 1]!),
        1000,
        `no slot missing after ${times[i - 1]}`,
      );
    }
    const ledger = await client.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM cronkeeper_runs WHERE job = 'tick'",
    );
    assert.equal(ledger.rows[0]!.n, times.length);
  } finally {
    await client.end();
  }
});
