/** Small timing and statistics helpers for benchmarks. Durations are milliseconds (doubles). */

/** Numbers sorted ascending (a copy), ready for `percentile`. */
export const sortedAscending = (sample: Iterable<number>): number[] => [...sample].sort((a, b) => a - b);

/**
 * The p-th percentile (0 ≤ p ≤ 100) of a sample sorted ascending, by the nearest-rank method: always a value that was
 * measured, never an interpolation, so a p99 over 100 samples is the slowest one but one.
 */
export const percentile = (sorted: ReadonlyArray<number>, p: number): number => {
  if (sorted.length === 0) throw new RangeError('percentile of an empty sample');
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile ${p} is outside [0, 100]`);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  const value = sorted[rank - 1];
  if (value === undefined) throw new RangeError(`no value at rank ${rank}`);

  return value;
};

export const median = (sorted: ReadonlyArray<number>): number => percentile(sorted, 50);

export interface Measured<T> {
  readonly result: T;
  readonly ms: number;
}

const elapsedMs = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e6;

/** Runs `fn` once and returns its result with the wall time it took (process.hrtime.bigint, monotonic). */
export const measure = async <T>(fn: () => T | Promise<T>): Promise<Measured<T>> => {
  const start = process.hrtime.bigint();
  const result = await fn();

  return { result, ms: elapsedMs(start) };
};

/** Same as `measure` for synchronous work, without the await in the timed region. */
export const measureSync = <T>(fn: () => T): Measured<T> => {
  const start = process.hrtime.bigint();
  const result = fn();

  return { result, ms: elapsedMs(start) };
};

/** Events (or requests, or bytes) per second from a count and a duration in milliseconds. */
export const perSecond = (count: number, ms: number): number => (count * 1000) / ms;
