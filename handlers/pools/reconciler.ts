import type { PoolSource, ReconcileOutcome } from './reconcile-pass.js';
import { reconcilePools } from './reconcile-pass.js';
import { RECONCILE_INTERVAL_MS } from '../../domain/pool/constants.js';
import type { EventStore } from '../../domain/store/event-store.js';

export type { PoolSource, ReconcileOutcome } from './reconcile-pass.js';
export { reconcilePools } from './reconcile-pass.js';

/**
 * The warm-pool timer (SPEC section 4 "Loop"): a pass over every pool every 60 s, and a pass over the poked pools
 * soon after a poke (a queued job naming a pool, a member claimed, a configuration change). Passes never overlap.
 */
export interface PoolReconcilerLogger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
}

export interface PoolReconciler {
  /** Reconciles `pool` (or every pool) soon; pokes that arrive together share one pass. */
  poke(pool?: string): void;
  /** One pass over every pool now (tests, start-up). */
  tick(): Promise<ReadonlyArray<ReconcileOutcome>>;
  stop(): Promise<void>;
}

export const startPoolReconciler = (deps: {
  readonly store: EventStore;
  readonly source: PoolSource;
  readonly now: () => string;
  readonly logger: PoolReconcilerLogger;
  readonly intervalMs?: number;
  /** How long a poke waits for others to join it. Default 500 ms. */
  readonly pokeDelayMs?: number;
}): PoolReconciler => {
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;
  let poked: Set<string> | 'all' | null = null;
  let pokeTimer: NodeJS.Timeout | undefined;

  const pass = (only?: ReadonlySet<string>): Promise<ReadonlyArray<ReconcileOutcome>> => {
    const next = running.then(async () => {
      if (stopped) return [];
      try {
        const outcomes = await reconcilePools({ store: deps.store, source: deps.source, now: deps.now(), only });
        for (const outcome of outcomes) {
          if (outcome.kind === 'reconciled')
            deps.logger.info(
              {
                pool: outcome.pool,
                version: outcome.version,
                actions: outcome.decision.actions,
                reasons: outcome.decision.reasons,
              },
              'pool reconciled',
            );
          if (outcome.kind === 'created-ephemeral' || outcome.kind === 'removed-ephemeral')
            deps.logger.info(
              { pool: outcome.pool },
              outcome.kind === 'created-ephemeral' ? 'ephemeral pool created' : 'ephemeral pool removed after 4 h idle',
            );
          if (outcome.kind === 'conflict')
            deps.logger.info(
              { pool: outcome.pool, expectedVersion: outcome.expectedVersion },
              'pool decision dropped: the pool changed meanwhile',
            );
        }

        return outcomes;
      } catch (error) {
        deps.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'pool reconcile failed');

        return [];
      }
    });
    running = next;

    return next;
  };

  const interval = setInterval(() => void pass(), deps.intervalMs ?? RECONCILE_INTERVAL_MS);
  interval.unref();

  return {
    poke: (pool) => {
      if (stopped) return;
      poked = pool === undefined || poked === 'all' ? 'all' : new Set([...(poked ?? []), pool]);
      if (pokeTimer !== undefined) return;
      pokeTimer = setTimeout(() => {
        pokeTimer = undefined;
        const only = poked === 'all' || poked === null ? undefined : poked;
        poked = null;
        void pass(only);
      }, deps.pokeDelayMs ?? 500);
      pokeTimer.unref();
    },
    tick: () => pass(),
    stop: async () => {
      stopped = true;
      clearInterval(interval);
      clearTimeout(pokeTimer);
      await running;
    },
  };
};
