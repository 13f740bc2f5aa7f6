import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decode, encode } from '@msgpack/msgpack';
import {
  SnapshotDecodeError,
  createSnapshotCodec,
  snapshotCodec,
  type SnapshotDecodeReason,
  type SnapshotFormatReader,
  type SnapshotFormatWriter,
} from '../../../src/snapshot/snapshot-codec.js';
import type { Snapshot } from '../../../src/snapshot/snapshot.js';
import { readSnapshotV1, writeSnapshotV1 } from '../../../src/snapshot/snapshot-v1.js';
import { readSnapshotV2, writeSnapshotV2 } from '../../../src/snapshot/snapshot-v2.js';
import { readSnapshotV3, writeSnapshotV3 } from '../../../src/snapshot/snapshot-v3.js';
import { deflateRawSync } from 'node:zlib';

/** The codec of the first releases: writes and reads format 1 only. */
const v1Codec = createSnapshotCodec({
  writeVersion: 1,
  writer: writeSnapshotV1,
  readers: new Map([[1, readSnapshotV1]]),
});

// Envelope: "CKSN" | u16 version | 32-byte SHA-256 of body | body
const VERSION_OFFSET = 4;
const HEADER_BYTES = 4 + 2 + 32;
const MAX = Number.MAX_SAFE_INTEGER;

function realState(): Snapshot {
  const lastExecution = new Map<string, number>();
  const base = Date.parse('2026-03-29T01:00:00Z');
  for (let i = 0; i < 500; i++) lastExecution.set(`job-${String(i).padStart(3, '0')}`, base + i * 60_000);
  lastExecution.set('nächtlicher-bericht', base);
  lastExecution.set('日次バックアップ', base + 1);
  lastExecution.set('emoji 🕑 job', base + 2);
  lastExecution.set('', base + 3);
  lastExecution.set('near-max', MAX);
  lastExecution.set('near-max-1', MAX - 1);
  lastExecution.set('before-epoch', -86_400_000);
  lastExecution.set('epoch', 0);
  return { createdAtMs: base + 12_345, highWater: MAX - 7, epoch: 2 ** 40 + 3, lastExecution };
}

function decodeReason(bytes: Uint8Array, codec = v1Codec): SnapshotDecodeReason | 'no error' {
  try {
    codec.decode(bytes);
    return 'no error';
  } catch (err) {
    assert.ok(err instanceof SnapshotDecodeError, `expected SnapshotDecodeError, got ${String(err)}`);
    return err.reason;
  }
}

/** An envelope around an arbitrary body, with a correct checksum: a codec whose writer returns that body. */
function envelope(version: number, body: Uint8Array): Buffer {
  const identity = createSnapshotCodec({
    writeVersion: version,
    writer: () => body,
    readers: new Map([[version, readSnapshotV1]]),
  });
  return identity.encode({ createdAtMs: 0, highWater: 0, epoch: 0, lastExecution: new Map() });
}

describe('snapshot codec, format 1', () => {
  it('round-trips real state exactly', () => {
    const snap = realState();
    const bytes = v1Codec.encode(snap);
    const { version, snapshot } = v1Codec.decode(bytes);
    assert.equal(version, 1);
    assert.equal(v1Codec.writeVersion, 1);
    assert.deepEqual(snapshot, snap);
    assert.deepEqual([...snapshot.lastExecution.keys()], [...snap.lastExecution.keys()], 'order kept');
    assert.equal(snapshot.lastExecution.get('near-max'), MAX);
    assert.equal(snapshot.highWater, MAX - 7);
  });

  it('starts with the CKSN marker and the version', () => {
    const bytes = v1Codec.encode(realState());
    assert.equal(bytes.subarray(0, 4).toString('ascii'), 'CKSN');
    assert.equal(bytes.readUInt16BE(VERSION_OFFSET), 1);
  });

  it('decodes from a Uint8Array view into a larger buffer', () => {
    const bytes = v1Codec.encode(realState());
    const big = new Uint8Array(bytes.length + 20);
    big.set(bytes, 10);
    const view = big.subarray(10, 10 + bytes.length);
    assert.deepEqual(v1Codec.decode(view).snapshot, realState());
  });

  it('writes the job map as a non-empty array of pairs (not a msgpack-encoded Map, which would be {})', () => {
    const snap = realState();
    const body = decode(v1Codec.encode(snap).subarray(HEADER_BYTES)) as Record<string, unknown>;
    assert.ok(Array.isArray(body.jobs), 'jobs is an array');
    assert.equal((body.jobs as unknown[]).length, snap.lastExecution.size);
    assert.deepEqual((body.jobs as unknown[])[0], ['job-000', snap.lastExecution.get('job-000')]);
  });

  it('round-trips an empty state', () => {
    const empty: Snapshot = { createdAtMs: 1, highWater: 0, epoch: 0, lastExecution: new Map() };
    assert.deepEqual(v1Codec.decode(v1Codec.encode(empty)).snapshot, empty);
  });

  const unsafe: Array<[string, (s: Snapshot) => void]> = [
    ['a lastExecution of 2**53 + 2', (s) => s.lastExecution.set('x', 2 ** 53 + 2)],
    ['a highWater of 2**53 + 2', (s) => (s.highWater = 2 ** 53 + 2)],
    ['a createdAt of 2**53 + 2', (s) => (s.createdAtMs = 2 ** 53 + 2)],
    ['an epoch of 2**53 + 2', (s) => (s.epoch = 2 ** 53 + 2)],
    ['a fractional lastExecution', (s) => s.lastExecution.set('x', 1.5)],
    ['a NaN lastExecution', (s) => s.lastExecution.set('x', Number.NaN)],
  ];
  for (const [what, mutate] of unsafe) {
    it(`refuses to write ${what}`, () => {
      const snap = realState();
      mutate(snap);
      assert.throws(() => v1Codec.encode(snap), /not a safe integer/);
    });
  }
});

