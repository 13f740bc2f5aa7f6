// Runs in flight when the daemon is SIGKILLed (issue: a crash must not lose or
// orphan them). On Postgres and on the embedded store:
//   - a job that writes output after its daemon died finishes normally, and
//     the next start records its outcome and output tail ('ended-unwatched');
//   - a long job survives the restart and is adopted ('adopted'), its timeout
//     still counted from its own start;
//   - a storm of kills while 20 per-second jobs start: every slot of every job
//     ran exactly once (from the jobs' own output), none 'interrupted'.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { describe, test } from 'node:test';
import { openEmbedded } from '../../src/store/open-embedded.js';
import { openPostgres } from '../../src/store/open-postgres.js';
import type { Db } from '../../src/store/db.js';
import { type DaemonProcess, sleep, waitFor } from '../support/daemon.js';
import { createHarness } from '../support/harness.js';

interface Store {
  name: string;
  /** The store: line of the config. */
  setting: (dir: string) => Promise<string>;
  open: (dir: string) => Promise<Db>;
}

const h = createHarness();

const urls = new Map<string, string>();
const STORES: Store[] = [
  {
    name: 'Postgres',
    setting: async (dir) => {
      const db = await h.database();
      urls.set(dir, db.url);
      return `store: { url: "${db.url}" }`;
    },
    open: (dir) => openPostgres({ url: urls.get(dir)! }),
  },
  {
    name: 'embedded',
    setting: async (dir) => `store: { path: "${path.join(dir, 'store')}" }`,
    open: (dir) => openEmbedded(path.join(dir, 'store')),
  },
];

function start(config: string): DaemonProcess {
  return h.startDaemon(config);
}

async function kill(d: DaemonProcess): Promise<void> {
  d.proc.kill('SIGKILL');
  await d.exited;
}

