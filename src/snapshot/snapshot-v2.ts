// Format 2 (SnapshotV2): the V1 content in columns, so that 100,000 jobs encode
// and decode in milliseconds rather than as 100,000 msgpack pairs:
//
//   u32 job count n | f64 createdAt | f64 highWater | f64 epoch
//   | n x u32 name length (UTF-16 code units) | n x f64 lastExecution (UTC ms)
//   | the names, concatenated, UTF-8
//
// Big-endian. The names are decoded with one TextDecoder call and cut by
// their lengths. Every number must be a safe integer, and the names well-formed
// Unicode (a lone surrogate would not survive UTF-8): the writer refuses
// anything else, the reader rejects a body whose parts do not add up.
import type { Snapshot } from './snapshot.js';

const HEAD_BYTES = 4 + 8 * 3;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function writeSnapshotV2(snapshot: Snapshot): Uint8Array {
  const n = snapshot.lastExecution.size;
  const names = [...snapshot.lastExecution.keys()];
  const joined = names.join('');
  if (LONE_SURROGATE.test(joined)) throw new Error('snapshot: a job name is not well-formed Unicode');
  const text = Buffer.from(joined, 'utf8');
  const buf = Buffer.alloc(HEAD_BYTES + n * 12 + text.length);
  buf.writeUInt32BE(n, 0);
  buf.writeDoubleBE(requireSafeInteger(snapshot.createdAtMs, 'createdAt'), 4);
  buf.writeDoubleBE(requireSafeInteger(snapshot.highWater, 'highWater'), 12);
  buf.writeDoubleBE(requireSafeInteger(snapshot.epoch, 'epoch'), 20);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let lengthAt = HEAD_BYTES;
  let timeAt = HEAD_BYTES + n * 4;
  // forEach, not for-of: no [name, ms] pair allocated per job.
  snapshot.lastExecution.forEach((ms, name) => {
    if (!Number.isSafeInteger(ms)) requireSafeInteger(ms, `lastExecution of '${name}'`);
    view.setUint32(lengthAt, name.length);
    view.setFloat64(timeAt, ms);
    lengthAt += 4;
    timeAt += 8;
  });
  text.copy(buf, HEAD_BYTES + n * 12);
  return buf;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function readSnapshotV2(body: Uint8Array): Snapshot {
  const buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (buf.length < HEAD_BYTES) throw new Error('body is shorter than its header');
  const n = buf.readUInt32BE(0);
  const createdAtMs = readSafeInteger(buf, 4, 'createdAt');
  const highWater = readSafeInteger(buf, 12, 'highWater');
  const epoch = readSafeInteger(buf, 20, 'epoch');
  const textAt = HEAD_BYTES + n * 12;
  if (textAt > buf.length) throw new Error(`body is too short for ${n} jobs`);
  const text = utf8.decode(buf.subarray(textAt));
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const lastExecution = new Map<string, number>();
  let at = 0;
  for (let i = 0; i < n; i++) {
    const length = view.getUint32(HEAD_BYTES + i * 4);
    if (at + length > text.length) throw new Error('job names are shorter than their lengths say');
    const name = text.slice(at, at + length);
    at += length;
    const ms = view.getFloat64(HEAD_BYTES + n * 4 + i * 8);
    if (!Number.isSafeInteger(ms)) throw new Error(`'lastExecution of '${name}'' is not an integer`);
    lastExecution.set(name, ms);
  }
  if (lastExecution.size !== n) throw new Error('a job appears twice');
  if (at !== text.length) throw new Error('job names are longer than their lengths say');
  return { createdAtMs, highWater, epoch, lastExecution };
}

function requireSafeInteger(n: number, what: string): number {
  if (!Number.isSafeInteger(n)) throw new Error(`snapshot: ${what} is not a safe integer: ${n}`);
  return n;
}

function readSafeInteger(buf: Buffer, at: number, what: string): number {
  const v = buf.readDoubleBE(at);
  if (!Number.isSafeInteger(v)) throw new Error(`'${what}' is not an integer`);
  return v;
}
