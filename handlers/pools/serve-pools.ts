import type { Envelope } from '../../domain/events/domain-event.js';
import type { EventStore } from '../../domain/store/event-store.js';
import type { PipelineHooks } from '../app/pipeline.js';
import { startPoolReconciler, type PoolReconciler, type PoolReconcilerLogger, type PoolSource } from './reconciler.js';

/**
 * The warm-pool timer as `serve` runs it: over the store composition's pool source (the live models embedded, the
 * shared view store on DynamoDB), poked by the events that change what a pool needs.
 */
export const startServePools = (deps: {
  readonly store: EventStore;
  readonly source: PoolSource;
  readonly now: () => string;
  readonly logger: PoolReconcilerLogger;
}): PoolReconciler => {
  const reconciler = startPoolReconciler({
    store: deps.store,
    source: deps.source,
    now: deps.now,
    logger: deps.logger,
  });
  reconciler.poke();

  return reconciler;
};

/** The pool an event concerns, if it should bring that pool's reconcile forward. */
export const poolToPoke = (envelope: Envelope): string | null => {
  const { event } = envelope;
  switch (event.type) {
    case 'JobQueued':
      return event.data.spec.pool;
    case 'MachineClaimed':
      return event.data.pool;
    case 'PoolConfigured':
    case 'PoolRemoved':
      return event.data.name;
    default:
      return null;
  }
};

/** Pipeline hooks that also poke the pool reconciler (created after the hooks, hence the getter). */
export const withPoolPokes = (hooks: PipelineHooks, pools: () => PoolReconciler | null): PipelineHooks => ({
  ...hooks,
  onApplied: (envelope, models) => {
    hooks.onApplied?.(envelope, models);
    const pool = poolToPoke(envelope);
    if (pool !== null) pools()?.poke(pool);
  },
});
