import { ephemeralPoolFor, withinIdleWindow } from '../../domain/pool/ephemeral.js';
import { POOL_NAME_PATTERN } from '../../domain/shared/ids.js';
import type { EventStore } from '../../domain/store/event-store.js';
import type { PoolView } from '../../projections/pool-view.js';
import type { PoolJobs } from './demand.js';
import { appendToPool, type ReconcileOutcome } from './pool-append.js';

/**
 * The first job naming a pool nobody configured creates it as an ephemeral pool (SPEC section 4), from that job's
 * spec; an ephemeral pool removed after 4 h idle comes back the same way. A pool an operator removed stays removed,
 * and only a job of the last 4 h creates anything (an old one still in the views does not).
 */
export const creatable = (pool: PoolView | undefined): boolean =>
  pool === undefined || pool.config === null || (pool.removed && pool.config.ephemeral);

export const createEphemeralPools = async (deps: {
  readonly store: EventStore;
  readonly pools: ReadonlyArray<PoolView>;
  readonly demand: ReadonlyMap<string, PoolJobs>;
  readonly now: string;
  readonly wanted: (name: string) => boolean;
}): Promise<ReconcileOutcome[]> => {
  const known = new Map(deps.pools.map((pool) => [pool.name, pool]));
  const outcomes: ReconcileOutcome[] = [];
  for (const [name, jobs] of deps.demand) {
    const pool = known.get(name);
    const spec = jobs.latest?.spec ?? null;
    const fresh = withinIdleWindow(jobs.lastJobAt, deps.now);
    if (!creatable(pool) || spec === null || !fresh || !deps.wanted(name) || !POOL_NAME_PATTERN.test(name)) continue;
    const event = { type: 'PoolConfigured', data: ephemeralPoolFor(name, spec) } as const;
    const target = { name, version: pool?.version ?? 0, now: deps.now };
    outcomes.push(await appendToPool(deps.store, target, event, () => ({ pool: name, kind: 'created-ephemeral' })));
  }

  return outcomes;
};
