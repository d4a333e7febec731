import type { Either } from 'fp-ts/lib/Either.js';

/**
 * The event-store port (DESIGN section 2). Three adapters implement it (memory, SQLite, DynamoDB) and pass one shared
 * contract suite. Expected failures are returned (`VersionConflict`); an unreachable store throws, which callers treat
 * as transient.
 */

/** What every stored event carries beside its data. Times are ISO 8601 strings chosen by the caller, never the store. */
export interface EventMetadata {
  readonly at: string;
  readonly causationId?: string;
  readonly correlationId?: string;
  readonly deliveryId?: string;
  readonly commandId?: string;
}

/** An event as handed to `append`: the store assigns the version. */
export interface NewEvent {
  readonly type: string;
  readonly data: unknown;
  readonly metadata: EventMetadata;
}

/** An event as read back. `position` is the store's global order where it has one (SQLite, memory), else absent. */
export interface RecordedEvent extends NewEvent {
  readonly streamId: string;
  readonly version: number;
  readonly position?: number;
}

/** `expectedVersion` 0 means "the stream must not exist yet". */
export interface VersionConflict {
  readonly kind: 'VersionConflict';
  readonly streamId: string;
  readonly expectedVersion: number;
}

export interface Appended {
  readonly streamId: string;
  /** The version of the last event written. */
  readonly version: number;
}

export interface ReadOptions {
  /** First version to return (inclusive); default 1. */
  readonly fromVersion?: number;
}

export interface EventStore {
  append(
    streamId: string,
    events: ReadonlyArray<NewEvent>,
    expectedVersion: number,
  ): Promise<Either<VersionConflict, Appended>>;
  /** Consistent read of one stream in version order, every page followed. */
  read(streamId: string, options?: ReadOptions): Promise<ReadonlyArray<RecordedEvent>>;
  /** Every stream id of a category (`job`, `machine`, `pool`), from first events only; order unspecified. */
  listStreams(category: string): AsyncIterable<string>;
}

/** Most events one `append` may carry: DynamoDB's TransactWriteItems limit, applied by every adapter alike. */
export const MAX_EVENTS_PER_APPEND = 100;
