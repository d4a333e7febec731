import fc from 'fast-check';
import * as t from 'io-ts';

/**
 * Derives a fast-check arbitrary from an io-ts codec by walking its structure, so every event and command gets a
 * generator without a hand-written twin that could drift from the codec. Brands and refinements are honoured by
 * filtering: the derived values are always valid.
 */
type AnyCodec = t.Mixed;

const derive = (codec: AnyCodec): fc.Arbitrary<unknown> => {
  if (codec instanceof t.InterfaceType) {
    const props = codec.props as Record<string, AnyCodec>;

    return fc.record(Object.fromEntries(Object.entries(props).map(([key, c]) => [key, derive(c)])));
  }
  if (codec instanceof t.PartialType) {
    const props = codec.props as Record<string, AnyCodec>;
    const arbitraries = Object.fromEntries(Object.entries(props).map(([key, c]) => [key, derive(c)]));

    return fc.record(arbitraries, { requiredKeys: [] });
  }
  if (codec instanceof t.IntersectionType) {
    const parts = (codec.types as AnyCodec[]).map(derive);

    return fc.tuple(...parts).map((values) => Object.assign({}, ...(values as object[])) as unknown);
  }
  if (codec instanceof t.UnionType) return fc.oneof(...(codec.types as AnyCodec[]).map(derive));
  if (codec instanceof t.LiteralType) return fc.constant(codec.value);
  if (codec instanceof t.KeyofType) return fc.constantFrom(...Object.keys(codec.keys as object));
  if (codec instanceof t.ArrayType || codec instanceof t.ReadonlyArrayType) {
    return fc.array(derive(codec.type as AnyCodec), { maxLength: 3 });
  }
  if (codec instanceof t.RefinementType) return derive(codec.type as AnyCodec).filter((v) => codec.is(v));
  if (codec instanceof t.StringType) return fc.string({ maxLength: 12 });
  if (codec instanceof t.NumberType) return fc.integer({ min: 0, max: 1_000_000 });
  if (codec instanceof t.BooleanType) return fc.boolean();
  if (codec instanceof t.NullType) return fc.constant(null);
  throw new Error(`no arbitrary for codec ${codec.name} (${codec.constructor.name})`);
};

export const arbitraryFor = <C extends AnyCodec>(codec: C): fc.Arbitrary<t.TypeOf<C>> =>
  derive(codec) as fc.Arbitrary<t.TypeOf<C>>;
