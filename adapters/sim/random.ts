/**
 * Seeded randomness for the simulation (never for anything secret): the same seed gives the same faults, ids and
 * timings, so a failing run can be replayed with `--seed`.
 */
export type Random = () => number;

/** mulberry32: a tiny 32-bit PRNG, plenty for fault injection and ids that only need to look plausible. */
export const seededRandom = (seed: number): Random => {
  let state = Math.trunc(seed) >>> 0;

  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);

    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

export const randomHex = (random: Random, length: number): string =>
  Array.from({ length }, () => Math.floor(random() * 16).toString(16)).join('');

/** uuid-shaped (version 4 layout), as GitHub's `X-GitHub-Delivery`. */
export const randomUuid = (random: Random): string => {
  const hex = randomHex(random, 32).split('');
  hex[12] = '4';
  hex[16] = ((parseInt(hex[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
  const s = hex.join('');

  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
};

/** An integer in [min, max). */
export const randomInt = (random: Random, min: number, max: number): number => min + Math.floor(random() * (max - min));

/** `ms` scaled by a factor in [1 - jitter, 1 + jitter]. */
export const jittered = (random: Random, ms: number, jitter: number): number =>
  Math.max(0, Math.round(ms * (1 + (random() * 2 - 1) * jitter)));
