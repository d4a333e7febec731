import { BOOT_GRACE_MINUTES, DWELL_SECONDS, RECONCILE_INTERVAL_MS } from '../domain/pool/constants.js';
import type { PoolConfig } from '../domain/pool/pool-state.js';
import type { EventStore } from '../domain/store/event-store.js';
import { applyPools } from '../handlers/pools/apply-pools.js';

/**
 * The soak's warm pool: configured before the first job, so members are launched, claimed by jobs and replaced while
 * orchestrators die; removed halfway through the workload, so its members must end through the reconciler, under
 * the scale-down guards, while the rest of the workload runs. The orphan count then stays a plain "nothing alive after
 * quiescence" (invariant 4 with a target of zero). A pool of size zero is configured all the same: jobs naming it take
 * the claim-missed path to a cold start (an unconfigured name would create an ephemeral pool instead).
 */
export const SOAK_POOL = 'soak';

export interface SoakPoolSize {
  readonly hot: number;
  readonly stopped: number;
}

/**
 * How long after the removal a member may legitimately still be alive: launched just before it, it is never a
 * scale-down candidate within the boot grace, nor within the dwell after its last change, and the reconciler looks
 * once a minute (SPEC section 4, lesson 8). The soak's quiet timeout does not judge before this has passed.
 */
export const POOL_SETTLE_MS = (BOOT_GRACE_MINUTES * 60 + DWELL_SECONDS) * 1000 + 2 * RECONCILE_INTERVAL_MS;

const config = (size: SoakPoolSize): PoolConfig => ({
  name: SOAK_POOL,
  label: `runs-fleet/pool=${SOAK_POOL}/cpu=2/arch=arm64`,
  desiredRunning: size.hot,
  desiredStopped: size.stopped,
  idleTimeoutMinutes: 10,
  schedules: [],
  ephemeral: false,
  timeZone: null,
});

// The orchestrators append to the pool's stream too (each reconcile), so an apply can meet a newer version: read again.
const ATTEMPTS = 10;

const apply = async (store: EventStore, configs: ReadonlyArray<PoolConfig>): Promise<void> => {
  const what = configs.length === 0 ? 'removed' : 'configured';
  for (let attempt = 1; attempt <= ATTEMPTS; attempt += 1) {
    const changes = await applyPools({ store, configs, prune: configs.length === 0, at: new Date().toISOString() });
    if (changes.every((change) => change.change !== 'conflict')) return;
  }
  throw new Error(`the soak pool ${SOAK_POOL} could not be ${what}: ${String(ATTEMPTS)} version conflicts in a row`);
};

export const configureSoakPool = (store: EventStore, size: SoakPoolSize): Promise<void> => apply(store, [config(size)]);

export const removeSoakPool = (store: EventStore): Promise<void> => apply(store, []);
