// npm run bench:snapshot — what a snapshot costs at 1k, 10k and 100k jobs with
// realistic 20-40 character names. Component level: the daemon's codec and
// its snapshot row insert/read (fenced, as the leader writes them) on a real
// Postgres; stored bytes are pg_column_size of the payload, after Postgres's
// own compression. Each figure is the median of --repeat runs.
//
//   V3 deflated     the daemon's format: the V2 columns, raw DEFLATE level 1
//   V2 columns      name lengths, times, one UTF-8 block of names (Postgres compresses it)
//   msgpack V1      the first format: a msgpack array of [name, ms] pairs
//   JSON (jsonb)    the same state as a JSON object {name: ms} in a jsonb column
//   hashed columns  a prototype, not a format the daemon writes: a 64-bit hash
//                   per name plus one binary block of times, names resolved
//                   against the configured jobs at restore (what it would take
//                   to reach <= 15 stored bytes per job)
//
//   --repeat 5 --json out.json
import { type SnapshotCodec, createSnapshotCodec, snapshotCodec } from '../src/snapshot/snapshot-codec.js';
import { readSnapshotV1, writeSnapshotV1 } from '../src/snapshot/snapshot-v1.js';
import { readSnapshotV2, writeSnapshotV2 } from '../src/snapshot/snapshot-v2.js';
import { bumpEpoch } from '../src/store/fence.js';
import { migrate } from '../src/store/migrate.js';
import { openPostgres } from '../src/store/open-postgres.js';
import { insertSnapshot, readSnapshotBefore } from '../src/store/snapshot-rows.js';
import type { Snapshot } from '../src/snapshot/snapshot.js';
import type { Db } from '../src/store/db.js';
import {
  loadavg,
  machine,
  numberArg,
  openBenchPostgres,
  printTable,
  round,
  writeJson,
} from './support/bench-env.js';
import { jobName } from './support/bench-jobs.js';

const COUNTS = [1_000, 10_000, 100_000];
const REPEAT = numberArg('--repeat', 5);

function state(count: number): Map<string, number> {
  const base = Math.floor(Date.now() / 1000) * 1000;
  const m = new Map<string, number>();
  // Last executions spread over the last day, on whole seconds, as cron slots are.
  for (let i = 0; i < count; i++) m.set(jobName(i), base - ((i * 7919) % 86_400) * 1000);
  return m;
}

async function median(fn: () => Promise<number> | number): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < REPEAT; i++) xs.push(await fn());
  xs.sort((a, b) => a - b);
  return round(xs[Math.floor(xs.length / 2)]!, 1);
}

/** 64-bit FNV-1a of a name's UTF-16 code units, as two 32-bit halves (prototype only). */
function hash64(name: string, out: DataView, at: number): void {
  let h1 = 0x811c9dc5;
  let h2 = 0xcbf29ce4;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x0100019d) ^ (h1 >>> 7);
  }
  out.setUint32(at, h1 >>> 0);
  out.setUint32(at + 4, h2 >>> 0);
}

function encodeHashed(m: Map<string, number>): Buffer {
  const n = m.size;
  const buf = Buffer.alloc(n * 16);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let i = 0;
  for (const [name, ms] of m) {
    hash64(name, view, i * 8);
    view.setFloat64(n * 8 + i * 8, ms);
    i++;
  }
  return buf;
}

function decodeHashed(buf: Buffer, configured: readonly string[]): Map<string, number> {
  const n = buf.length / 16;
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const byHash = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    byHash.set(`${view.getUint32(i * 8)}:${view.getUint32(i * 8 + 4)}`, view.getFloat64(n * 8 + i * 8));
  }
  const key = Buffer.alloc(8);
  const kv = new DataView(key.buffer, key.byteOffset, 8);
  const out = new Map<string, number>();
  for (const name of configured) {
    hash64(name, kv, 0);
    const ms = byHash.get(`${kv.getUint32(0)}:${kv.getUint32(4)}`);
    if (ms !== undefined) out.set(name, ms);
  }
  return out;
}

const v1Codec = createSnapshotCodec({
  writeVersion: 1,
  writer: writeSnapshotV1,
  readers: new Map([[1, readSnapshotV1]]),
});

const v2Codec = createSnapshotCodec({
  writeVersion: 2,
  writer: writeSnapshotV2,
  readers: new Map([[2, readSnapshotV2]]),
});

/** Save (encode + fenced insert) and load (read the newest row + decode) through `codec` and the daemon's snapshot rows. */
async function measureCodec(db: Db, codec: SnapshotCodec, snap: Snapshot) {
  const fence = { epoch: snap.epoch, nodeId: 'bench' };
  const count = snap.lastExecution.size;
  const now = () => performance.now();
  let id = 0;
  const saveMs = await median(async () => {
    const t = now();
    const payload = codec.encode(snap);
    id = await insertSnapshot(db, fence, {
      formatVersion: codec.writeVersion,
      highWater: 0,
      jobCount: count,
      payload,
    });
    return now() - t;
  });
  const loadMs = await median(async () => {
    const t = now();
    const row = await readSnapshotBefore(db, undefined);
    if (codec.decode(row!.payload).snapshot.lastExecution.size !== count) throw new Error('lost jobs');
    return now() - t;
  });
  const payload = codec.encode(snap);
  const encodeMs = await median(() => {
    const t = now();
    codec.encode(snap);
    return now() - t;
  });
  const decodeMs = await median(() => {
    const t = now();
    codec.decode(payload);
    return now() - t;
  });
  const bytes = await db.query<{ n: number; raw: number }>(
    'SELECT pg_column_size(payload) AS n, octet_length(payload) AS raw FROM cronkeeper_snapshots WHERE id = $1',
    [id],
  );
  const perJob = (n: number) => round(n / count, 1);
  return {
    saveMs,
    loadMs,
    encodeMs,
    decodeMs,
    storedBytesPerJob: perJob(bytes[0]!.n),
    rawBytesPerJob: perJob(bytes[0]!.raw),
  };
}

