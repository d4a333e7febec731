/**
 * The warm-pool numbers of SPEC section 4 (and lesson 8), in one place. Each names where it comes from; changing one
 * changes a behaviour the Go system learned the hard way.
 */

/** SPEC section 4 "Loop": every pool is reconciled every 60 s (and on demand, when a queued job names it). */
export const RECONCILE_INTERVAL_MS = 60_000;

/** SPEC section 4 / lesson 8: a member launched or started less than 3 min ago is booting, never a scale-down candidate. */
export const BOOT_GRACE_MINUTES = 3;

/** SPEC section 4 / lesson 8: a member must have kept its state for 90 s before it is stopped or terminated (dwell). */
export const DWELL_SECONDS = 90;

/** SPEC section 4: hot pools (desired running > 0) stop an idle member only after this, when none is configured. */
export const DEFAULT_IDLE_TIMEOUT_MINUTES = 10;

/** SPEC section 4 "Ephemeral pools": created with 0 hot, 1 stopped, a 30 min idle timeout... */
export const EPHEMERAL_DEFAULTS = { desiredRunning: 0, desiredStopped: 1, idleTimeoutMinutes: 30 } as const;
/** ...sized from the p90 of per-minute job concurrency over the last hour... */
export const EPHEMERAL_DEMAND_WINDOW_MINUTES = 60;
/** ...and removed after 4 h without a job. */
export const EPHEMERAL_IDLE_REMOVAL_MINUTES = 4 * 60;

/** SPEC section 1: pool names, as the admin API and the demand notification accept them. */
export { POOL_NAME_PATTERN } from '../shared/ids.js';

/** Caps a configuration may not exceed (a typo of 1000 must not launch 1000 machines). Ours, not the SPEC's. */
export const MAX_POOL_MEMBERS = 100;
