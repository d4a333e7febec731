import * as t from 'io-ts';

/** `{type, data}`: the shape of every domain event and command body (emmett, equinox). */
export const eventCodec = <T extends string, D extends t.Mixed>(type: T, data: D) =>
  t.type({ type: t.literal(type), data }, type);
