// Workers under fire (issue #19): an HA pair (a leader and a standby) hands
// the runs of per-second `runOn: <pool>` jobs to two `cronkeeper worker`s of
// the pool on this host. At random instants one of the four — the leader, the
// standby, worker A or worker B, picked at random — is SIGKILLed and started
// again at once, as systemd's Restart= would. The jobs behave like real ones:
// each run works 0.2–1.5 s (by job), prints as it goes, and appends one line
// per slot to a shared file when its work is done (fleet.ts's line), having
// noted its start in another. After the last kill, the run settles, everything
// is stopped gracefully and every slot is checked on the jobs' own output (see
// check-slots.ts): once, never twice, none missed. Runs the ledger recorded
// `interrupted` fail the scenario too (the host survives every kill), and are
// told apart by what the job really did: ran to its end, killed mid-run, or
// never started.
import fs from 'node:fs';
import path from 'node:path';
import { type DaemonProcess, type LogLine, sleep, waitFor } from '../test/support/daemon.js';
import { type LedgerRow, type SlotCheck, checkSlots } from './check-slots.js';
import { readHandedAttempts, readLeader, readLedger, readUnsettledRuns } from './chaos-store.js';
import { DaemonGroup, logTimeMs } from './daemon-group.js';
import { type OutputRun, buildFleet, readFleetOutput, writeFleetConfig } from './fleet.js';

export interface WorkersChaosOptions {
  /** A fresh, empty database. */
  url: string;
  dir: string;
  kills: number;
  /** Jobs, every one of them every second, all on the workers' pool. */
  perSecond: number;
  /** Runs each worker takes at once (default 64: one worker alone must carry the load while the other restarts). */
  concurrency?: number;
  /** A kill comes this long after the previous one (uniform, ms; crash-loop's 300–4,000 by default). */
  minGapMs?: number;
  maxGapMs?: number;
  /** Between a kill and the restart (ms): systemd's RestartSec= default, 100 ms. */
  restartDelayMs?: number;
  /** How long the last catch-up may take (default 15 min, for long runs). */
  finalReadyTimeoutMs?: number;
  log?: (line: string) => void;
}

/** Runs the ledger recorded `interrupted`, by what the job did (its own two files say). */
export interface InterruptedByFate {
  /** Its line is in the output: the work was done, and the ledger says it may not have been. */
  ranToEnd: number;
  /** It noted its start and left no line: killed with its worker, its work half done. */
  killedMidRun: number;
  /** It never noted its start: the work was never done, and nothing will do it. */
  neverStarted: number;
}

export interface WorkersChaosResult extends SlotCheck {
  scenario: string;
  cycles: number;
  crashes: number;
  crashDetails: string[];
  /** The kills, by who (leader, standby, worker-a, worker-b) and what it was doing. */
  kills: Record<string, number>;
  /** Each kill: when (ISO), whom, what it was doing, its pid. */
  killLog: string[];
  /** Runs the killed workers had in progress (their 'run started' lines without 'run finished'). */
  runsInFlightAtWorkerKills: number;
  interruptedByFate: InterruptedByFate;
  /** Attempts the leader ended as interrupted (their worker taken for dead), by whether we had killed that worker. */
  interruptedAttempts: { workerKilled: number; workerAlive: number };
  /** Slots whose job started more than once (also counted in duplicates when the output does not show it). */
  startedTwice: number;
  /** Runs of the window still without an outcome after the settling, and what holds each. */
  unsettled: string[];
  /** Checks after each restart that found a gap or a duplicate. */
  failedIntermediateChecks: number;
  /** One line of the above, for chaos.ts's notes. */
  details: string;
  runs: number;
  durationS: number;
}

const POOL = 'chaos';
const READY = 'ready: scheduling';
const STANDING_BY = 'another node leads: standing by until the leader lock is free';
const WORKER_READY = 'worker ready: taking the runs of its pool';
const NODES = ['node-a', 'node-b'] as const;
const WORKERS = ['worker-a', 'worker-b'] as const;
const ROLES = ['leader', 'standby', ...WORKERS] as const;

