// Format 1 (SnapshotV1): a msgpack map
//   { createdAt: ms, highWater: int, epoch: int, jobs: [[name, lastExecutionMs], ...] }
// Jobs are an array of pairs, not a JS Map: @msgpack/msgpack encodes a Map as an
// empty map. Every integer must be a safe integer (< 2^53): msgpack would round
// larger ones silently, so the writer refuses them.
import { decode, encode } from '@msgpack/msgpack';
import type { Snapshot } from './snapshot.js';

export interface SnapshotV1 {
  createdAt: number;
  highWater: number;
  epoch: number;
  jobs: Array<[string, number]>;
}

export function writeSnapshotV1(snapshot: Snapshot): Uint8Array {
  const jobs: Array<[string, number]> = [];
  for (const [name, ms] of snapshot.lastExecution) {
    jobs.push([name, requireSafeInteger(ms, `lastExecution of '${name}'`)]);
  }
  const body: SnapshotV1 = {
    createdAt: requireSafeInteger(snapshot.createdAtMs, 'createdAt'),
    highWater: requireSafeInteger(snapshot.highWater, 'highWater'),
    epoch: requireSafeInteger(snapshot.epoch, 'epoch'),
    jobs,
  };
  return encode(body);
}

export function readSnapshotV1(body: Uint8Array): Snapshot {
  const raw = decode(body) as unknown;
  if (!isRecord(raw)) throw new Error('body is not a map');
  const createdAt = readInt(raw, 'createdAt');
  const highWater = readInt(raw, 'highWater');
  const epoch = readInt(raw, 'epoch');
  if (!Array.isArray(raw.jobs)) throw new Error("'jobs' is not an array");
  const lastExecution = new Map<string, number>();
  for (const entry of raw.jobs as unknown[]) {
    if (
      !Array.isArray(entry) ||
      entry.length !== 2 ||
      typeof entry[0] !== 'string' ||
      !Number.isSafeInteger(entry[1])
    ) {
      throw new Error("'jobs' holds an entry that is not [name, integer]");
    }
    lastExecution.set(entry[0], entry[1] as number);
  }
  return { createdAtMs: createdAt, highWater, epoch, lastExecution };
}

function requireSafeInteger(n: number, what: string): number {
  if (!Number.isSafeInteger(n)) throw new Error(`snapshot: ${what} is not a safe integer: ${n}`);
  return n;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

function readInt(raw: Record<string, unknown>, key: string): number {
  const v = raw[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new Error(`'${key}' is not an integer`);
  return v;
}
