// Versioned, checksummed snapshot encoding.
//
// Envelope (big-endian):  "CKSN" | u16 format version | 32-byte SHA-256 of body | body
// The body is format-specific (format 1: msgpack pairs, snapshot-v1.ts;
// format 2: columns, snapshot-v2.ts; format 3: those columns deflated,
// snapshot-v3.ts). A reader
// exists for every format ever written; the writer writes the newest one, so
// adding a format never breaks reading an older row.
import { createHash } from 'node:crypto';
import type { Snapshot } from './snapshot.js';
import { readSnapshotV1 } from './snapshot-v1.js';
import { readSnapshotV2 } from './snapshot-v2.js';
import { readSnapshotV3, writeSnapshotV3 } from './snapshot-v3.js';

const MAGIC = Buffer.from('CKSN', 'ascii');
const HEADER_BYTES = MAGIC.length + 2 + 32;

export const SNAPSHOT_DECODE_REASONS = [
  'truncated',
  'bad-magic',
  'checksum',
  'unknown-version',
  'bad-body',
] as const;
export type SnapshotDecodeReason = (typeof SNAPSHOT_DECODE_REASONS)[number];

export class SnapshotDecodeError extends Error {
  constructor(
    readonly reason: SnapshotDecodeReason,
    message: string,
  ) {
    super(message);
    this.name = 'SnapshotDecodeError';
  }
}

export type SnapshotFormatReader = (body: Uint8Array) => Snapshot;
export type SnapshotFormatWriter = (snapshot: Snapshot) => Uint8Array;

export interface SnapshotCodec {
  /** The format version `encode` writes. */
  readonly writeVersion: number;
  encode(snapshot: Snapshot): Buffer;
  /** Throws SnapshotDecodeError; never returns a partially read snapshot. */
  decode(bytes: Uint8Array): { version: number; snapshot: Snapshot };
}

export function createSnapshotCodec(options: {
  writeVersion: number;
  writer: SnapshotFormatWriter;
  readers: ReadonlyMap<number, SnapshotFormatReader>;
}): SnapshotCodec {
  const { writeVersion, writer, readers } = options;
  if (!readers.has(writeVersion))
    throw new Error(`snapshot codec: no reader for the written format ${writeVersion}`);
  return {
    writeVersion,
    encode(snapshot) {
      const body = writer(snapshot);
      const header = Buffer.alloc(HEADER_BYTES);
      MAGIC.copy(header, 0);
      header.writeUInt16BE(writeVersion, MAGIC.length);
      sha256(body).copy(header, MAGIC.length + 2);
      return Buffer.concat([header, body]);
    },
    decode(bytes) {
      const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      if (buf.length < HEADER_BYTES) {
        throw new SnapshotDecodeError(
          'truncated',
          `snapshot is ${buf.length} bytes, shorter than its header`,
        );
      }
      if (!buf.subarray(0, MAGIC.length).equals(MAGIC)) {
        throw new SnapshotDecodeError('bad-magic', 'snapshot does not start with the CKSN marker');
      }
      const version = buf.readUInt16BE(MAGIC.length);
      const body = buf.subarray(HEADER_BYTES);
      if (!sha256(body).equals(buf.subarray(MAGIC.length + 2, HEADER_BYTES))) {
        throw new SnapshotDecodeError(
          'checksum',
          `snapshot body fails its SHA-256 checksum (format ${version})`,
        );
      }
      const reader = readers.get(version);
      if (!reader)
        throw new SnapshotDecodeError('unknown-version', `unknown snapshot format version ${version}`);
      try {
        return { version, snapshot: reader(body) };
      } catch (err) {
        throw new SnapshotDecodeError(
          'bad-body',
          `snapshot format ${version} body: ${(err as Error).message}`,
        );
      }
    },
  };
}

function sha256(data: Uint8Array): Buffer {
  return createHash('sha256').update(data).digest();
}

/** The codec the daemon uses: writes format 3 (deflated columns), reads formats 1, 2 and 3. */
export const snapshotCodec: SnapshotCodec = createSnapshotCodec({
  writeVersion: 3,
  writer: writeSnapshotV3,
  readers: new Map([
    [1, readSnapshotV1],
    [2, readSnapshotV2],
    [3, readSnapshotV3],
  ]),
});