/** Seconds a run of the job at `index` of `count` works: spread evenly over 0.2–1.5 s. */
export function workSeconds(index: number, count: number): number {
  return count <= 1 ? 0.85 : 0.2 + (1.3 * index) / (count - 1);
}

/**
 * A job that works `seconds` in two halves and prints as it goes. It notes
 * "<job> <scheduledAt> <runId> <attempt> <worker>" in `startsFile` first and,
 * once its work is done, appends fleet.ts's line to `outFile`. `set -e`: a
 * print that fails (its reader, the worker, is gone: EPIPE) ends it there, as
 * SIGPIPE ends most programs.
 */
export function workingJobCommand(outFile: string, startsFile: string, seconds: number): string[] {
  const half = (seconds / 2).toFixed(2);
  return [
    '/bin/sh',
    '-c',
    [
      'set -e',
      `echo "$CRONKEEPER_JOB $CRONKEEPER_SCHEDULED_AT $CRONKEEPER_RUN_ID $CRONKEEPER_ATTEMPT \${CRONKEEPER_WORKER:-none}" >> '${startsFile}'`,
      `echo "working on $CRONKEEPER_SLOT (${seconds.toFixed(2)} s)"`,
      `sleep ${half}`,
      'echo "halfway"',
      `sleep ${half}`,
      `echo "$CRONKEEPER_JOB $CRONKEEPER_SCHEDULED_AT $CRONKEEPER_RUN_ID $CRONKEEPER_CATCHUP" >> '${outFile}'`,
      'echo "done"',
    ].join('; '),
  ];
}

interface StartedRun {
  job: string;
  scheduledAtMs: number;
  runId: number;
}

/** The starts the jobs noted; a torn last line is ignored. */
function readStarts(file: string): StartedRun[] {
  if (!fs.existsSync(file)) return [];
  const runs: StartedRun[] = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const [job, at, runId, , worker] = line.split(' ');
    if (!job || !at || !runId || worker === undefined) continue;
    runs.push({ job, scheduledAtMs: Date.parse(at), runId: Number(runId) });
  }
  return runs;
}

const key = (job: string, ms: number) => `${job}@${ms}`;

function countBySlot(runs: readonly { job: string; scheduledAtMs: number }[], fromMs: number) {
  const n = new Map<string, number>();
  for (const r of runs) {
    if (r.scheduledAtMs <= fromMs) continue;
    const k = key(r.job, r.scheduledAtMs);
    n.set(k, (n.get(k) ?? 0) + 1);
  }
  return n;
}

/** The last of the lines `msgs` in the process's log. */
function lastOf(d: DaemonProcess, msgs: readonly string[]): LogLine | undefined {
  for (let i = d.logs.length - 1; i >= 0; i--) if (msgs.includes(String(d.logs[i]!.msg))) return d.logs[i];
  return undefined;
}

/** What a daemon is doing, by its log: booting, standing by, catching up, scheduling, between terms. */
function daemonPhase(d: DaemonProcess): string {
  const last = lastOf(d, ['leading', 'no longer leading', STANDING_BY]);
  if (!last) return 'booting';
  if (last.msg === STANDING_BY) return 'standing by';
  if (last.msg !== 'leading') return 'between terms';
  const since = logTimeMs(last);
  return d.logs.some((l) => l.msg === READY && logTimeMs(l) >= since) ? 'scheduling' : 'catching up';
}

/** A worker's runs in progress: its 'run started' lines less its 'run finished' ones. */
function runsInFlight(d: DaemonProcess): number {
  let n = 0;
  for (const l of d.logs) {
    if (l.msg === 'run started') n++;
    else if (l.msg === 'run finished') n--;
  }
  return n;
}

