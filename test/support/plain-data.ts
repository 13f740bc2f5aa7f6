// Generated plain data of any shape, as YAML or JSON could hold it, for the
// property tests of the config readers (config-readers.test.ts,
// locate-in-events.test.ts). Each test gives its own scalar and key texts and
// its own sizes.
import fc from 'fast-check';

export interface PlainDataOptions {
  /** Scalars as written, many on the edge of a YAML rule. */
  scalars: readonly string[];
  /** Keys of generated maps. */
  keys: readonly string[];
  /** Strings of characters YAML treats specially. */
  odd: fc.Arbitrary<string>;
  /** The longest plain string, key and collection. */
  stringLength: number;
  keyLength: number;
  width: number;
}

/** `plainData(shared)`: data that may use the `shared` objects more than once (aliases, once written); `sharedObjects`: such objects. */
export function plainDataArbitraries(o: PlainDataOptions) {
  const plainData = (shared: readonly object[]): fc.Arbitrary<unknown> =>
    fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.string({ maxLength: o.stringLength }),
        o.odd,
        fc.constantFrom(...o.scalars),
        fc.integer(),
        fc.double(),
        fc.boolean(),
        fc.constant(null),
        ...(shared.length > 0 ? [fc.constantFrom(...shared)] : []),
        fc.array(tie('value'), { maxLength: o.width }),
        fc.dictionary(
          fc.oneof(fc.string({ maxLength: o.keyLength }), o.odd, fc.constantFrom(...o.keys)),
          tie('value'),
          {
            maxKeys: o.width,
          },
        ),
      ),
    })).value;
  const sharedObjects = fc.array(
    fc.oneof(
      fc.array(plainData([]), { minLength: 1, maxLength: 3 }),
      fc.dictionary(fc.string({ maxLength: 3 }), plainData([]), { minKeys: 1, maxKeys: 3 }),
    ),
    { maxLength: 2 },
  );
  return { plainData, sharedObjects };
}
