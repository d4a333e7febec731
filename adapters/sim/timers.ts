/**
 * Timers the simulation can cancel all at once (`close()`), and a sleep that ends early when its signal aborts.
 * Everything is plain setTimeout, so vitest's fake timers drive it.
 */
export { sleep } from '../shared/sleep.js';

export interface TimerSet {
  after(ms: number, run: () => void): () => void;
  clear(): void;
}

export const createTimerSet = (): TimerSet => {
  const timers = new Set<ReturnType<typeof setTimeout>>();

  return {
    after: (ms, run) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        run();
      }, ms);
      timers.add(timer);

      return () => {
        clearTimeout(timer);
        timers.delete(timer);
      };
    },
    clear: () => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  };
};

/** Exponential backoff with a cap: base, 2·base, 4·base, … ≤ max. */
export const backoffMs = (attempt: number, baseMs: number, maxMs: number): number =>
  Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
