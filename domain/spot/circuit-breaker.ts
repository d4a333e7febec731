import { addMinutes, minutesBetween, toMillis } from '../shared/time.js';

/**
 * The per-instance-type spot circuit breaker (SPEC section 3, lesson 14): 3 interruptions within 15 minutes open it,
 * and while open that type launches on-demand for 30 minutes; it closes by itself afterwards, counters zeroed. Here it
 * is state folded from `SpotInterruptionWarned` events (in time order per type), not a mutable row.
 */

export const BREAKER_THRESHOLD = 3;
export const BREAKER_WINDOW_MINUTES = 15;
export const BREAKER_OPEN_MINUTES = 30;

export interface TypeBreaker {
  readonly windowStart: string | null;
  readonly count: number;
  readonly openUntil: string | null;
}

/**
 * Interruption times per type, sorted and unique, the latest few kept: a set, so the fold does not depend on the order
 * in which interruptions of different machines are delivered (DESIGN section 4, delivery tolerance).
 */
export type BreakerState = Readonly<Record<string, ReadonlyArray<string>>>;
const KEPT_PER_TYPE = 50;

export const closedBreaker: TypeBreaker = { windowStart: null, count: 0, openUntil: null };

const isOpenAt = (breaker: TypeBreaker, now: string): boolean =>
  breaker.openUntil !== null && toMillis(now) < toMillis(breaker.openUntil);

export const recordInterruption = (breaker: TypeBreaker, at: string): TypeBreaker => {
  if (isOpenAt(breaker, at)) return breaker;
  const expired = breaker.windowStart === null || minutesBetween(breaker.windowStart, at) > BREAKER_WINDOW_MINUTES;
  const current = expired || breaker.openUntil !== null ? { ...closedBreaker, windowStart: at } : breaker;
  const count = current.count + 1;
  if (count >= BREAKER_THRESHOLD)
    return { windowStart: null, count: 0, openUntil: addMinutes(at, BREAKER_OPEN_MINUTES) };

  return { ...current, count };
};

export const foldInterruption = (state: BreakerState, instanceType: string, at: string): BreakerState => {
  const times = state[instanceType] ?? [];
  if (times.includes(at)) return state;
  const sorted = [...times, at].sort((a, b) => toMillis(a) - toMillis(b));

  return { ...state, [instanceType]: sorted.slice(-KEPT_PER_TYPE) };
};

/** The breaker of one type as it stands at `now`. */
export const breakerAt = (state: BreakerState, instanceType: string, now: string): TypeBreaker =>
  (state[instanceType] ?? []).filter((at) => toMillis(at) <= toMillis(now)).reduce(recordInterruption, closedBreaker);

/** Spot is allowed for a type unless its breaker is open at `now`. */
export const spotAllowed = (state: BreakerState, instanceType: string | undefined, now: string): boolean =>
  instanceType === undefined || !isOpenAt(breakerAt(state, instanceType, now), now);
