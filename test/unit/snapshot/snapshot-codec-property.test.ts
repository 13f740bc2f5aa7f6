// Property-based tests of the snapshot codec (fast-check), through the codec
// the daemon uses (`snapshotCodec`, whatever format it writes): random states
// round-trip exactly; random bytes and mutated valid encodings (bit flips,
// truncation, appended bytes, a changed version, a rewritten body with a
// correct checksum) either fail with SnapshotDecodeError or decode to exactly
// the state that was encoded — never another exception, never another state.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { encode } from '@msgpack/msgpack';
import fc from 'fast-check';
import { SnapshotDecodeError, snapshotCodec } from '../../../src/snapshot/snapshot-codec.js';
import type { Snapshot } from '../../../src/snapshot/snapshot.js';

const RUNS = Number(process.env.PROPERTY_RUNS ?? 300);
/** Failures show the error; PROPERTY_SEED replays a failed run (its seed is printed). */
const REPORT = {
  includeErrorInReport: true,
  seed: process.env.PROPERTY_SEED === undefined ? undefined : Number(process.env.PROPERTY_SEED),
};

// Envelope: "CKSN" | u16 version | 32-byte SHA-256 of body | body
const VERSION_OFFSET = 4;
const HEADER_BYTES = 4 + 2 + 32;

/** Job names as the config allows them (src/config/schema.ts JOB_NAME), and any other text. */
const configJobName = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,40}$/);
const anyText = fc.string({ unit: 'grapheme', maxLength: 20 });

function snapshotOf(name: fc.Arbitrary<string>): fc.Arbitrary<Snapshot> {
  return fc
    .record({
      createdAtMs: fc.maxSafeInteger(),
      highWater: fc.maxSafeInteger(),
      epoch: fc.maxSafeInteger(),
      jobs: fc.uniqueArray(fc.tuple(name, fc.maxSafeInteger()), {
        maxLength: 30,
        selector: ([n]) => n,
      }),
    })
    .map(({ jobs, ...rest }) => ({ ...rest, lastExecution: new Map(jobs) }));
}

const snapshot = fc.oneof(snapshotOf(configJobName), snapshotOf(anyText));

function sameState(a: Snapshot, b: Snapshot): void {
  assert.equal(a.createdAtMs, b.createdAtMs);
  assert.equal(a.highWater, b.highWater);
  assert.equal(a.epoch, b.epoch);
  assert.deepEqual([...a.lastExecution].sort(byName), [...b.lastExecution].sort(byName));
}
const byName = (x: [string, number], y: [string, number]) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0);

/** Decodes `bytes`: the snapshot, or the SnapshotDecodeError; any other exception fails the property. */
function tryDecode(bytes: Uint8Array): { snapshot: Snapshot } | { error: SnapshotDecodeError } {
  try {
    return { snapshot: snapshotCodec.decode(bytes).snapshot };
  } catch (err) {
    if (err instanceof SnapshotDecodeError) return { error: err };
    throw new Error(`decode threw ${String(err)}, not a SnapshotDecodeError`, { cause: err });
  }
}

/** The decoded state must be the original one, or decoding must fail. */
function decodesToOriginalOrFails(bytes: Uint8Array, original: Snapshot): void {
  const r = tryDecode(bytes);
  if ('snapshot' in r) sameState(r.snapshot, original);
}

/** A well-formed snapshot in memory: what restore may rely on whenever decode returns. */
function assertWellFormed(s: Snapshot): void {
  for (const n of [s.createdAtMs, s.highWater, s.epoch]) assert.ok(Number.isSafeInteger(n));
  assert.ok(s.lastExecution instanceof Map);
  for (const [name, ms] of s.lastExecution) {
    assert.equal(typeof name, 'string');
    assert.ok(Number.isSafeInteger(ms));
  }
}

function envelope(version: number, body: Uint8Array): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  header.write('CKSN', 0, 'ascii');
  header.writeUInt16BE(version, VERSION_OFFSET);
  createHash('sha256')
    .update(body)
    .digest()
    .copy(header, VERSION_OFFSET + 2);
  return Buffer.concat([header, body]);
}

