// Format 3 (SnapshotV3): the format-2 columns, deflated.
//
//   u32 length of the format-2 body | that body, raw DEFLATE (level 1)
//
// Why: Postgres compressed a large format-2 payload itself, with pglz, in a
// good part of the save's time; deflate at level 1 is several times faster,
// inflate faster still, and the result is smaller. Postgres then finds nothing
// to compress, and the row it writes and reads is a fraction of the size
// (BENCHMARKS.md, "Measurements behind the code"). The envelope's checksum covers the deflated bytes,
// so a damaged row is caught before it is inflated; the length bounds the
// inflation and must match what comes out.
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { Snapshot } from './snapshot.js';
import { readSnapshotV2, writeSnapshotV2 } from './snapshot-v2.js';

export function writeSnapshotV3(snapshot: Snapshot): Uint8Array {
  const columns = writeSnapshotV2(snapshot);
  const deflated = deflateRawSync(columns, { level: 1 });
  const out = Buffer.allocUnsafe(4 + deflated.length);
  out.writeUInt32BE(columns.length, 0);
  deflated.copy(out, 4);
  return out;
}

export function readSnapshotV3(body: Uint8Array): Snapshot {
  const buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (buf.length < 4) throw new Error('body is shorter than its header');
  const length = buf.readUInt32BE(0);
  let columns: Buffer;
  try {
    columns = inflateRawSync(buf.subarray(4), { maxOutputLength: Math.max(length, 1) });
  } catch (err) {
    throw new Error(`the deflated columns do not inflate to ${length} bytes: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (columns.length !== length)
    throw new Error(`the deflated columns inflate to ${columns.length} bytes, not ${length}`);
  return readSnapshotV2(columns);
}
