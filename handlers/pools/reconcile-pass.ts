import type { PoolEvent } from '../../domain/events/pool-events.js';
import { ephemeralExpired, p90Concurrency } from '../../domain/pool/ephemeral.js';
import { reconcilePool, type ReconcileDecision } from '../../domain/pool/reconcile.js';
import type { EventStore } from '../../domain/store/event-store.js';
import type { JobView } from '../../projections/job-view.js';
import type { MachineView } from '../../projections/machine-view.js';
import type { PoolView } from '../../projections/pool-view.js';
import { demandOf, jobsByPool } from './demand.js';
import { createEphemeralPools, creatable } from './ephemeral-pools.js';
import { observeMember } from './observe-members.js';
import { appendToPool, type ReconcileOutcome } from './pool-append.js';

export type { ReconcileOutcome } from './pool-append.js';

/**
 * One reconcile pass (SPEC section 4): for each pool, what the pure reconciler decides from the views. A decision
 * that acts is appended as `PoolReconciled` at the pool version it observed; the process then reacts with the
 * commands. A version conflict means another orchestrator (or this one's previous pass, not yet projected) acted on
 * that observation: the decision is dropped, the next pass decides afresh. Nothing is recorded when there is nothing
 * to do. Ephemeral pools are created (first job naming them) and removed (4 h idle) here too.
 */
export interface PoolSource {
  pools(): Promise<ReadonlyArray<PoolView>>;
  machines(ids: ReadonlyArray<string>): Promise<ReadonlyMap<string, MachineView>>;
  /**
   * The job views: demand per pool, and the jobs that name a pool nobody configured (ephemeral pools). The costly
   * read (every job view): a pass calls it only when a decision needs demand (`needsDemand`).
   */
  jobs(): Promise<ReadonlyArray<JobView>>;
}

/** Whether a pool still has anything to reconcile: configured, or removed with members left to end. */
const worthChecking = (pool: PoolView): boolean => pool.config !== null && (!pool.removed || pool.members.length > 0);

/**
 * Whether the pass needs the job views. A configured pool's targets come from its configuration alone, so a pass
 * poked for such pools (a claim, a queued job naming one: several a second under load) skips the job list. The
 * pass every 60 s always reads it: only the job views name pools nobody configured yet.
 */
const needsDemand = (pools: ReadonlyArray<PoolView>, only: ReadonlySet<string> | undefined): boolean => {
  if (only === undefined) return true;
  const known = new Map(pools.map((pool) => [pool.name, pool]));

  return [...only].some((name) => {
    const pool = known.get(name);

    return creatable(pool) || (pool?.config?.ephemeral === true && !pool.removed);
  });
};

const decisionEvent = (decision: ReconcileDecision): PoolEvent => ({
  type: 'PoolReconciled',
  data: {
    observed: { poolVersion: decision.observed.poolVersion, members: [...decision.observed.members] },
    desired: decision.desired,
    actions: decision.actions,
    label: decision.label,
    reasons: [...decision.reasons],
  },
});

export const reconcilePools = async (deps: {
  readonly store: EventStore;
  readonly source: PoolSource;
  readonly now: string;
  /** Only these pools (a poke); default all. */
  readonly only?: ReadonlySet<string>;
}): Promise<ReadonlyArray<ReconcileOutcome>> => {
  const { store, now } = deps;
  const wanted = (name: string) => deps.only === undefined || deps.only.has(name);
  const pools = await deps.source.pools();
  const demand = jobsByPool(needsDemand(pools, deps.only) ? await deps.source.jobs() : []);
  const outcomes: ReconcileOutcome[] = [...(await createEphemeralPools({ store, pools, demand, now, wanted }))];
  for (const pool of pools.filter((p) => worthChecking(p) && wanted(p.name))) {
    const target = { name: pool.name, version: pool.version, now };
    const poolDemand = demandOf(demand.get(pool.name), (intervals) => p90Concurrency(intervals, now));
    if (pool.config !== null && !pool.removed && ephemeralExpired(pool.config, poolDemand, now)) {
      const removed = { type: 'PoolRemoved', data: { name: pool.name, reason: 'ephemeral: no job for 4 h' } } as const;
      outcomes.push(await appendToPool(store, target, removed, () => ({ pool: pool.name, kind: 'removed-ephemeral' })));
      continue;
    }
    const machines = await deps.source.machines(pool.members);
    const members = pool.members.map((id) => observeMember(id, machines.get(id)));
    const decision = reconcilePool({ pool, members, now, demand: poolDemand });
    outcomes.push(
      decision === null
        ? { pool: pool.name, kind: 'idle' }
        : await appendToPool(store, target, decisionEvent(decision), (version) => ({
            pool: pool.name,
            kind: 'reconciled',
            version,
            decision,
          })),
    );
  }

  return outcomes;
};
