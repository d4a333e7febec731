/**
 * Housekeeping's numbers (SPEC section 6, adapted to events). Uncertainty always resolves to "leave it alive": every
 * limit below is a minimum age before anything is judged, and the caps bound what one cycle may do.
 */
export interface HousekeepingSettings {
  /** A machine whose runner has taken no job this long after launch (or assignment) is unconfirmed. */
  readonly unconfirmedAfterMinutes: number;
  /** A live job with no news this long is checked against GitHub. */
  readonly staleJobAfterMinutes: number;
  /** A stale job checked once is not asked about again before this. */
  readonly staleJobRecheckMinutes: number;
  /** GitHub reads per stale-jobs cycle (SPEC: 30). */
  readonly staleJobChecksPerCycle: number;
  /** A machine nothing needs is terminated only after this long without a sign of life. */
  readonly orphanGraceMinutes: number;
  /** Ghost runner registrations deleted per cycle (SPEC lesson 12: 200). */
  readonly ghostRunnersPerCycle: number;
  /** A machine pending or stopping this long after launch is judged like any other (SPEC: max runtime 6 h + 10 min). */
  readonly stuckTransitionMinutes: number;
}

export const DEFAULT_HOUSEKEEPING_SETTINGS: HousekeepingSettings = {
  unconfirmedAfterMinutes: 5,
  staleJobAfterMinutes: 10,
  staleJobRecheckMinutes: 15,
  staleJobChecksPerCycle: 30,
  orphanGraceMinutes: 15,
  ghostRunnersPerCycle: 200,
  stuckTransitionMinutes: 370,
};