test('an HTTP request in flight dies with its daemon: not taken for never started, left to onInterrupted', async () => {
  const dir = h.tempDir('http-in-flight');
  let requests = 0;
  const server = http.createServer((req) => {
    requests++;
    req.resume(); // never answered: the request is in flight when the daemon dies
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const port = (server.address() as AddressInfo).port;
    const config = path.join(dir, 'cronkeeper.yaml');
    fs.writeFileSync(
      config,
      `store: { path: "${path.join(dir, 'store')}" }
jobs:
  hook:
    schedule: "0 2 1 1 *"
    backfillFrom: "2026-01-01T00:00:00Z"
    catchupWindow: 3650d
    http: { url: "http://127.0.0.1:${port}/run" }
`,
    );
    const first = start(config);
    await waitFor(() => requests === 1, 60_000, 'the request');
    await kill(first);
    const second = start(config);
    await second.waitForLog((l) => l.msg === 'ready: scheduling', 60_000);
    second.proc.kill('SIGTERM');
    assert.equal(await second.exited, 0);
    assert.equal(requests, 1, 'sent again');
    const db = await openEmbedded(path.join(dir, 'store'));
    try {
      const rows = await db.query<{ outcome: string; recovery: string }>(
        'SELECT outcome, recovery FROM cronkeeper_runs',
      );
      assert.deepEqual(
        rows.map((r) => ({ ...r })),
        [{ outcome: 'interrupted', recovery: 'host-unknown' }],
      );
    } finally {
      await db.close();
    }
  } finally {
    server.closeAllConnections();
    server.close();
  }
});

test('a slot made ready ahead of its instant but skipped by policy leaves nothing in the spool', async () => {
  const dir = h.tempDir('prepared-skipped');
  const out = path.join(dir, 'out.txt');
  const config = path.join(dir, 'cronkeeper.yaml');
  // Every second, running 2.5 s: most slots find the previous run still running and are skipped.
  fs.writeFileSync(
    config,
    `${await STORES[0]!.setting(dir)}
jobs:
  busy:
    schedule: "* * * * * *"
    overlap: skip
    command: ["/bin/sh", "-c", "echo \\"$CRONKEEPER_SCHEDULED_AT\\" >> '${out}'; sleep 2.5"]
`,
  );
  const d = start(config);
  await d.waitForLog((l) => l.msg === 'ready: scheduling', 60_000);
  await waitFor(
    () => d.logs.filter((l) => l.msg === 'previous run still running: slot skipped').length >= 4,
    30_000,
    'slots skipped by policy',
  );
  // Only the run in progress has a directory (and for a moment the next slot's, made ready ahead).
  const spool = path.join(dir, 'var', 'runs');
  await waitFor(() => fs.readdirSync(spool).length <= 1, 3_000, 'the spool to hold only the running run');
  d.proc.kill('SIGTERM');
  assert.equal(await d.exited, 0);
  assert.deepEqual(fs.readdirSync(spool), [], 'a directory left behind');
  const ran = fs.readFileSync(out, 'utf8').trim().split('\n');
  assert.ok(ran.length >= 2, `ran ${ran.length} times`);
});

test('a job that floods its output: the spool file stays bounded, the run succeeds, its end is kept', async () => {
  const dir = h.tempDir('flood-spool');
  const config = path.join(dir, 'cronkeeper.yaml');
  // 400 MB in 1 MB lines, as fast as the shell can; then a last line.
  fs.writeFileSync(
    config,
    `${await STORES[0]!.setting(dir)}
jobs:
  flood:
    schedule: "0 2 1 1 *"
    backfillFrom: "2026-01-01T00:00:00Z"
    catchupWindow: 3650d
    command: ["/bin/sh", "-c", "i=0; while [ $i -lt 400 ]; do head -c 1000000 /dev/zero | tr '\\\\0' x; echo; i=$((i+1)); done; echo THE END"]
`,
  );
  const spool = path.join(dir, 'var', 'runs');
  let largest = 0;
  const sampler = setInterval(() => {
    for (const run of fs.existsSync(spool) ? fs.readdirSync(spool) : []) {
      try {
        largest = Math.max(largest, fs.statSync(path.join(spool, run, 'output')).size);
      } catch {
        // Not there yet, or recorded and removed.
      }
    }
  }, 10);
  const d = start(config);
  try {
    const done = await d.waitForLog((l) => l.msg === 'run finished' && l.job === 'flood', 120_000);
    assert.equal(done.outcome, 'success');
  } finally {
    clearInterval(sampler);
  }
  d.proc.kill('SIGTERM');
  assert.equal(await d.exited, 0);
  const db = await STORES[0]!.open(dir);
  try {
    const [row] = await db.query<{ output: string | null; outcome: string }>(
      `SELECT output_tail AS output, outcome FROM cronkeeper_attempts`,
    );
    assert.equal(row?.outcome, 'success');
    assert.match(row?.output ?? '', /THE END\n?$/, 'the end of its output is kept');
  } finally {
    await db.close();
  }
  // 400 MB written without a pause: the file is never quiet, so it is the 128 MiB limit that holds
  // it (but for what the job writes between two looks at its size, more on a loaded machine).
  assert.ok(largest > 0, 'the sampler saw the output file');
  assert.ok(largest < 160 * 1024 * 1024, `the spool output file reached ${largest} bytes`);
});

for (const store of STORES) {
  describe(`runs in flight when the daemon dies (${store.name})`, () => {
    test('a job outlives its daemon: it writes output after the kill, ends normally, and its end is recorded', async () => {
      const dir = h.tempDir('survive');
      const marks = path.join(dir, 'marks.txt');
      const config = path.join(dir, 'cronkeeper.yaml');
      // Catch-up of a yearly slot, so it starts at once; then it works for 3 s, printing as it goes.
      fs.writeFileSync(
        config,
        `${await store.setting(dir)}
jobs:
  billing:
    schedule: "0 2 1 1 *"
    backfillFrom: "2026-01-01T00:00:00Z"
    catchupWindow: 3650d
    command: ["/bin/sh", "-c", "for i in 1 2 3 4 5 6; do echo step $i; echo $i >> '${marks}'; sleep 0.5; done; echo invoices sent"]
  long:
    schedule: "0 3 1 1 *"
    backfillFrom: "2026-01-01T00:00:00Z"
    catchupWindow: 3650d
    timeout: 6s
    command: ["/bin/sh", "-c", "echo long started; touch '${marks}.long'; sleep 60; echo never"]
`,
      );
      const first = start(config);
      await waitFor(() => fs.existsSync(marks), 60_000, 'the billing job to start');
      await waitFor(() => fs.existsSync(`${marks}.long`), 10_000, 'the long job to start');
      await kill(first);
      const killedAt = Date.now();
      // The job goes on without its daemon, and prints on (no SIGPIPE), to its end.
      const spool = path.join(dir, 'var', 'runs');
      await waitFor(
        () => fs.readdirSync(spool).some((run) => fs.existsSync(path.join(spool, run, 'exit'))),
        10_000,
        'the job to end',
      );

      // Left by a daemon that died between recording an outcome and removing the run's directory.
      fs.mkdirSync(path.join(spool, '99999-1-1'));
      fs.writeFileSync(path.join(spool, '99999-1-1', 'exit'), '0\n');
      const second = start(config);
      await second.waitForLog((l) => l.msg === 'ready: scheduling', 60_000);
      // The long job is adopted and stopped at its timeout, 6 s after its own start.
      await second.waitForLog((l) => l.msg === 'run finished' && l.job === 'long', 15_000);
      const finishedAfterKillMs = Date.now() - killedAt;
      second.proc.kill('SIGTERM');
      assert.equal(await second.exited, 0);

      assert.equal(fs.readFileSync(marks, 'utf8'), '1\n2\n3\n4\n5\n6\n', 'billing ran once, to its end');
      const story = JSON.stringify(
        second.logs.filter((l) => /adopt|interrupt|never|run finished|run started/.test(String(l.msg))),
      );
      assert.ok(
        second.logs.some((l) => l.msg === 'run adopted: started by a daemon that is gone, still running'),
        story,
      );
      const db = await store.open(dir);
      try {
        const rows = await db.query<{
          job: string;
          outcome: string;
          recovery: string;
          output_tail: string;
          attempts: number;
          exit_code: number | null;
        }>(
          'SELECT job, outcome, recovery, output_tail, attempts, exit_code FROM cronkeeper_runs ORDER BY job',
        );
        const byJob = new Map(rows.map((r) => [r.job, r]));
        const billing = byJob.get('billing')!;
        assert.equal(billing.outcome, 'success');
        assert.equal(billing.exit_code, 0);
        assert.equal(billing.attempts, 1);
        assert.equal(billing.recovery, 'ended-unwatched', story);
        assert.match(billing.output_tail, /step 1\n[\s\S]*step 6\ninvoices sent\n$/);
        const long = byJob.get('long')!;
        assert.equal(long.outcome, 'timeout');
        assert.equal(long.recovery, 'adopted');
        assert.equal(long.output_tail, 'long started\n');
        assert.ok(finishedAfterKillMs < 30_000, 'the timeout counts from the run start, not the adoption');
      } finally {
        await db.close();
      }
      // The spool is emptied once the outcomes are recorded, and what an earlier daemon left is swept.
      assert.deepEqual(fs.readdirSync(spool), []);
      assert.ok(second.logs.some((l) => l.msg === 'removed the spool directories of runs already recorded'));
    });

    test('kills while 20 per-second jobs start: every slot of every job once, none interrupted', async () => {
      const dir = h.tempDir('kill-storm');
      const out = path.join(dir, 'out');
      fs.mkdirSync(out);
      const config = path.join(dir, 'cronkeeper.yaml');
      const jobs = Array.from(
        { length: 20 },
        (_, i) => `  j${String(i).padStart(2, '0')}:
    schedule: "* * * * * *"
    catchup: all
    maxCatchup: 1000
    overlap: queue
    command: ["/bin/sh", "-c", "echo $CRONKEEPER_SCHEDULED_AT >> '${out}/'$CRONKEEPER_JOB"]
`,
      ).join('');
      // overlap: queue — this test is about crashes, not the overlap policy: a slot that comes due while
      // a run adopted from the dead daemon's spool is still followed waits for it instead of being
      // skipped by policy (a skip would be recorded, but it is not what is checked here).
      fs.writeFileSync(config, `${await store.setting(dir)}\nsnapshot: { interval: 1s }\njobs:\n${jobs}`);
      for (let k = 0; k < 5; k++) {
        const d = start(config);
        await d.waitForLog((l) => l.msg === 'ready: scheduling', 60_000);
        // Somewhere inside a second, to land among the claims, starts and spawns of its slot.
        await sleep(1_500 + ((k * 337) % 1000));
        await kill(d);
      }
      const last = start(config);
      await last.waitForLog((l) => l.msg === 'ready: scheduling', 60_000);
      await sleep(2_000);
      last.proc.kill('SIGTERM');
      assert.equal(await last.exited, 0);

      const missing: Array<{ job: string; slot: string }> = [];
      for (const name of fs.readdirSync(out)) {
        const slots = fs
          .readFileSync(path.join(out, name), 'utf8')
          .trim()
          .split('\n')
          .map((s) => Date.parse(s))
          .sort((a, b) => a - b);
        assert.equal(new Set(slots).size, slots.length, `${name}: a slot ran twice`);
        for (let i = 1; i < slots.length; i++) {
          for (let t = slots[i - 1]! + 1000; t < slots[i]!; t += 1000) {
            missing.push({ job: name, slot: new Date(t).toISOString() });
          }
        }
      }
      if (missing.length > 0) {
        const db = await store.open(dir);
        try {
          const rows = await db.query(
            `SELECT r.id, r.job, r.scheduled_at, r.outcome, r.recovery, r.attempts, r.epoch, r.catchup,
                    a.host, a.pid, a.outcome AS attempt_outcome
             FROM cronkeeper_runs r LEFT JOIN cronkeeper_attempts a ON a.run_id = r.id
             WHERE (r.job, r.scheduled_at) IN (SELECT x.job, x.slot::timestamptz FROM json_to_recordset($1::json) AS x(job text, slot text))`,
            [JSON.stringify(missing)],
          );
          assert.fail(
            `slots not run: ${JSON.stringify(missing)}; their ledger rows: ${JSON.stringify(rows)}; the log of ${missing[0]!.job}: ${JSON.stringify(
              h.daemons.flatMap((d) => d.logs.filter((l) => l.job === missing[0]!.job).slice(-40)),
            )}`,
          );
        } finally {
          await db.close();
        }
      }
      assert.equal(fs.readdirSync(out).length, 20);
      const db = await store.open(dir);
      try {
        // A graceful stop leaves the slots claimed ahead of their instant unstarted, for the next start.
        const rows = await db.query<{ outcome: string | null; n: number }>(
          `SELECT outcome, count(*)::int AS n FROM cronkeeper_runs
           WHERE outcome IS NOT NULL OR started_at IS NOT NULL GROUP BY outcome ORDER BY outcome`,
        );
        const outcomes = Object.fromEntries(rows.map((r) => [r.outcome ?? 'unfinished', r.n]));
        assert.equal(outcomes.interrupted, undefined, `outcomes: ${JSON.stringify(outcomes)}`);
        assert.deepEqual(Object.keys(outcomes), ['success'], `outcomes: ${JSON.stringify(outcomes)}`);
      } finally {
        await db.close();
      }
    });
  });
}
