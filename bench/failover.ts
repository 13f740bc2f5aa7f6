// npm run bench:failover — how fast an HA pair fails over, and whether any slot
// ever runs twice or goes missing. Real daemons, a throwaway Postgres, default
// HA settings (ha.lease 3s, ha.poll 100ms). Prints a table; --json FILE writes
// the figures.
//
//   takeover after SIGKILL   kill -> the standby leads; kill -> the first slot due after the kill starts
//   takeover after SIGSTOP   the same with a frozen leader
//   kill/restart cycles      alternating leaders under a per-second job: duplicated and missed slots
import fs from 'node:fs';
import path from 'node:path';
import { startCluster } from '../scripts/pg-cluster.js';
import {
  type DaemonProcess,
  type LogLine,
  readOutput,
  recordingCommand,
  sleep,
  startDaemon,
  tempDir,
} from '../test/support/daemon.js';

const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const KILLS = arg('--kills', 10);
const FREEZES = arg('--freezes', 3);
const CYCLES = arg('--cycles', 50);
const jsonFile = args.includes('--json') ? args[args.indexOf('--json') + 1] : undefined;

const logTime = (l: LogLine) => Date.parse(String(l.time));
const isLeading = (l: LogLine) => l.msg === 'leading';

async function main(): Promise<void> {
  const cluster = await startCluster();
  const dir = tempDir('bench-failover');
  const daemons = new Set<DaemonProcess>();
  const spawnNode = (config: string, id: string) => {
    const d = startDaemon(config, { CRONKEEPER_NODE_ID: id });
    daemons.add(d);
    void d.exited.then(() => daemons.delete(d));
    return d;
  };
  let n = 0;
  const fresh = () => {
    n++;
    const out = path.join(dir, `out-${n}.txt`);
    const config = path.join(dir, `cronkeeper-${n}.yaml`);
    fs.writeFileSync(
      config,
      `store: { url: "${cluster.url.replace(/\/postgres$/, `/bench${n}`)}" }
jobs:
  tick:
    schedule: "* * * * * *"
    catchup: all
    maxCatchup: 1000
    command: ${JSON.stringify(recordingCommand(out))}
`,
    );
    return { out, config, db: `bench${n}` };
  };
  const createDb = async (name: string) => {
    const pg = (await import('pg')).default;
    const c = new pg.Client({ connectionString: cluster.url });
    await c.connect();
    await c.query(`CREATE DATABASE ${name}`);
    await c.end();
  };

  const pair = async () => {
    const f = fresh();
    await createDb(f.db);
    const a = spawnNode(f.config, 'node-a');
    await a.waitForLog((l) => l.msg === 'ready: scheduling', 60_000);
    const b = spawnNode(f.config, 'node-b');
    await b.waitForLog(
      (l) => l.msg === 'another node leads: standing by until the leader lock is free',
      60_000,
    );
    return { ...f, a, b };
  };

  /** kill -> leading, and kill -> start of the first slot due after the kill, in ms. */
  const measure = async (signal: 'SIGKILL' | 'SIGSTOP') => {
    const { a, b } = await pair();
    await sleep(1_500 + Math.random() * 1000);
    const t0 = Date.now();
    a.proc.kill(signal);
    const lead = await b.waitForLog(isLeading, 30_000);
    const firstSlot = Math.ceil(t0 / 1000) * 1000;
    const started = await b.waitForLog(
      (l) => l.msg === 'run started' && Date.parse(String(l.scheduledAt)) >= firstSlot,
      30_000,
    );
    if (signal === 'SIGSTOP') a.proc.kill('SIGCONT');
    for (const d of [a, b]) d.proc.kill('SIGKILL');
    await Promise.all([a.exited, b.exited]);
    return {
      leadMs: logTime(lead) - t0,
      firstSlotStartMs: logTime(started) - t0,
      firstSlotLateMs: logTime(started) - Date.parse(String(started.scheduledAt)),
    };
  };

  const kills = [];
  for (let i = 0; i < KILLS; i++) kills.push(await measure('SIGKILL'));
  const freezes = [];
  for (let i = 0; i < FREEZES; i++) freezes.push(await measure('SIGSTOP'));

  // Alternating kill/restart cycles on one pair.
  const cyc = await pair();
  const nodes = { 'node-a': cyc.a, 'node-b': cyc.b } as Record<string, DaemonProcess>;
  let leaderId = 'node-a';
  for (let i = 0; i < CYCLES; i++) {
    const standbyId = leaderId === 'node-a' ? 'node-b' : 'node-a';
    await sleep(300 + Math.random() * 1200);
    nodes[leaderId]!.proc.kill('SIGKILL');
    await nodes[leaderId]!.exited;
    await nodes[standbyId]!.waitForLog((l) => l.msg === 'ready: scheduling', 30_000);
    nodes[leaderId] = spawnNode(cyc.config, leaderId);
    await nodes[leaderId]!.waitForLog(
      (l) => l.msg === 'another node leads: standing by until the leader lock is free',
      30_000,
    );
    leaderId = standbyId;
  }
  await sleep(2_000);
  for (const d of Object.values(nodes)) d.proc.kill('SIGTERM');
  await Promise.all(Object.values(nodes).map((d) => d.exited));
  const times = readOutput(cyc.out).map((o) => Date.parse(o.scheduledAt));
  const unique = new Set(times);
  const first = Math.min(...times);
  const last = Math.max(...times);
  const expected = (last - first) / 1000 + 1;
  const cycles = {
    cycles: CYCLES,
    slots: unique.size,
    duplicated: times.length - unique.size,
    missed: expected - unique.size,
  };

  for (const d of daemons) d.proc.kill('SIGKILL');
  cluster.destroy();
  fs.rmSync(dir, { recursive: true, force: true });

  const stats = (xs: number[]) => {
    const s = [...xs].sort((p, q) => p - q);
    return { p50: s[Math.floor((s.length - 1) / 2)]!, max: s[s.length - 1]! };
  };
  const result = {
    machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
    kill: {
      trials: KILLS,
      leadMs: stats(kills.map((k) => k.leadMs)),
      firstSlotStartMs: stats(kills.map((k) => k.firstSlotStartMs)),
      firstSlotLateMs: stats(kills.map((k) => k.firstSlotLateMs)),
    },
    freeze: {
      trials: FREEZES,
      leadMs: stats(freezes.map((k) => k.leadMs)),
      firstSlotStartMs: stats(freezes.map((k) => k.firstSlotStartMs)),
      firstSlotLateMs: stats(freezes.map((k) => k.firstSlotLateMs)),
    },
    cycles,
  };
  const row = (name: string, s: { p50: number; max: number }, target: string) =>
    `${name.padEnd(44)} ${String(s.p50).padStart(7)} ${String(s.max).padStart(7)}   ${target}`;
  console.log(`${'measure (ms)'.padEnd(44)} ${'p50'.padStart(7)} ${'max'.padStart(7)}   target`);
  console.log(row(`SIGKILL -> standby leads (${KILLS} trials)`, result.kill.leadMs, ''));
  console.log(row('SIGKILL -> first due slot started', result.kill.firstSlotStartMs, '<= 1000'));
  console.log(row('  that slot started late by', result.kill.firstSlotLateMs, ''));
  console.log(row(`SIGSTOP -> standby leads (${FREEZES} trials)`, result.freeze.leadMs, '<= 5000'));
  console.log(row('SIGSTOP -> first due slot started', result.freeze.firstSlotStartMs, ''));
  console.log(row('  that slot started late by', result.freeze.firstSlotLateMs, ''));
  console.log(
    `${CYCLES} kill/restart cycles: ${cycles.slots} slots, ${cycles.duplicated} duplicated, ${cycles.missed} missed (target 0 and 0)`,
  );
  if (jsonFile) fs.writeFileSync(jsonFile, JSON.stringify(result, null, 2) + '\n');
}

await main();
process.exit(0);
