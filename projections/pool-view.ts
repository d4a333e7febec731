import type { Envelope } from '../domain/events/domain-event.js';
import type { PoolEvent } from '../domain/events/pool-events.js';
import { evolvePool, initialPoolState, type PoolState } from '../domain/pool/pool-state.js';

/**
 * PoolView: the pool's own stream folded (configuration, members as of its last acting reconcile, that decision) and
 * when it changed. Member machine states are read from their machine views; the pool view never folds other streams,
 * so its version is simply its own stream's.
 */
export interface PoolView extends PoolState {
  readonly updatedAt: string | null;
  readonly lastReconciledAt: string | null;
}

export const initialPoolView = (name: string): PoolView => ({
  ...initialPoolState(name),
  updatedAt: null,
  lastReconciledAt: null,
});

export const evolvePoolView = (view: PoolView, envelope: Envelope<PoolEvent>): PoolView => {
  const at = envelope.metadata.at;

  return {
    ...view,
    ...evolvePool(view, envelope.event, envelope.version, at),
    updatedAt: at,
    lastReconciledAt: envelope.event.type === 'PoolReconciled' ? at : view.lastReconciledAt,
  };
};