describe('snapshot codec, corrupt input', () => {
  const good = v1Codec.encode(realState());

  it('an empty buffer is truncated', () => {
    assert.equal(decodeReason(new Uint8Array(0)), 'truncated');
  });

  it('a truncated header is truncated', () => {
    assert.equal(decodeReason(good.subarray(0, HEADER_BYTES - 1)), 'truncated');
    assert.equal(decodeReason(good.subarray(0, 5)), 'truncated');
  });

  it('a wrong magic is bad-magic', () => {
    const bad = Buffer.from(good);
    bad.write('CKSX', 0, 'ascii');
    assert.equal(decodeReason(bad), 'bad-magic');
  });

  it('a truncated body fails its checksum', () => {
    assert.equal(decodeReason(good.subarray(0, good.length - 1)), 'checksum');
  });

  it('a single flipped bit anywhere in the body fails its checksum', () => {
    for (const offset of [
      HEADER_BYTES,
      HEADER_BYTES + 1,
      Math.floor((HEADER_BYTES + good.length) / 2),
      good.length - 1,
    ]) {
      for (const bit of [0, 7]) {
        const bad = Buffer.from(good);
        bad[offset] = bad[offset]! ^ (1 << bit);
        assert.equal(decodeReason(bad), 'checksum', `bit ${bit} at offset ${offset}`);
      }
    }
  });

  it('a flipped bit in the stored checksum fails the checksum', () => {
    const bad = Buffer.from(good);
    bad[VERSION_OFFSET + 2] = bad[VERSION_OFFSET + 2]! ^ 1;
    assert.equal(decodeReason(bad), 'checksum');
  });

  it('an unknown version (valid checksum) is unknown-version', () => {
    const bad = Buffer.from(good);
    bad.writeUInt16BE(99, VERSION_OFFSET);
    assert.equal(decodeReason(bad), 'unknown-version');
    bad.writeUInt16BE(0, VERSION_OFFSET);
    assert.equal(decodeReason(bad), 'unknown-version');
  });

  const wrongShapes: Array<[string, unknown]> = [
    ['a string', 'hello'],
    ['an array', [1, 2, 3]],
    ['a map without jobs', { createdAt: 1, highWater: 1, epoch: 1 }],
    ['jobs as a map', { createdAt: 1, highWater: 1, epoch: 1, jobs: { a: 1 } }],
    ['a job entry with a string time', { createdAt: 1, highWater: 1, epoch: 1, jobs: [['a', '1']] }],
    ['a job entry with a fractional time', { createdAt: 1, highWater: 1, epoch: 1, jobs: [['a', 1.5]] }],
    ['a job entry of three', { createdAt: 1, highWater: 1, epoch: 1, jobs: [['a', 1, 2]] }],
    ['a job entry with a numeric name', { createdAt: 1, highWater: 1, epoch: 1, jobs: [[1, 1]] }],
    ['highWater as a string', { createdAt: 1, highWater: '1', epoch: 1, jobs: [] }],
    ['createdAt missing', { highWater: 1, epoch: 1, jobs: [] }],
    ['epoch as a float', { createdAt: 1, highWater: 1, epoch: 0.5, jobs: [] }],
  ];
  for (const [what, value] of wrongShapes) {
    it(`valid msgpack of the wrong shape (${what}) with a correct checksum is bad-body`, () => {
      assert.equal(decodeReason(envelope(1, encode(value))), 'bad-body');
    });
  }

  it('a body that is not msgpack at all, with a correct checksum, is bad-body', () => {
    assert.equal(decodeReason(envelope(1, new Uint8Array([0xc1]))), 'bad-body');
    assert.equal(decodeReason(envelope(1, new Uint8Array(0))), 'bad-body');
  });

  it('a body with trailing bytes, with a correct checksum, is bad-body', () => {
    const body = writeSnapshotV1(realState());
    const longer = new Uint8Array(body.length + 1);
    longer.set(body);
    assert.equal(decodeReason(envelope(1, longer)), 'bad-body');
  });

  it('the envelope helper itself produces a decodable blob for a valid body', () => {
    assert.deepEqual(v1Codec.decode(envelope(1, writeSnapshotV1(realState()))).snapshot, realState());
  });
});

