// A record for every slot: after an outage, each slot of each job is either a
// ledger row (a run, or a slot skipped by overlap) or inside exactly one
// recorded gap that says why it was not run (expired, dropped, skipped,
// paused). `cronkeeper runs` shows both. Real daemon, real Postgres.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, test } from 'node:test';
import { CLI, childEnv, recordingCommand, sleep } from '../support/daemon.js';
import type { TestDatabase } from '../support/database.js';
import { createHarness } from '../support/harness.js';

const run = promisify(execFile);

interface Entry {
  kind: string;
  job: string;
  scheduledAt?: string;
  outcome?: string | null;
  reason?: string;
  firstSlot?: string;
  lastSlot?: string;
  slots?: number;
  exact?: boolean;
}

describe('slot records', () => {
  const h = createHarness();
  const dir = h.tempDir('slot-records');
  let db: TestDatabase;
  const config = path.join(dir, 'cronkeeper.yaml');

  async function runs(job: string): Promise<Entry[]> {
    const r = await run(
      process.execPath,
      [CLI, 'runs', '--job', job, '--limit', '1000', '--json', '--config', config],
      {
        env: childEnv(),
        encoding: 'utf8',
      },
    );
    return JSON.parse(r.stdout) as Entry[];
  }

  /** Every second from the first to the last slot of the job is in exactly one record. */
  function assertEverySlotAccounted(job: string, entries: Entry[]): Map<string, number> {
    const covered = new Map<number, string>();
    const byKind = new Map<string, number>();
    const add = (ms: number, what: string) => {
      assert.ok(
        !covered.has(ms),
        `${job}: ${new Date(ms).toISOString()} is both ${covered.get(ms)} and ${what}`,
      );
      covered.set(ms, what);
      byKind.set(what, (byKind.get(what) ?? 0) + 1);
    };
    for (const e of entries) {
      if (e.kind === 'gap') {
        let n = 0;
        for (let ms = Date.parse(e.firstSlot!); ms <= Date.parse(e.lastSlot!); ms += 1_000, n++)
          add(ms, e.reason!);
        assert.equal(n, e.slots, `${job}: the ${e.reason} gap counts its slots`);
        assert.equal(e.exact, true);
      } else add(Date.parse(e.scheduledAt!), e.kind === 'manual' ? 'manual' : 'run');
    }
    const times = [...covered.keys()].sort((a, b) => a - b);
    for (let i = 1; i < times.length; i++) {
      assert.equal(
        times[i]! - times[i - 1]!,
        1_000,
        `${job}: no record for the slots between ${new Date(times[i - 1]!).toISOString()} and ${new Date(times[i]!).toISOString()}`,
      );
    }
    return byKind;
  }

  test('after an outage every slot is a run or inside one gap that says why', async () => {
    db = await h.database();
    const out = path.join(dir, 'out');
    fs.writeFileSync(
      config,
      `store: { url: "${db.url}" }
defaults: { catchupWindow: 1h, maxCatchup: 1000 }
jobs:
  capped:
    schedule: "* * * * * *"
    catchup: all
    maxCatchup: 2
    command: ${JSON.stringify(recordingCommand(out))}
  newest:
    schedule: "* * * * * *"
    catchup: latest
    command: ${JSON.stringify(recordingCommand(out))}
  windowed:
    schedule: "* * * * * *"
    catchup: all
    catchupWindow: 2s
    command: ${JSON.stringify(recordingCommand(out))}
  paused:
    schedule: "* * * * * *"
    catchup: all
    onResume: skip
    command: ${JSON.stringify(recordingCommand(out))}
`,
    );
    const first = h.startDaemon(config);
    await first.waitForLog((l) => l.msg === 'ready: scheduling', 60_000);
    await sleep(2_000);
    await run(process.execPath, [CLI, 'pause', 'paused', '--config', config], { env: childEnv() });
    await first.waitForLog((l) => l.msg?.startsWith('job paused') === true, 5_000);
    first.proc.kill('SIGKILL');
    await first.exited;
    await sleep(6_000);
    await run(process.execPath, [CLI, 'resume', 'paused', '--config', config], { env: childEnv() });
    const second = h.startDaemon(config);
    await second.waitForLog((l) => l.msg === 'ready: scheduling', 60_000);
    await sleep(2_000);
    second.proc.kill('SIGTERM');
    assert.equal(await second.exited, 0);

    const capped = assertEverySlotAccounted('capped', await runs('capped'));
    assert.ok((capped.get('dropped') ?? 0) >= 3, `capped: dropped ${capped.get('dropped')}`);
    const newest = assertEverySlotAccounted('newest', await runs('newest'));
    assert.ok((newest.get('skipped') ?? 0) >= 4, `newest: skipped ${newest.get('skipped')}`);
    const windowed = assertEverySlotAccounted('windowed', await runs('windowed'));
    assert.ok((windowed.get('expired') ?? 0) >= 3, `windowed: expired ${windowed.get('expired')}`);
    const paused = assertEverySlotAccounted('paused', await runs('paused'));
    assert.ok(
      (paused.get('paused') ?? 0) >= 5,
      `paused: ${paused.get('paused')} slots recorded as missed while paused`,
    );

    // The text listing names the reason in words.
    const text = await run(process.execPath, [CLI, 'runs', '--job', 'capped', '--config', config], {
      env: childEnv(),
      encoding: 'utf8',
    });
    assert.match(text.stdout, /dropped\s+not run: \d+ slots dropped by maxCatchup/);
  });
});