export async function runWorkersChaos(o: WorkersChaosOptions): Promise<WorkersChaosResult> {
  const log = o.log ?? (() => {});
  const concurrency = o.concurrency ?? 64;
  const minGap = o.minGapMs ?? 300;
  const maxGap = o.maxGapMs ?? 4_000;
  const startedAt = Date.now();
  const fleet = buildFleet({ jobs: o.perSecond, perSecond: o.perSecond });
  const out = path.join(o.dir, 'out.txt');
  const starts = path.join(o.dir, 'starts.txt');
  const config = path.join(o.dir, 'cronkeeper.yaml');
  writeFleetConfig(config, {
    storeYaml: `store: { url: "${o.url}" }\nspool: { path: "${path.join(o.dir, 'spool')}" }`,
    fleet,
    outFile: out,
    command: (_, i) => workingJobCommand(out, starts, workSeconds(i, fleet.length)),
    jobFields: [`runOn: ${POOL}`],
    // A catch-up follows the runs in flight and hands the missed slots; at 16 at a time (0.2–1.5 s
    // each) it would fall behind 50 per-second jobs. The workers bound what runs at once.
    catchupConcurrency: 2 * concurrency,
    extra: `snapshot: { interval: 2s }\nha: { lease: 2s, poll: 100ms }`,
  });
  const group = new DaemonGroup(config);
  const procs: { id: string; d: DaemonProcess }[] = [];
  const spawn = (id: string): DaemonProcess => {
    const d = id.startsWith('worker')
      ? group.spawn(id, { command: 'worker', args: ['--pool', POOL, '--concurrency', String(concurrency)] })
      : group.spawn(id);
    procs.push({ id, d });
    return d;
  };
  const current = (id: string): DaemonProcess => group.nodes.get(id)!;
  const killedProcs = new Set<DaemonProcess>();
  const workerProcs = new Set<DaemonProcess>();
  const kills: Record<string, number> = {};
  const killLog: string[] = [];
  let runsInFlightAtWorkerKills = 0;
  let failedIntermediateChecks = 0;
  try {
    // The workers first (each migrates the store and installs the queue), then the pair.
    for (const id of WORKERS) workerProcs.add(spawn(id));
    for (const id of WORKERS) await current(id).waitForLog((l) => l.msg === WORKER_READY, 120_000);
    const first = spawn('node-a');
    const ready = await first.waitForLog((l) => l.msg === READY, 120_000);
    const fromMs = logTimeMs(ready);
    // Every job's baseline recorded before the first kill.
    await first.waitForLog((l) => l.msg === 'snapshot written' && logTimeMs(l) > fromMs, 30_000);
    await spawn('node-b').waitForLog((l) => l.msg === STANDING_BY, 120_000);

    for (let i = 0; i < o.kills; i++) {
      await sleep(minGap + Math.random() * (maxGap - minGap));
      const role = ROLES[Math.floor(Math.random() * ROLES.length)]!;
      let id: string = role;
      if (role === 'leader' || role === 'standby') {
        // The leader record names the newest term's node; while it is down, the "leader" is the one restarting.
        const leader = (await readLeader(o.url).catch(() => null)) ?? 'node-a';
        id = role === 'leader' ? leader : NODES.find((n) => n !== leader)!;
      }
      const d = current(id);
      let phase: string;
      if (workerProcs.has(d)) {
        const n = runsInFlight(d);
        runsInFlightAtWorkerKills += n;
        phase = d.logs.some((l) => l.msg === WORKER_READY) ? (n > 0 ? 'running jobs' : 'idle') : 'booting';
      } else phase = daemonPhase(d);
      const what = `${role} (${phase})`;
      kills[what] = (kills[what] ?? 0) + 1;
      killLog.push(`${new Date().toISOString()} ${id} pid ${d.proc.pid}: ${what}`);
      killedProcs.add(d);
      await group.kill(id, 'SIGKILL');
      await sleep(o.restartDelayMs ?? 100);
      const again = spawn(id);
      if (id.startsWith('worker')) workerProcs.add(again);
      // After each restart: no gap in the ledger up to the newest catch-up, no slot twice.
      const readies = group.logs((l) => l.msg === READY).map(logTimeMs);
      const c = checkSlots({
        fleet,
        output: readFleetOutput(out),
        ledger: await readLedger(o.url),
        fromMs,
        toMs: Math.max(...readies) - 1_000,
        final: false,
      });
      if (c.duplicates + c.misses > 0) {
        failedIntermediateChecks++;
        log(`  kill ${i + 1}: ${c.duplicates} duplicated, ${c.misses} missed: ${c.examples.join('; ')}`);
      }
      if ((i + 1) % 10 === 0) log(`  ${i + 1}/${o.kills} kills (the last: ${what})`);
    }

    // The end: a node leads and has caught up in its present term (the one it began after the
    // last kill of a leader, if the last kill was one), and both workers take runs.
    await waitFor(
      () => NODES.some((id) => daemonPhase(current(id)) === 'scheduling'),
      o.finalReadyTimeoutMs ?? 900_000,
      'a leader ready after the last kill',
    ).catch((err: Error) => {
      const tails = NODES.map(
        (id) =>
          `${id}: ${current(id)
            .logs.slice(-8)
            .map((l) => JSON.stringify(l).slice(0, 300))
            .join('\n')}`,
      );
      throw new Error(`${err.message}\n${tails.join('\n')}`);
    });
    await waitFor(
      () => WORKERS.every((id) => current(id).logs.some((l) => l.msg === WORKER_READY)),
      60_000,
      'both workers ready',
    );
    await sleep(3_000);
    const toMs = Date.now() - 2_000;
    const unsettled = await settle(o.url, fromMs, toMs);
    // The workers first: they finish what they run and the leader records it; then the pair.
    // (A leader stopped first would leave the workers' last ends for a next leader to record.)
    const workerCodes = await Promise.all(WORKERS.map((id) => group.kill(id, 'SIGTERM')));
    await sleep(2_000);
    const nodeCodes = await Promise.all(NODES.map((id) => group.kill(id, 'SIGTERM')));
    const badStops = [...WORKERS, ...NODES]
      .map((id, i) => ({ id, code: [...workerCodes, ...nodeCodes][i] }))
      .filter((s) => s.code !== 0)
      .map(({ id, code }) => {
        const errors = current(id).logs.filter((l) => (l.level ?? 0) >= 50);
        return `${id}: graceful stop exited ${code}: ${errors.map((l) => l.msg).join('; ')}`;
      });

    const output = readFleetOutput(out);
    const ledger = await readLedger(o.url);
    const final = checkSlots({ fleet, output, ledger, fromMs, toMs, final: true });
    const startedRuns = readStarts(starts);
    const startedTwice = checkStarts(final, startedRuns, output, ledger, fromMs);
    const interruptedByFate = interruptedFates(ledger, output, startedRuns, fromMs, toMs);
    const interruptedAttempts = await interruptedAttemptsByWorker(o.url, workerProcs, killedProcs);
    const crashDetails = [...group.crashes, ...badStops];
    const details = [
      `kills: ${JSON.stringify(kills)}`,
      `runs in progress on the killed workers: ${runsInFlightAtWorkerKills}`,
      `interrupted in the ledger: ${final.interrupted} (ran to its end ${interruptedByFate.ranToEnd}, ` +
        `killed mid-run ${interruptedByFate.killedMidRun}, never started ${interruptedByFate.neverStarted})`,
      `attempts ended as interrupted by a leader: ${interruptedAttempts.workerKilled} of killed workers, ` +
        `${interruptedAttempts.workerAlive} of workers not killed`,
      `slots started twice: ${startedTwice}`,
      `runs of the window without an outcome after settling: ${unsettled.length}`,
      ...unsettled.slice(0, 10).map((u) => `  ${u}`),
    ].join('\n  ');
    return {
      scenario: 'workers: leader, standby, 2 workers killed',
      cycles: o.kills,
      ...final,
      crashes: crashDetails.length,
      crashDetails,
      kills,
      killLog,
      runsInFlightAtWorkerKills,
      interruptedByFate,
      interruptedAttempts,
      startedTwice,
      unsettled,
      failedIntermediateChecks,
      details,
      runs: output.length,
      durationS: Math.round((Date.now() - startedAt) / 1000),
    };
  } finally {
    await group.killAll();
    if (!process.env.KEEP_TEST_DIRS) {
      fs.rmSync(out, { force: true });
      fs.rmSync(starts, { force: true });
    } else {
      // Every process's log, for what the figures do not tell.
      const logs = path.join(o.dir, 'logs');
      fs.mkdirSync(logs, { recursive: true });
      procs.forEach(({ id, d }, i) =>
        fs.writeFileSync(
          path.join(logs, `${String(i).padStart(3, '0')}-${id}-${d.proc.pid}.jsonl`),
          d.logs.map((l) => JSON.stringify(l)).join('\n') + '\n',
        ),
      );
    }
  }
}