describe('snapshot codec, adding format 2', () => {
  // A hypothetical V2: the V1 fields plus a per-job run count, under new key names.
  interface SnapshotV2Body {
    v: 2;
    created: number;
    hw: number;
    epoch: number;
    jobs: Array<{ name: string; last: number; runs: number }>;
  }
  const writeV2: SnapshotFormatWriter = (s) => {
    const body: SnapshotV2Body = {
      v: 2,
      created: s.createdAtMs,
      hw: s.highWater,
      epoch: s.epoch,
      jobs: [...s.lastExecution].map(([name, last]) => ({ name, last, runs: 1 })),
    };
    return encode(body);
  };
  const readV2: SnapshotFormatReader = (bytes) => {
    const raw = decode(bytes) as SnapshotV2Body;
    if (raw.v !== 2 || !Array.isArray(raw.jobs)) throw new Error('not a V2 body');
    return {
      createdAtMs: raw.created,
      highWater: raw.hw,
      epoch: raw.epoch,
      lastExecution: new Map(raw.jobs.map((j) => [j.name, j.last])),
    };
  };
  const codecV2 = createSnapshotCodec({
    writeVersion: 2,
    writer: writeV2,
    readers: new Map([
      [1, readSnapshotV1],
      [2, readV2],
    ]),
  });

  it('writes format 2', () => {
    const bytes = codecV2.encode(realState());
    assert.equal(codecV2.writeVersion, 2);
    assert.equal(bytes.readUInt16BE(VERSION_OFFSET), 2);
  });

  it('still reads a V1 blob written by the default codec', () => {
    const v1 = v1Codec.encode(realState());
    const { version, snapshot } = codecV2.decode(v1);
    assert.equal(version, 1);
    assert.deepEqual(snapshot, realState());
  });

  it('reads its own V2 blob', () => {
    const v2 = codecV2.encode(realState());
    const { version, snapshot } = codecV2.decode(v2);
    assert.equal(version, 2);
    assert.deepEqual(snapshot, realState());
  });

  it('the V1-only codec reports a V2 blob as unknown-version, not as corrupt', () => {
    assert.equal(decodeReason(codecV2.encode(realState())), 'unknown-version');
  });

  it('refuses a codec that cannot read what it writes', () => {
    assert.throws(
      () =>
        createSnapshotCodec({ writeVersion: 3, writer: writeV2, readers: new Map([[1, readSnapshotV1]]) }),
      /no reader/,
    );
  });
});

/** The codec of the releases that wrote format 2 (plain columns). */
const v2Codec = createSnapshotCodec({
  writeVersion: 2,
  writer: writeSnapshotV2,
  readers: new Map([[2, readSnapshotV2]]),
});

