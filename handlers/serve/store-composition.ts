import type { CommandBus } from '../../domain/ports/command-bus.js';
import type { DeadLetterStore, EventStore } from '../../domain/store/index.js';
import type { Quarantine, ReadModels } from '../../projections/read-models.js';
import type { ViewKind, ViewStore } from '../../projections/view-store.js';
import type { PipelineHooks } from '../app/pipeline.js';
import type { ReadSource } from '../http/api-routes.js';
import type { PoolSource } from '../pools/reconciler.js';

/**
 * The store side of `runs-fleet serve`, whichever store the configuration names: the event store, where views and
 * dead letters live, what the read API reads, and the consumer that projects new events and dispatches what they
 * call for. `sqlite-composition.ts` is the embedded one (one process), `dynamodb-composition.ts` the one several
 * replicas share.
 */
export interface StoreComposition {
  readonly store: EventStore;
  readonly deadLetters: DeadLetterStore;
  /** Embedded: the live read models. DynamoDB: the active views loaded at start (the view store is the truth). */
  readonly models: ReadModels;
  readonly read: ReadSource;
  /** What the warm-pool reconciler reads (by id where the views are remote). */
  readonly poolSource: PoolSource;
  /** DynamoDB: the view table several replicas share (housekeeping reads it); absent for the embedded store. */
  readonly viewStore?: ViewStore;
  /** For the start-up log line. */
  readonly description: string;
  /** Events appended but not yet projected by this process; null where the store has no global order (DynamoDB). */
  lag(): Promise<number | null>;
  /** Streams paused on a record this version cannot read (as far as this process knows). */
  quarantined(): ReadonlyArray<Quarantine>;
  /** Catches up, re-derives pending commands (`resume`), then consumes; resolves with how many were resumed. */
  start(bus: CommandBus, hooks: PipelineHooks): Promise<number>;
  /** Graceful: stops consuming and persists what is pending. */
  stop(): Promise<void>;
  close(): Promise<void>;
}

export const VIEW_KINDS: ReadonlyArray<ViewKind> = ['job', 'machine', 'pool', 'runner-use', 'breaker', 'pool-claim'];
