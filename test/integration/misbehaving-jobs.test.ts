// Jobs that misbehave, under the real daemon on Postgres, judged by the ledger
// and by what the jobs themselves wrote:
//   - a job that ignores SIGTERM and forks a grandchild that ignores it too:
//     after timeout + killGrace the whole process group is SIGKILLed;
//   - a job that hangs past its timeout: SIGTERM, recorded as a timeout;
//   - a command that does not exist: a clear error in the ledger, daemon fine;
//   - a job that prints 100 MB: the ledger keeps only the tail, the daemon's
//     memory does not grow with it;
//   - the overlap policies skip, queue, allow and replace, each on a
//     per-second job whose run takes 2.5 s.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import pg from 'pg';
import { type DaemonProcess, waitFor } from '../support/daemon.js';
import type { TestDatabase } from '../support/database.js';
import { createHarness } from '../support/harness.js';

const h = createHarness();
const dir = h.tempDir('misbehaving');
let db: TestDatabase;
let daemon: DaemonProcess;
let client: pg.Client;

/** The one slot of a yearly job with a backfill start: it runs once, at boot, as catch-up. */
const ONE_SLOT = `    schedule: "0 0 1 1 *"
    backfillFrom: "2026-01-01T00:00:00Z"
    catchupWindow: 3650d
    catchup: latest
`;
const FLOOD_BYTES = 100 * 1024 * 1024;
const file = (name: string) => path.join(dir, name);
const sh = (script: string) => JSON.stringify(['/bin/sh', '-c', script]);

/** A run that takes 2.5 s and says when it started and ended, for the overlap jobs. */
const slowRun = (name: string) =>
  sh(
    `echo "start $CRONKEEPER_SCHEDULED_AT" >> '${file(`${name}.txt`)}'; sleep 2.5; echo "end $CRONKEEPER_SCHEDULED_AT" >> '${file(`${name}.txt`)}'`,
  );

const OVERLAP = ['skip', 'queue', 'allow', 'replace'] as const;

function config(): string {
  return `store: { url: "${db.url}" }
shutdownGrace: 4s
jobs:
  stubborn:
${ONE_SLOT}    timeout: 1s
    killGrace: 1s
    command: ${sh(
      `trap '' TERM; /bin/sh -c 'echo $$ > ${file('grandchild.pid')}; exec sleep 1000' & echo $$ > '${file('stubborn.pid')}'; while :; do sleep 1; done`,
    )}
  hang:
${ONE_SLOT}    timeout: 1s
    command: ["sleep", "1000"]
  missing:
${ONE_SLOT}    command: ["/nonexistent/cronkeeper-no-such-command", "--flag"]
  flood:
    schedule: "*/2 * * * * *"
    overlap: skip
    command: ${sh(
      `[ -e '${file('flood.go')}' ] || exit 0; rm '${file('flood.go')}'; head -c ${FLOOD_BYTES} /dev/zero | tr '\\000' x | fold -w 1048576; echo FLOOD-END`,
    )}
${OVERLAP.map(
  (policy) => `  overlap-${policy}:
    schedule: "* * * * * *"
    overlap: ${policy}
    catchup: all
    command: ${slowRun(`overlap-${policy}`)}
`,
).join('')}`;
}

interface RunRow {
  job: string;
  scheduled_at: Date;
  started_at: Date | null;
  outcome: string | null;
  signal: string | null;
  exit_code: number | null;
  error: string | null;
  output_tail: string | null;
}

async function runs(job: string): Promise<RunRow[]> {
  const r = await client.query<RunRow>(
    `SELECT job, scheduled_at, started_at, outcome, signal, exit_code, error, output_tail
       FROM cronkeeper_runs WHERE job = $1 ORDER BY scheduled_at`,
    [job],
  );
  return r.rows;
}

/** Resident memory of a process, in bytes. */
function rssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  assert.ok(m, 'VmRSS in /proc/<pid>/status');
  return Number(m[1]) * 1024;
}

/** Alive and not a zombie (a zombie still answers kill(pid, 0) until it is reaped). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** "start <slot>" / "end <slot>" lines an overlap job wrote. */
function events(name: string): Array<{ kind: 'start' | 'end'; slot: string }> {
  const f = file(`${name}.txt`);
  if (!fs.existsSync(f)) return [];
  return fs
    .readFileSync(f, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [kind, slot] = l.split(' ') as ['start' | 'end', string];
      return { kind, slot };
    });
}

/** The most runs of `name` that were ever running at once, from its own start/end lines. */
function maxConcurrent(name: string): number {
  let now = 0;
  let max = 0;
  for (const e of events(name)) {
    now += e.kind === 'start' ? 1 : -1;
    max = Math.max(max, now);
  }
  return max;
}

const iso = (d: Date) => d.toISOString();

