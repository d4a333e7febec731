import * as E from 'fp-ts/lib/Either.js';
import type { PoolEvent } from '../../domain/events/pool-events.js';
import type { ReconcileDecision } from '../../domain/pool/reconcile.js';
import { poolStreamId } from '../../domain/shared/ids.js';
import type { EventStore } from '../../domain/store/event-store.js';

/** What a reconcile pass did for one pool. */
export type ReconcileOutcome =
  | { readonly pool: string; readonly kind: 'idle' }
  | { readonly pool: string; readonly kind: 'created-ephemeral' | 'removed-ephemeral' }
  | {
      readonly pool: string;
      readonly kind: 'reconciled';
      readonly version: number;
      readonly decision: ReconcileDecision;
    }
  | { readonly pool: string; readonly kind: 'conflict'; readonly expectedVersion: number };

/** Appends one pool event at the version observed; a conflict is an outcome, not an error. */
export const appendToPool = async (
  store: EventStore,
  target: { readonly name: string; readonly version: number; readonly now: string },
  event: PoolEvent,
  appended: (version: number) => ReconcileOutcome,
): Promise<ReconcileOutcome> => {
  const outcome = await store.append(
    poolStreamId(target.name),
    [{ ...event, metadata: { at: target.now } }],
    target.version,
  );

  return E.isRight(outcome)
    ? appended(outcome.right.version)
    : { pool: target.name, kind: 'conflict', expectedVersion: target.version };
};