describe('snapshot codec: properties', () => {
  it('every state round-trips exactly, in the format the codec writes', () => {
    fc.assert(
      fc.property(snapshot, (s) => {
        const decoded = snapshotCodec.decode(snapshotCodec.encode(s));
        assert.equal(decoded.version, snapshotCodec.writeVersion);
        sameState(decoded.snapshot, s);
      }),
      { numRuns: RUNS, ...REPORT },
    );
  });

  it('random bytes never crash the decoder: SnapshotDecodeError or a well-formed snapshot', () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      // Random bytes behind a correct header: the reader itself gets the garbage.
      fc
        .tuple(fc.integer({ min: 0, max: 5 }), fc.uint8Array({ maxLength: 200 }))
        .map(([v, b]) => envelope(v, b)),
      fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.concat([Buffer.from('CKSN'), b])),
    );
    fc.assert(
      fc.property(bytes, (b) => {
        const r = tryDecode(b);
        if ('snapshot' in r) assertWellFormed(r.snapshot);
      }),
      { numRuns: RUNS, ...REPORT },
    );
  });

  it('any msgpack value as a body with a correct checksum: SnapshotDecodeError or a well-formed snapshot', () => {
    const body = fc.oneof(
      fc.anything({ maxDepth: 3, withMap: true, withSet: false, withTypedArray: true }),
      // Near-valid format-1 bodies: right keys, random values.
      fc.record({
        createdAt: fc.anything({ maxDepth: 1 }),
        highWater: fc.oneof(fc.integer(), fc.double(), fc.bigInt()),
        epoch: fc.oneof(fc.maxSafeInteger(), fc.string()),
        jobs: fc.array(
          fc.oneof(fc.tuple(fc.string(), fc.anything({ maxDepth: 0 })), fc.anything({ maxDepth: 1 })),
        ),
      }),
    );
    fc.assert(
      fc.property(body, fc.integer({ min: 0, max: 3 }), (value, version) => {
        let bytes: Uint8Array;
        try {
          bytes = encode(value);
        } catch {
          return; // not encodable by msgpack (e.g. a bigint beyond 64 bits): not a body anyone can write
        }
        const r = tryDecode(envelope(version, bytes));
        if ('snapshot' in r) assertWellFormed(r.snapshot);
      }),
      { numRuns: RUNS, ...REPORT },
    );
  });

  it('bit flips anywhere never decode to a different state', () => {
    fc.assert(
      fc.property(
        snapshot,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 4 }),
        (s, flips) => {
          const bytes = Buffer.from(snapshotCodec.encode(s));
          for (const [at, bit] of flips) {
            const i = at % bytes.length;
            bytes[i] = bytes[i]! ^ (1 << bit);
          }
          decodesToOriginalOrFails(bytes, s);
        },
      ),
      { numRuns: RUNS, ...REPORT },
    );
  });

  it('truncation and appended bytes never decode to a different state', () => {
    fc.assert(
      fc.property(snapshot, fc.nat(), fc.uint8Array({ maxLength: 40 }), (s, cut, tail) => {
        const bytes = snapshotCodec.encode(s);
        decodesToOriginalOrFails(bytes.subarray(0, cut % (bytes.length + 1)), s);
        decodesToOriginalOrFails(Buffer.concat([bytes, tail]), s);
        decodesToOriginalOrFails(Buffer.concat([bytes.subarray(0, cut % (bytes.length + 1)), tail]), s);
      }),
      { numRuns: RUNS, ...REPORT },
    );
  });

  it('a changed format version never decodes to a different state', () => {
    fc.assert(
      fc.property(snapshot, fc.integer({ min: 0, max: 0xffff }), (s, version) => {
        const bytes = Buffer.from(snapshotCodec.encode(s));
        bytes.writeUInt16BE(version, VERSION_OFFSET);
        decodesToOriginalOrFails(bytes, s);
      }),
      { numRuns: RUNS, ...REPORT },
    );
  });

  it('a body rewritten with a correct checksum (a byte changed, removed or inserted) is refused or well-formed', () => {
    fc.assert(
      fc.property(
        snapshot,
        fc.nat(),
        fc.integer({ min: 0, max: 255 }),
        fc.constantFrom('set', 'remove', 'insert'),
        (s, at, byte, op) => {
          const encoded = snapshotCodec.encode(s);
          const version = encoded.readUInt16BE(VERSION_OFFSET);
          const body = Buffer.from(encoded.subarray(HEADER_BYTES));
          const i = at % Math.max(1, body.length);
          const mutated =
            op === 'set'
              ? Buffer.concat([body.subarray(0, i), Buffer.from([byte]), body.subarray(i + 1)])
              : op === 'remove'
                ? Buffer.concat([body.subarray(0, i), body.subarray(i + 1)])
                : Buffer.concat([body.subarray(0, i), Buffer.from([byte]), body.subarray(i)]);
          const r = tryDecode(envelope(version, mutated));
          // The checksum cannot catch a body rewritten on purpose; the reader must still
          // never hand out a malformed state.
          if ('snapshot' in r) assertWellFormed(r.snapshot);
        },
      ),
      { numRuns: RUNS, ...REPORT },
    );
  });
});