/**
 * Lets every run of a slot up to `toMs` end: the workers may be behind after
 * the last kills (a catch-up hands its runs in a burst), so it waits as long
 * as runs keep ending, until 20 s pass without one, at most 10 minutes. What
 * is open then will not end: answered, with what holds each.
 */
async function settle(url: string, fromMs: number, toMs: number): Promise<string[]> {
  const deadline = performance.now() + 600_000;
  let open = await readUnsettledRuns(url, fromMs, toMs);
  let progressAt = performance.now();
  while (open.length > 0 && performance.now() - progressAt < 20_000 && performance.now() < deadline) {
    await sleep(1_000);
    const now = await readUnsettledRuns(url, fromMs, toMs);
    if (now.length < open.length) progressAt = performance.now();
    open = now;
  }
  return open;
}

/**
 * A slot whose job started twice ran twice, even if one of them was killed
 * before its line: counted as a duplicate when the output does not already
 * show it; so is a start under a run id that is not the slot's claim.
 * Answers how many slots started more than once.
 */
function checkStarts(
  check: SlotCheck,
  started: readonly StartedRun[],
  output: readonly OutputRun[],
  ledger: readonly LedgerRow[],
  fromMs: number,
): number {
  const problem = (text: string) => {
    check.duplicates++;
    if (check.examples.length < 10) check.examples.push(`duplicated: ${text}`);
  };
  const ranBySlot = countBySlot(output, fromMs);
  const claimOf = new Map(ledger.map((r) => [key(r.job, r.scheduledAtMs), r.id]));
  let twice = 0;
  for (const [k, n] of countBySlot(started, fromMs)) {
    if (n < 2) continue;
    twice++;
    if ((ranBySlot.get(k) ?? 0) < 2)
      problem(`${k} started ${n} times (${ranBySlot.get(k) ?? 0} ran to the end)`);
  }
  for (const s of started) {
    const k = key(s.job, s.scheduledAtMs);
    if (s.scheduledAtMs > fromMs && claimOf.get(k) !== s.runId && !ranBySlot.has(k))
      problem(`${k} started as run ${s.runId}, which is not its claim`);
  }
  return twice;
}

