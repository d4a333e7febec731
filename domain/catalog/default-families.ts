import type { Arch } from './instance-types.js';

/**
 * Families used when a label names none (SPEC section 3). Burstables are never here (lesson 13, #385: t3.medium won
 * ~70 % of picks and CI ran 2.25x slower); `family=t3` or `family=t4g` opts back in. r7g/r6i/r7i are not default either.
 * The list order is also the preference order used to break ties in `selectInstanceTypes`.
 */
export const DEFAULT_FAMILIES: { readonly [A in Arch]: ReadonlyArray<string> } = {
  arm64: ['c8g', 'm8g', 'r8g', 'c7g', 'm7g'],
  amd64: ['c6i', 'c7i', 'm6i', 'm7i'],
};

/** arm64 first when the architecture is open: Graviton is cheaper per vCPU. */
export const defaultFamiliesFor = (arch: Arch | null): ReadonlyArray<string> =>
  arch === null ? [...DEFAULT_FAMILIES.arm64, ...DEFAULT_FAMILIES.amd64] : DEFAULT_FAMILIES[arch];
