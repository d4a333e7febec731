import * as t from 'io-ts';

/** Small codec helpers shared by events and commands. */

export const nullable = <C extends t.Mixed>(codec: C) => t.union([codec, t.null]);

export const Arch = t.keyof({ arm64: null, amd64: null });
export type Arch = t.TypeOf<typeof Arch>;

export const Capacity = t.keyof({ spot: null, 'on-demand': null });
export type Capacity = t.TypeOf<typeof Capacity>;

export const Backend = t.keyof({ ec2: null, k8s: null, sim: null });
export type Backend = t.TypeOf<typeof Backend>;

export const CauseRef = t.type({ streamId: t.string, version: t.number });
export type CauseRef = t.TypeOf<typeof CauseRef>;