/** The window's runs recorded interrupted, by what their job did. */
function interruptedFates(
  ledger: readonly LedgerRow[],
  output: readonly OutputRun[],
  started: readonly StartedRun[],
  fromMs: number,
  toMs: number,
): InterruptedByFate {
  const ran = countBySlot(output, fromMs);
  const began = countBySlot(started, fromMs);
  const fates: InterruptedByFate = { ranToEnd: 0, killedMidRun: 0, neverStarted: 0 };
  for (const r of ledger) {
    if (r.outcome !== 'interrupted' || r.scheduledAtMs <= fromMs || r.scheduledAtMs > toMs) continue;
    const k = key(r.job, r.scheduledAtMs);
    if (ran.has(k)) fates.ranToEnd++;
    else if (began.has(k)) fates.killedMidRun++;
    else fates.neverStarted++;
  }
  return fates;
}

/** Attempts a leader ended as interrupted, by whether the worker it took for dead is one we killed. */
async function interruptedAttemptsByWorker(
  url: string,
  workers: ReadonlySet<DaemonProcess>,
  killed: ReadonlySet<DaemonProcess>,
): Promise<{ workerKilled: number; workerAlive: number }> {
  const killedIds = new Set<string>();
  for (const d of workers) {
    const id = d.logs.find((l) => l.msg === 'cronkeeper worker starting')?.workerId;
    if (typeof id === 'string' && killed.has(d)) killedIds.add(id);
  }
  const counts = { workerKilled: 0, workerAlive: 0 };
  for (const a of await readHandedAttempts(url)) {
    if (a.outcome !== 'interrupted') continue;
    if (a.worker !== null && killedIds.has(a.worker)) counts.workerKilled++;
    else counts.workerAlive++;
  }
  return counts;
}