describe("the daemon's codec: writes format 3 (deflated columns), reads 1, 2 and 3", () => {
  it('writes format 3 and round-trips real state exactly, order kept', () => {
    const snap = realState();
    const bytes = snapshotCodec.encode(snap);
    assert.equal(snapshotCodec.writeVersion, 3);
    assert.equal(bytes.readUInt16BE(VERSION_OFFSET), 3);
    const { version, snapshot } = snapshotCodec.decode(bytes);
    assert.equal(version, 3);
    assert.deepEqual(snapshot, snap);
    assert.deepEqual([...snapshot.lastExecution.keys()], [...snap.lastExecution.keys()]);
  });

  it('stores the columns deflated: smaller than format 2 for the same state', () => {
    const snap = realState();
    const v3 = snapshotCodec.encode(snap);
    const v2 = v2Codec.encode(snap);
    assert.ok(v3.length * 3 < v2.length, `format 3 ${v3.length} bytes vs format 2 ${v2.length}`);
    assert.equal(v3.readUInt32BE(HEADER_BYTES), v2.length - HEADER_BYTES, 'the inflated length up front');
  });

  it('still restores a V1 row written by the first releases', () => {
    const { version, snapshot } = snapshotCodec.decode(v1Codec.encode(realState()));
    assert.equal(version, 1);
    assert.deepEqual(snapshot, realState());
  });

  it('still restores a V2 row (plain columns)', () => {
    const { version, snapshot } = snapshotCodec.decode(v2Codec.encode(realState()));
    assert.equal(version, 2);
    assert.deepEqual(snapshot, realState());
  });

  it('round-trips an empty state, and names that need 1 to 4 UTF-8 bytes per character', () => {
    const empty: Snapshot = { createdAtMs: 1, highWater: 0, epoch: 0, lastExecution: new Map() };
    assert.deepEqual(snapshotCodec.decode(snapshotCodec.encode(empty)).snapshot, empty);
    const names: Snapshot = {
      ...empty,
      lastExecution: new Map([
        ['a', 1],
        ['ä', 2],
        ['日', 3],
        ['🕑', 4],
        ['', 5],
      ]),
    };
    assert.deepEqual(snapshotCodec.decode(snapshotCodec.encode(names)).snapshot, names);
  });

  it('refuses to write what would not read back the same', () => {
    const bad = (f: (s: Snapshot) => void) => {
      const s = realState();
      f(s);
      return () => writeSnapshotV3(s);
    };
    assert.throws(
      bad((s) => s.lastExecution.set('x', 2 ** 53 + 2)),
      /not a safe integer/,
    );
    assert.throws(
      bad((s) => s.lastExecution.set('x', 1.5)),
      /not a safe integer/,
    );
    assert.throws(
      bad((s) => (s.highWater = 2 ** 53 + 2)),
      /not a safe integer/,
    );
    assert.throws(
      bad((s) => s.lastExecution.set('lone \ud800 surrogate', 1)),
      /well-formed/,
    );
  });

  it('rejects a V2 body whose parts do not add up, as bad-body', () => {
    const body = Buffer.from(writeSnapshotV2(realState()));
    const envelope2 = (b: Uint8Array) =>
      createSnapshotCodec({
        writeVersion: 2,
        writer: () => b,
        readers: new Map([[2, readSnapshotV2]]),
      }).encode({
        createdAtMs: 0,
        highWater: 0,
        epoch: 0,
        lastExecution: new Map(),
      });
    const truncated = body.subarray(0, body.length - 3);
    const longer = Buffer.concat([body, Buffer.from('x')]);
    const moreJobs = Buffer.from(body);
    moreJobs.writeUInt32BE(body.readUInt32BE(0) + 1, 0);
    const fractional = Buffer.from(body);
    fractional.writeDoubleBE(1.5, 4);
    for (const b of [truncated, longer, moreJobs, fractional, new Uint8Array(3)]) {
      assert.equal(decodeReason(envelope2(b), snapshotCodec), 'bad-body');
    }
  });
});

describe('format 3 bodies that do not add up are bad-body, never a partial state', () => {
  const envelope3 = (b: Uint8Array) =>
    createSnapshotCodec({ writeVersion: 3, writer: () => b, readers: new Map([[3, readSnapshotV3]]) }).encode(
      {
        createdAtMs: 0,
        highWater: 0,
        epoch: 0,
        lastExecution: new Map(),
      },
    );
  const columns = Buffer.from(writeSnapshotV2(realState()));
  const withLength = (length: number, deflated: Buffer) => {
    const b = Buffer.alloc(4 + deflated.length);
    b.writeUInt32BE(length, 0);
    deflated.copy(b, 4);
    return b;
  };
  const good = Buffer.from(writeSnapshotV3(realState()));

  it('a good body reads back', () => {
    assert.deepEqual(readSnapshotV3(good), realState());
  });

  const cases: [string, Uint8Array][] = [
    ['shorter than its length field', new Uint8Array(3)],
    ['a stream cut short', good.subarray(0, good.length - 10)],
    ['not a deflate stream', withLength(columns.length, Buffer.from('not deflate at all'))],
    [
      'a length smaller than what inflates (the bound holds)',
      withLength(columns.length - 1, deflateRawSync(columns)),
    ],
    ['a length larger than what inflates', withLength(columns.length + 1, deflateRawSync(columns))],
    [
      'columns that do not add up, deflated',
      withLength(columns.length - 3, deflateRawSync(columns.subarray(0, -3))),
    ],
  ];
  for (const [what, body] of cases) {
    it(what, () => {
      assert.equal(decodeReason(envelope3(body), snapshotCodec), 'bad-body');
    });
  }
});