before(async () => {
  db = await h.database();
  fs.writeFileSync(file('cronkeeper.yaml'), config());
  daemon = h.startDaemon(file('cronkeeper.yaml'));
  await daemon.waitForLog((l) => l.msg === 'ready: scheduling', 60_000);
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
});

h.defer(() => client?.end());

describe('jobs that misbehave', () => {
  test('ignores SIGTERM and forks a grandchild that does too: the whole group is SIGKILLed after the grace', async () => {
    await waitFor(
      async () => (await runs('stubborn'))[0]?.outcome != null,
      30_000,
      'the stubborn run to end',
    );
    const [run] = await runs('stubborn');
    assert.equal(run?.outcome, 'timeout');
    assert.equal(run?.signal, 'SIGKILL');
    assert.match(run?.error ?? '', /timed out after 1000 ms/);
    for (const name of ['stubborn.pid', 'grandchild.pid']) {
      const pid = Number(fs.readFileSync(file(name), 'utf8'));
      assert.ok(pid > 0);
      await waitFor(() => !isAlive(pid), 5_000, `${name} (${pid}) to be dead`);
    }
  });

  test('hangs past its timeout: SIGTERM, recorded as a timeout', async () => {
    await waitFor(async () => (await runs('hang'))[0]?.outcome != null, 30_000, 'the hanging run to end');
    const [run] = await runs('hang');
    assert.deepEqual(
      { outcome: run?.outcome, signal: run?.signal, error: run?.error },
      { outcome: 'timeout', signal: 'SIGTERM', error: 'timed out after 1000 ms' },
    );
  });

  test('a command that does not exist: an error naming it in the ledger; the daemon goes on', async () => {
    await waitFor(async () => (await runs('missing'))[0]?.outcome != null, 30_000, 'the missing run to end');
    const rows = await runs('missing');
    assert.equal(rows.length, 1);
    assert.deepEqual(
      { outcome: rows[0]?.outcome, exitCode: rows[0]?.exit_code, error: rows[0]?.error },
      { outcome: 'error', exitCode: null, error: 'spawn /nonexistent/cronkeeper-no-such-command ENOENT' },
    );
    assert.equal(daemon.proc.exitCode, null, 'the daemon is still running');
  });

  test('prints 100 MB: the ledger keeps the tail, the daemon does not grow with it', async () => {
    const pid = daemon.proc.pid!;
    // Let the daemon settle: a few runs of every job, then measure.
    await waitFor(async () => (await runs('overlap-skip')).length >= 3, 30_000, 'a few runs');
    const before = rssBytes(pid);
    fs.writeFileSync(file('flood.go'), '');
    let peak = before;
    await waitFor(
      async () => {
        peak = Math.max(peak, rssBytes(pid));
        const rows = await runs('flood');
        return rows.some((r) => r.output_tail?.includes('FLOOD-END'));
      },
      120_000,
      'the 100 MB run to finish',
    );
    const after = rssBytes(pid);
    const flood = (await runs('flood')).find((r) => r.output_tail?.includes('FLOOD-END'))!;
    assert.equal(flood.outcome, 'success');
    // The default outputKeep (16 KiB) plus the marker counting what was cut.
    const tail = flood.output_tail!;
    assert.ok(Buffer.byteLength(tail) < 17 * 1024, `tail of ${Buffer.byteLength(tail)} bytes`);
    // fold leaves the last 1 MiB line without a newline: FLOOD-END follows it directly.
    assert.match(tail, /x{1000}FLOOD-END\n$/);
    const growth = Math.max(peak, after) - before;
    assert.ok(growth < 50 * 1024 * 1024, `the daemon grew by ${(growth / 1048576).toFixed(1)} MiB`);
    // The log got the 100 lines of 1 MiB cut to a bounded length each.
    const lines = daemon.logs.filter((l) => l.job === 'flood' && l.msg === 'job output');
    assert.ok(lines.length >= 100, `${lines.length} output lines logged`);
    for (const l of lines) assert.ok(String(l.line).length < 9 * 1024);
  });

  test('overlap policies under load: skip, queue, allow, replace', async () => {
    await waitFor(
      async () => {
        for (const p of OVERLAP) if ((await runs(`overlap-${p}`)).length < 8) return false;
        return true;
      },
      60_000,
      '8 claimed slots of each overlap job',
    );
    const stopAt = Date.now();
    daemon.proc.kill('SIGTERM');
    assert.equal(await daemon.exited, 0);
    // Slots are claimed up to the claim lead before their instant; one whose instant came after the
    // stop request is left claimed and unstarted, for the next leader (by its catch-up policy).
    const dueBy = async (job: string) => {
      const rows = await runs(job);
      const ahead = rows.filter((r) => r.scheduled_at.getTime() > stopAt);
      assert.ok(ahead.length <= 1, `${job}: ${ahead.length} slots claimed ahead of the stop`);
      for (const r of ahead) {
        assert.equal(r.started_at, null, `${job}: a slot due after the stop did not start`);
        assert.equal(r.outcome, null, `${job}: a slot due after the stop is left claimed`);
      }
      return rows.filter((r) => r.scheduled_at.getTime() <= stopAt);
    };

    for (const p of OVERLAP) {
      const rows = await runs(`overlap-${p}`);
      const started = events(`overlap-${p}`)
        .filter((e) => e.kind === 'start')
        .map((e) => e.slot);
      // Whatever the policy, a claimed slot starts at most once, and only a claimed slot starts.
      assert.equal(new Set(started).size, started.length, `${p}: no slot started twice`);
      const claimed = new Set(rows.map((r) => iso(r.scheduled_at)));
      for (const s of started) assert.ok(claimed.has(s), `${p}: ${s} started without a claim`);
      // Slots are consecutive seconds: none was lost between claims.
      for (let i = 1; i < rows.length; i++) {
        assert.equal(
          rows[i]!.scheduled_at.getTime() - rows[i - 1]!.scheduled_at.getTime(),
          1000,
          `${p}: gap`,
        );
      }
    }

    // skip: one run at a time; the slots due meanwhile are recorded as skipped, never run.
    const skip = await runs('overlap-skip');
    const skipStarted = events('overlap-skip')
      .filter((e) => e.kind === 'start')
      .map((e) => e.slot);
    assert.equal(maxConcurrent('overlap-skip'), 1);
    const skipped = skip.filter((r) => r.outcome === 'skipped');
    assert.ok(skipped.length >= 3, `skip: ${skipped.length} slots skipped`);
    for (const r of skipped) {
      assert.equal(r.error, 'overlap: the previous run was still running');
      assert.ok(!skipStarted.includes(iso(r.scheduled_at)), 'skip: a skipped slot never ran');
    }
    assert.deepEqual(
      skip.filter((r) => r.outcome === 'success').map((r) => iso(r.scheduled_at)),
      events('overlap-skip')
        .filter((e) => e.kind === 'end')
        .map((e) => e.slot),
    );

    // queue: one run at a time, nothing skipped; what was still queued at the stop stays claimed.
    // (The order of the runs is checked on its own below.)
    const queue = await runs('overlap-queue');
    assert.equal(maxConcurrent('overlap-queue'), 1);
    const queueStarted = events('overlap-queue')
      .filter((e) => e.kind === 'start')
      .map((e) => e.slot);
    assert.ok(queueStarted.length >= 2);
    assert.ok(queue.every((r) => r.outcome !== 'skipped'));
    assert.deepEqual(
      queue
        .filter((r) => r.outcome === 'success')
        .map((r) => iso(r.scheduled_at))
        .sort(),
      events('overlap-queue')
        .filter((e) => e.kind === 'end')
        .map((e) => e.slot)
        .sort(),
      'queue: the runs that ended are the successes',
    );
    const waiting = queue.filter((r) => !queueStarted.includes(iso(r.scheduled_at)));
    assert.ok(waiting.length > 0, 'queue: slots were waiting when the daemon stopped');
    for (const r of waiting) assert.equal(r.outcome, null, 'queue: a waiting slot is left claimed');

    // allow: every claimed slot started, runs overlapping.
    const allow = await dueBy('overlap-allow');
    const allowStarted = events('overlap-allow')
      .filter((e) => e.kind === 'start')
      .map((e) => e.slot);
    assert.deepEqual(allowStarted.sort(), allow.map((r) => iso(r.scheduled_at)).sort());
    assert.ok(maxConcurrent('overlap-allow') >= 2, 'allow: runs overlapped');
    assert.ok(allow.every((r) => r.outcome === 'success'));

    // replace: each new slot stops the run before it; the replaced ones never reach their end.
    const replace = await dueBy('overlap-replace');
    const replaceEvents = events('overlap-replace');
    const ended = replaceEvents.filter((e) => e.kind === 'end').map((e) => e.slot);
    const stopped = replace.filter((r) => r.outcome === 'stopped');
    assert.ok(
      stopped.length >= replace.length - 2,
      `replace: ${stopped.length} of ${replace.length} stopped`,
    );
    for (const r of stopped) {
      assert.ok(!ended.includes(iso(r.scheduled_at)), 'replace: a stopped run did not finish');
      assert.match(r.error ?? '', /replaced by the run of /);
    }
    assert.ok(
      replace.every((r) => r.started_at !== null),
      'replace: every slot started',
    );
  });

  test('queue: the slots run in slot order, none passed over', async () => {
    const queue = await runs('overlap-queue');
    const started = events('overlap-queue')
      .filter((e) => e.kind === 'start')
      .map((e) => e.slot);
    assert.deepEqual(
      started,
      queue.slice(0, started.length).map((r) => iso(r.scheduled_at)),
      'the oldest claimed slots ran, in order',
    );
  });
});