async function measure(db: Db, count: number) {
  const fence = await bumpEpoch(db, 'bench');
  const lastExecution = state(count);
  const snap: Snapshot = { createdAtMs: Date.now(), highWater: 0, epoch: fence.epoch, lastExecution };
  const now = () => performance.now();
  const msgpackV1 = await measureCodec(db, v1Codec, snap);
  const columnsV2 = await measureCodec(db, v2Codec, snap);
  const deflatedV3 = await measureCodec(db, snapshotCodec, snap);

  // JSON in a jsonb column.
  await db.query('CREATE TABLE IF NOT EXISTS bench_json (id bigserial PRIMARY KEY, state jsonb NOT NULL)');
  let jsonId = 0;
  const jsonSave = await median(async () => {
    const t = now();
    const text = JSON.stringify(Object.fromEntries(lastExecution));
    jsonId = (
      await db.query<{ id: number }>('INSERT INTO bench_json (state) VALUES ($1::jsonb) RETURNING id', [text])
    )[0]!.id;
    return now() - t;
  });
  const jsonLoad = await median(async () => {
    const t = now();
    const rows = await db.query<{ s: string }>('SELECT state::text AS s FROM bench_json WHERE id = $1', [
      jsonId,
    ]);
    const m = new Map(Object.entries(JSON.parse(rows[0]!.s) as Record<string, number>));
    if (m.size !== count) throw new Error('JSON lost jobs');
    return now() - t;
  });
  const jsonBytes = await db.query<{ n: number }>(
    'SELECT pg_column_size(state) AS n FROM bench_json WHERE id = $1',
    [jsonId],
  );

  // The hashed-columns prototype, in a bytea column like the snapshot's.
  await db.query(
    'CREATE TABLE IF NOT EXISTS bench_hashed (id bigserial PRIMARY KEY, payload bytea NOT NULL)',
  );
  const configured = [...lastExecution.keys()];
  let hashedId = 0;
  const hashedSave = await median(async () => {
    const t = now();
    hashedId = (
      await db.query<{ id: number }>('INSERT INTO bench_hashed (payload) VALUES ($1) RETURNING id', [
        encodeHashed(lastExecution),
      ])
    )[0]!.id;
    return now() - t;
  });
  const hashedLoad = await median(async () => {
    const t = now();
    const rows = await db.query<{ payload: Buffer }>('SELECT payload FROM bench_hashed WHERE id = $1', [
      hashedId,
    ]);
    const m = decodeHashed(rows[0]!.payload, configured);
    if (m.size !== count) throw new Error('hashed prototype lost jobs');
    return now() - t;
  });
  const hashedBytes = await db.query<{ n: number }>(
    'SELECT pg_column_size(payload) AS n FROM bench_hashed WHERE id = $1',
    [hashedId],
  );

  const perJob = (n: number) => round(n / count, 1);
  return {
    jobs: count,
    deflatedV3,
    columnsV2,
    msgpackV1,
    json: { saveMs: jsonSave, loadMs: jsonLoad, storedBytesPerJob: perJob(jsonBytes[0]!.n) },
    hashedPrototype: { saveMs: hashedSave, loadMs: hashedLoad, storedBytesPerJob: perJob(hashedBytes[0]!.n) },
  };
}

async function main(): Promise<void> {
  const pgs = await openBenchPostgres();
  const load = [loadavg()];
  const results = [];
  try {
    for (const count of COUNTS) {
      const db = await openPostgres({ url: await pgs.createDatabase(`bench_snapshot_${count}`) });
      await migrate(db);
      results.push(await measure(db, count));
      await db.close();
      load.push(loadavg());
    }
  } finally {
    await pgs.close();
  }
  const rows = results.flatMap((r) => [
    [
      `${r.jobs} jobs: V3 deflated columns (the daemon's)`,
      r.deflatedV3.saveMs,
      r.deflatedV3.loadMs,
      r.deflatedV3.storedBytesPerJob,
    ],
    [`${r.jobs} jobs: V2 columns`, r.columnsV2.saveMs, r.columnsV2.loadMs, r.columnsV2.storedBytesPerJob],
    [
      `${r.jobs} jobs: msgpack V1 (the first format)`,
      r.msgpackV1.saveMs,
      r.msgpackV1.loadMs,
      r.msgpackV1.storedBytesPerJob,
    ],
    [`${r.jobs} jobs: JSON (jsonb)`, r.json.saveMs, r.json.loadMs, r.json.storedBytesPerJob],
    [
      `${r.jobs} jobs: hashed columns (prototype)`,
      r.hashedPrototype.saveMs,
      r.hashedPrototype.loadMs,
      r.hashedPrototype.storedBytesPerJob,
    ],
  ]);
  printTable(
    'Snapshot cost (targets at 100k: save <= 100 ms, restore <= 100 ms, <= 15 stored bytes/job)',
    ['jobs: format', 'save ms', 'load ms', 'stored B/job'],
    rows,
  );
  writeJson({ benchmark: 'snapshot', machine: machine(pgs.version), loadavg: load, repeat: REPEAT, results });
}

await main();
process.exit(0);
